"""The playground's own copy of the seed notebook, regression on a sine, L1 beside L2.

The "the seed" preset is the notebook's 3-4-1 sigmoid network on its XOR with the constant third
input, no biases, 1/2 sum (a - y)^2, the np.random.seed(1) weights and full-batch SGD at rate 1:
trained 1000 steps in a session, it gives the notebook's printed outputs (read from the notebook's
own saved output, tests/snapshots/seed_notebook_printed.txt, copied verbatim from the saved cell
outputs of /work/shared/seed/000_02a9a695aebd43f1.txt). The sine set fits numbers with a linear
output and a squared error; every new field is checked on arrival; the exported script ends on the
session's very weights.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

import glassnet as gn
from glassnet.playground.app import create_app
from glassnet.playground.codegen import python_script
from glassnet.playground.config import SEED_PRESET, parse_config
from glassnet.playground.model_files import import_into, to_bytes
from glassnet.playground.sessions import Session
from glassnet.playground.stepthrough import trace_example
from glassnet.seed import seed_network
from helpers import XOR_241

BASE = "http://127.0.0.1:8000"
PRINTED = Path(__file__).parent / "snapshots" / "seed_notebook_printed.txt"


def notebook_outputs() -> list[float]:
    """The notebook's printed "New ouput" (a2 of its last iteration), as it printed them."""
    text = PRINTED.read_text()
    part = text.split("New ouput", 1)[1].split("Ouput after", 1)[0]
    return [float(v) for v in re.findall(r"-?\d+\.\d+", part)]


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(), base_url=BASE)


def create(client: TestClient, config: dict) -> dict:
    response = client.post("/api/sessions", json=config)
    assert response.status_code == 201, response.text
    return response.json()


def script_weights(session: Session) -> list[np.ndarray]:
    """Run the session's exported script here and return its model's weights."""
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(python_script(session), "export.py", "exec"), namespace)
    return namespace["model"].get_weights()


# -- the seed's own network ------------------------------------------------------------------
def test_the_seed_preset_is_the_notebooks_network_and_weights():
    session = Session("s", parse_config(SEED_PRESET))
    ours = session.model.get_weights()
    theirs = seed_network().get_weights()
    assert [w.shape for w in ours] == [(3, 4), (4, 1)]  # no bias anywhere: two arrays
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert session.data.feature_names == ["x0", "x1", "x2"]
    assert session.data.x_all[:, 2].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert session.model.loss.name == "half_sum_squared_error"
    assert [layer.activation.name for layer in session.dense_layers()] == ["sigmoid", "sigmoid"]


def test_the_seed_preset_trains_to_the_notebooks_printed_outputs(client):
    expected = notebook_outputs()
    assert len(expected) == 4  # [0.028, 0.925, 0.925, 0.090], as the notebook printed them
    sid = create(client, SEED_PRESET)["id"]
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": 1000}).json()
    assert state["step"] == 1000 and state["metrics"]["accuracy"] == 1.0
    got = [round(row[0], 3) for row in state["predictions"]]
    assert got == expected
    # the listed rows are the data set's, in its order, with a bias-free layer shown as such
    assert state["layers"][0]["use_bias"] is False and state["layers"][0]["bias"] == []
    # the plane is drawn with x2 held at 1: the seed's XOR has a decision surface too
    assert state["grids"]["extent"][2] == [1.0, 1.0]
    assert len(state["grids"]["label"]) == 50 * 50


def test_the_seed_preset_steps_through_with_its_narration(client):
    sid = create(client, SEED_PRESET)["id"]
    trace = client.post(f"/api/sessions/{sid}/trace", json={"example": 1}).json()
    assert trace["x"] == [0.0, 1.0, 1.0] and trace["label"] == 1
    symbols = [e["symbol"] for s in trace["stages"] for e in s["entries"]]
    assert "dC/dW1" in symbols and "dC/db1" not in symbols  # no bias, no bias gradient


