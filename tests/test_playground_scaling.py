"""An uploaded CSV with wide ranges: the playground's model standardizes it inside (an adapted
Normalization first, as ``glassnet train`` does), and the exported script and .glassnet file carry
it; a model file whose first layer is a Rescaling or Normalization can be imported into a CSV
session of its width, and is refused clearly elsewhere."""

from __future__ import annotations

import io

import numpy as np
import pytest
from starlette.testclient import TestClient

import glassnet as gn
from glassnet.playground.app import create_app
from test_playground_api import run_script

UPLOAD = {"Content-Type": "application/octet-stream"}


def wide_csv(rows: int = 60) -> str:
    """Features near 5000 (spread 1000) and near 3 (spread 0.01); the class is which side of
    their means a row's first feature is on."""
    rng = np.random.default_rng(0)
    big, small = rng.normal(5000, 1000, rows).tolist(), rng.normal(3, 0.01, rows).tolist()
    kind = [int(b > 5000) for b in big]
    return "size,ratio,kind\n" + "".join(
        f"{b!r},{s!r},{k}\n" for b, s, k in zip(big, small, kind, strict=True)
    )


SETUP = {
    "dataset": {"name": "csv", "csv": wide_csv(), "test_fraction": 0.25},
    "layers": [{"units": 4, "activation": "tanh"}],
    "loss": "binary_crossentropy",
    "optimizer": "adam",
    "learning_rate": 0.05,
    "batch_size": 9,
    "seed": 0,
}


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(), base_url="http://127.0.0.1:8000")


def create(client: TestClient, config: dict) -> dict:
    response = client.post("/api/sessions", json=config)
    assert response.status_code == 201, response.text
    return response.json()


def test_wide_ranges_rule_is_shared_with_glassnet_train():
    from glassnet.cli import train

    assert gn.datasets.wide_ranges(np.array([[5000.0, 3.0], [4000.0, 3.01]]))
    assert not gn.datasets.wide_ranges(np.array([[0.5, 0.1], [-0.5, 0.2]]))
    assert not hasattr(train, "_wide")  # one rule, in glassnet.datasets


def test_a_wide_csv_is_standardized_inside_the_model_and_learns(client, tmp_path):
    # before: trained on raw values, the exported model predicted 0.383 for every row
    state = create(client, SETUP)
    assert state["preprocessing"].startswith(
        "features standardized inside the model (Normalization, adapted on the 45 training rows)"
    )
    assert [layer["units"] for layer in state["layers"]] == [4, 1]  # drawn: Dense layers only
    sid = state["id"]
    trained = client.post(f"/api/sessions/{sid}/train", json={"epochs": 5}).json()
    assert trained["metrics"]["accuracy"] > 0.8
    path = tmp_path / "wide.glassnet"
    path.write_bytes(client.get(f"/api/sessions/{sid}/export.glassnet").content)
    model = gn.load_model(path)
    assert [layer.kind for layer in model.layers] == ["Normalization", "Dense", "Dense"]
    x = np.loadtxt(io.StringIO(SETUP["dataset"]["csv"]), delimiter=",", skiprows=1)[:, :2]
    assert model.predict(x).std() > 0.1  # not one number for every row
    train_rows = np.array(client.get(f"/api/sessions/{sid}").json()["data"]["x_train"])
    np.testing.assert_array_equal(model.layers[0].mean, train_rows.mean(axis=0))


def test_the_exported_script_adapts_the_same_normalization_and_prints_the_same_loss(client):
    sid = create(client, SETUP)["id"]
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": 7}).json()
    script = client.get(f"/api/sessions/{sid}/export.py").text
    assert "normalization.adapt(x_train)" in script
    printed = run_script(script)
    assert printed["train_loss"] == state["metrics"]["loss"]
    assert printed["test_loss"] == state["metrics"]["test_loss"]


def test_narrow_csv_and_generated_sets_have_no_preprocessing(client):
    assert create(client, {"dataset": {"name": "xor"}})["preprocessing"] is None
    narrow = "a,b,c\n" + "".join(f"{i % 3 / 3},{i % 5 / 5},{i % 2}\n" for i in range(20))
    assert create(client, {"dataset": {"name": "csv", "csv": narrow}})["preprocessing"] is None


def test_trace_and_grids_work_with_the_normalization_first(client):
    sid = create(client, {**SETUP, "dataset": {**SETUP["dataset"], "test_fraction": 0}})["id"]
    trace = client.post(f"/api/sessions/{sid}/trace", json={"example": 0, "level": "kid"})
    assert trace.status_code == 200, trace.text
    assert trace.json()["stages"][1]["entries"][0]["symbol"] == "a1"  # the standardized x