# -- every new field is checked on arrival ---------------------------------------------------
BAD = [
    (
        {"layers": [{"units": 2, "use_bias": 0}]},
        "layers[0].use_bias: expected true or false, got 0.",
    ),
    (
        {"layers": [{"units": 2, "use_bias": "false"}]},
        "layers[0].use_bias: expected true or false, got 'false'.",
    ),
    ({"output_bias": None}, "output_bias: expected true or false, got None."),
    (
        {"output_bias": "<img src=x onerror=alert(1)>"},
        "output_bias: expected true or false, got '<img src=x onerror=alert(1)>'.",
    ),
    (
        {"initializer": "he_normal"},
        "initializer: expected one of 'glorot_uniform', 'seed_notebook', got 'he_normal'.",
    ),
    ({"initializer": ["seed_notebook"]}, "initializer: expected one of"),
    ({"l1": -0.1}, "l1: expected a number from 0 to 1, got -0.1."),
    ({"l1": 2}, "l1: expected a number from 0 to 1, got 2."),
    ({"l1": True}, "l1: expected a number from 0 to 1, got true (a boolean is not a number)."),
    ({"l1": "0.1"}, "l1: expected a number from 0 to 1, got '0.1'."),
    ({"l1": 10**400}, "l1: expected a number from 0 to 1, got an integer of about 401 digits."),
    (
        {"dataset": {"name": "sine"}, "loss": "binary_crossentropy"},
        "loss: the sine data set holds numbers to fit, not classes, so it takes mse or "
        "half_sum_squared_error, got 'binary_crossentropy'. Choose mse (mean squared error).",
    ),
    (
        {"dataset": {"name": "sine"}, "loss": "categorical_crossentropy"},
        "loss: the sine data set holds numbers to fit, not classes",
    ),
    ({"dataset": {"name": "sine", "n_samples": 5}}, "dataset.n_samples: expected an integer"),
    (
        {"layers": [{"units": 2, "use_bias": False, "bias": 1}]},
        "layers[0]: unknown field(s) 'bias'.",
    ),
]


@pytest.mark.parametrize("config, message", BAD)
def test_new_fields_refuse_what_they_cannot_take(client, config, message):
    response = client.post("/api/sessions", json={**XOR_241, **config})
    assert response.status_code == 400
    assert response.json()["error"].startswith(message), response.json()["error"]
    assert len(response.json()["error"]) < 400  # an echo is cut, never the whole value


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_l1_refuses_what_json_readers_turn_into_nan_or_inf(client, value):
    # Python's JSON reader takes NaN and Infinity (and 1e400 becomes inf): refused by name
    body = '{"dataset": {"name": "sine"}, "loss": "mse", "l1": ' + value + "}"
    response = client.post(
        "/api/sessions", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("l1: expected a number from 0 to 1, got ")


def test_a_huge_markup_value_in_a_new_field_comes_back_short_and_as_text(client):
    for field in ("output_bias", "initializer"):
        response = client.post("/api/sessions", json={**XOR_241, field: "<b>" * 300_000})
        assert response.status_code == 400
        message = response.json()["error"]
        assert message.startswith(f"{field}: expected ") and "(900000 characters)" in message
        assert len(message) < 300


def test_a_config_round_trips_through_json_with_the_new_fields():
    config = parse_config(
        {
            **SEED_PRESET,
            "l1": 0.01,
            "layers": [{"units": 3, "activation": "tanh", "use_bias": False}],
        }
    )
    again = parse_config(config.to_json())
    assert again == config and again.layers[0].use_bias is False and again.l1 == 0.01


# -- regression: the sine ------------------------------------------------------------------------
SINE = {
    "dataset": {"name": "sine", "n_samples": 120, "noise": 0.05},
    "layers": [{"units": 8, "activation": "tanh"}],
    "loss": "mse",
    "optimizer": "adam",
    "learning_rate": 0.02,
    "batch_size": 8,
}


def test_sine_fits_a_curve_with_a_linear_output(client):
    state = create(client, SINE)
    assert state["regression"] is True and state["classes"] == 0
    # no surface (no labels), but each unit's output along x for the diagram's squares
    grids = state["grids"]
    assert grids["label"] == [] and [len(u) for u in grids["units"]] == [8, 1]
    first_row = grids["units"][0][0][:20]
    assert grids["units"][0][0] == first_row * 20  # columns are x, rows repeat
    assert state["layers"][-1]["activation"] == "linear" and state["layers"][-1]["units"] == 1
    assert state["features"] == ["x"] and state["metrics"]["accuracy"] is None
    first = state["metrics"]["loss"]
    sid = state["id"]
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": 1500}).json()
    assert state["metrics"]["loss"] < first / 5  # it learns the sine
    curve = state["curve"]
    assert len(curve["x"]) == len(curve["y"]) == 100
    assert curve["extent"][0] < -math.pi < math.pi < curve["extent"][1]
    # the curve is the model's output there: near sin(x) inside the data's range
    inside = [(x, y) for x, y in zip(curve["x"], curve["y"], strict=True) if abs(x) < 2.5]
    assert max(abs(y - math.sin(x)) for x, y in inside) < 0.25
    # the test split keeps a quarter, numbers not classes
    data = client.get(f"/api/sessions/{sid}").json()["data"]
    assert len(data["x_test"]) == 30 and isinstance(data["y_train"][0], float)
    trace = client.post(f"/api/sessions/{sid}/trace", json={"example": 0}).json()
    assert trace["label"] == pytest.approx(data["y_train"][0])  # the number to fit, not int()


def test_sine_takes_the_seeds_half_sum_too_and_the_classes_sets_do_not_have_a_curve(client):
    state = create(client, {**SINE, "loss": "half_sum_squared_error"})
    assert state["curve"] is not None and state["layers"][-1]["activation"] == "linear"
    assert create(client, XOR_241)["curve"] is None


# -- L1 beside L2 ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "l1, l2, kind",
    [
        (0.01, 0.0, gn.regularizers.L1),
        (0.0, 0.01, gn.regularizers.L2),
        (0.01, 0.02, gn.regularizers.L1L2),
    ],
)
def test_l1_l2_and_both_reach_every_kernel(l1, l2, kind):
    session = Session("s", parse_config({**XOR_241, "l1": l1, "l2": l2}))
    for layer in session.dense_layers():
        regularizer = layer.kernel_regularizer
        assert type(regularizer) is kind
        assert getattr(regularizer, "l1", 0.0) == l1 and getattr(regularizer, "l2", 0.0) == l2


def test_l1_changes_the_training():
    plain = Session("a", parse_config(XOR_241))
    sparse = Session("b", parse_config({**XOR_241, "l1": 0.05}))
    plain.train(50)
    sparse.train(50)
    assert not np.allclose(plain.model.get_weights()[0], sparse.model.get_weights()[0])
    assert sparse.history[-1]["loss"] > plain.history[-1]["loss"]  # the penalty is in the loss


# -- the exported script ends on the session's very weights -----------------------------------
@pytest.mark.parametrize(
    "config, steps",
    [
        (SEED_PRESET, 25),
        ({**SINE, "l1": 0.001, "l2": 0.002, "layers": [{"units": 5, "use_bias": False}]}, 23),
        ({**XOR_241, "l1": 0.01, "output_bias": False, "initializer": "seed_notebook"}, 9),
        (
            {
                **XOR_241,
                "dataset": {"name": "blobs", "n_samples": 40, "classes": 3},
                "loss": "half_sum_squared_error",
                "batch_size": 6,
            },
            7,
        ),
    ],
)
def test_the_exported_script_gives_the_sessions_weights(config, steps):
    session = Session("s", parse_config(config))
    session.train(steps)
    for ours, theirs in zip(session.model.get_weights(), script_weights(session), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_an_exported_seed_model_imports_back_with_its_switches(client):
    source = Session("a", parse_config({**SEED_PRESET, "l1": 0.001}))
    source.train(10)
    target = Session("b", parse_config({**SEED_PRESET, "initializer": "glorot_uniform"}))
    import_into(target, to_bytes(source.model))
    assert target.config.layers[0].use_bias is False and target.config.output_bias is False
    assert target.config.l1 == 0.001
    for a, b in zip(target.model.get_weights(), source.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_trace_of_a_seed_session_is_a_look_not_a_step():
    session = Session("s", parse_config(SEED_PRESET))
    before = session.model.get_weights()
    trace_example(session, "train", 0, "student")
    for a, b in zip(before, session.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_export_of_a_served_seed_session_ends_on_the_weights_the_page_shows(client):
    sid = create(client, {**SEED_PRESET, "l1": 0.0005})["id"]
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": 40}).json()
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(client.get(f"/api/sessions/{sid}/export.py").text, namespace)
    weights = namespace["model"].get_weights()
    assert [w.tolist() for w in weights] == [layer["kernel"] for layer in state["layers"]]
    assert f"train loss {state['metrics']['loss']!r} accuracy" in printed.getvalue()