def trained_file(tmp_path, first: list, features: int = 2) -> bytes:
    """A model file as glassnet train saves it: ``first`` (preprocessing layers), 3 tanh, 1."""
    model = gn.Sequential(
        [
            gn.Input(shape=(features,)),
            *first,
            gn.layers.Dense(3, activation="tanh"),
            gn.layers.Dense(1, activation="sigmoid"),
        ],
        dtype="float64",
        seed=1,
    )
    path = tmp_path / "trained.glassnet"
    model.save(path)
    return path.read_bytes()


def adapted(x) -> gn.layers.Normalization:
    layer = gn.layers.Normalization()
    layer.adapt(x)
    return layer


def test_a_model_with_a_leading_normalization_imports_into_a_csv_session(client, tmp_path):
    # before: "The playground draws networks of Dense layers only; this file has: Normalization"
    sid = create(client, SETUP)["id"]
    content = trained_file(tmp_path, [adapted([[4000.0, 2.0], [6000.0, 4.0]])])
    response = client.post(f"/api/sessions/{sid}/import", content=content, headers=UPLOAD)
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["imported"] and "Normalization, from the file" in state["preprocessing"]
    exported = client.get(f"/api/sessions/{sid}/export.glassnet").content
    path = tmp_path / "again.glassnet"
    path.write_bytes(exported)
    assert gn.load_model(path).layers[0].mean.tolist() == [5000.0, 3.0]
    script = client.get(f"/api/sessions/{sid}/export.py").text
    assert "gn.layers.Normalization(mean=[5000.0, 3.0], variance=[1000000.0, 1.0])" in script
    assert run_script(script)["train_loss"] == state["metrics"]["loss"]


def test_a_model_with_a_leading_rescaling_imports_into_a_csv_session(client, tmp_path):
    sid = create(client, SETUP)["id"]
    content = trained_file(tmp_path, [gn.layers.Rescaling(1 / 16)])
    state = client.post(f"/api/sessions/{sid}/import", content=content, headers=UPLOAD).json()
    assert state["preprocessing"].startswith("features rescaled inside the model (Rescaling: x *")
    script = client.get(f"/api/sessions/{sid}/export.py").text
    assert "gn.layers.Rescaling(0.0625, offset=0.0)" in script
    assert run_script(script)["train_loss"] == state["metrics"]["loss"]


@pytest.mark.parametrize(
    ("setup", "first", "features", "message"),
    [
        (
            {"dataset": {"name": "xor"}},
            [gn.layers.Rescaling(1 / 16)],
            2,
            "The file's network starts with a Rescaling layer; the playground keeps one only for "
            "an uploaded CSV",
        ),
        (
            SETUP,
            [gn.layers.Normalization(axis=None, mean=1.0, variance=4.0)],
            2,
            "The file's Normalization layer has 1 mean(s) (axis=None); the playground takes one "
            "per feature of this CSV, 2 in all",
        ),
        (
            SETUP,
            [adapted([[1.0, 2.0, 3.0], [2.0, 3.0, 5.0]])],
            3,
            "The file's network takes 3 inputs, but this data set has 2 features.",
        ),
        (
            SETUP,
            [gn.layers.Rescaling(0.5), gn.layers.Rescaling(2.0)],
            2,
            "after at most one leading Rescaling or Normalization; this file has: Rescaling, "
            "Rescaling, Dense, Dense.",
        ),
    ],
)
def test_preprocessing_the_page_cannot_take_is_refused_and_nothing_changes(
    client, tmp_path, setup, first, features, message
):
    before = create(client, setup)
    sid = before["id"]
    content = trained_file(tmp_path, first, features)
    response = client.post(f"/api/sessions/{sid}/import", content=content, headers=UPLOAD)
    assert response.status_code == 400
    assert message in response.json()["error"]
    after = client.get(f"/api/sessions/{sid}").json()
    assert after["layers"] == before["layers"] and after["preprocessing"] == before["preprocessing"]


def test_values_too_large_to_standardize_are_refused_in_the_playgrounds_words(client):
    # before: "adapt() received values so large ...", naming a call the user never made
    csv = "a,b,k\n" + "".join(f"{i}e200,{i % 3},{i % 2}\n" for i in range(1, 21))
    response = client.post("/api/sessions", json={"dataset": {"name": "csv", "csv": csv}})
    assert response.status_code == 400
    assert response.json()[
        "error"
    ].startswith(
        "the uploaded CSV holds values up to 1.9e+201, too large to standardize"  # the 15 training rows
    )


def test_the_wide_rule_is_quiet_on_values_whose_spread_overflows():
    with np.errstate(all="raise"):
        assert gn.datasets.wide_ranges(np.array([[1e300, 0.0], [-1e300, 1.0]]))
