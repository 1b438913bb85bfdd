"""Importing a .glassnet file into a playground session: all or nothing, and what the page cannot
show (a LeakyReLU slope, a penalty on one layer only, mixed L2 strengths) is refused, never
changed; one without biases (the seed's) or with L1 is taken as it is."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.testclient import TestClient

import glassnet as gn
from glassnet.playground.app import create_app
from helpers import XOR_241

UPLOAD = {"Content-Type": "application/octet-stream"}  # the model-file import's type


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(port=8000), base_url="http://127.0.0.1:8000")


def create(client: TestClient, config: dict) -> dict:
    response = client.post("/api/sessions", json=config)
    assert response.status_code == 201, response.text
    return response.json()


def forged_model_file(tmp_path, change) -> bytes:
    """A real 2-3-3 relu/softmax export whose weights ``change(arrays)`` alters, resealed (with a
    correct checksum) as a forger would: only the playground's own checks stand in the way."""
    from glassnet import io as model_io
    from helpers import header_of, read_members, write_members

    model = gn.Sequential(
        [
            gn.Input(shape=(2,)),
            gn.layers.Dense(3, activation="relu"),
            gn.layers.Dense(3, activation="softmax"),
        ],
        dtype="float64",
        seed=1,
    )
    path = tmp_path / "model.glassnet"
    model.save(path)
    arrays = read_members(path.read_bytes())
    header = header_of(arrays)
    del arrays["header"]
    change(arrays)
    header["checksum"] = model_io._checksum(header, arrays)
    return write_members(tmp_path / "forged.glassnet", arrays, header).read_bytes()


def test_a_refused_import_leaves_the_session_as_it_was(client, tmp_path):
    # before: weights that overflow on the data were refused with a 500, but the session kept
    # the file's layers and weights, marked "imported", and every /reset failed
    spiral = {**XOR_241, "dataset": {"name": "spiral", "classes": 3, "n_samples": 60}}
    sid = create(client, {**spiral, "loss": "categorical_crossentropy"})["id"]
    client.post(f"/api/sessions/{sid}/train", json={"steps": 3})
    before = client.get(f"/api/sessions/{sid}").json()

    def overflow(arrays):
        arrays["weights/0"] = np.full_like(arrays["weights/0"], 1e308)
        arrays["weights/2"] = np.full_like(arrays["weights/2"], 1e308)

    bad = forged_model_file(tmp_path, overflow)
    answer = client.post(f"/api/sessions/{sid}/import", content=bad, headers=UPLOAD)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("The file's weights do not work on this data set (")
    assert answer.json()["error"].endswith("); the session is unchanged.")
    assert client.get(f"/api/sessions/{sid}").json() == before  # exactly as it was
    reset = client.post(f"/api/sessions/{sid}/reset")
    assert reset.status_code == 200 and not reset.json()["imported"]
    # a good file still imports afterwards
    good = forged_model_file(tmp_path, lambda arrays: None)
    state = client.post(f"/api/sessions/{sid}/import", content=good, headers=UPLOAD).json()
    layer = {"units": 3, "activation": "relu", "use_bias": True}
    assert state["imported"] and state["config"]["layers"] == [layer]


@pytest.mark.parametrize(
    "hidden, message",
    [
        (
            gn.layers.Dense(3, activation=gn.activations.LeakyReLU(0.9), name="leaky"),
            "The file's layer 'leaky' uses leaky_relu with negative_slope=0.9; the playground's "
            "leaky_relu has negative_slope=0.01 and cannot show another, so the file is refused "
            "rather than changed.",
        ),
        (
            gn.layers.Dense(3, activation="tanh", kernel_regularizer=gn.regularizers.L1(0.1)),
            "The file's layers have the penalties L1 0 L2 0, L1 0.1 L2 0; the playground sets "
            "one L1 and one L2 strength, each from 0 to 1, for every layer.",
        ),
        (
            gn.layers.Dense(3, activation="tanh", kernel_regularizer=gn.regularizers.L2(0.3)),
            "The file's layers have the penalties L1 0 L2 0, L1 0 L2 0.3; the playground sets",
        ),
    ],
)
def test_what_the_page_cannot_show_is_refused_not_changed(client, hidden, message):
    # before: LeakyReLU(0.9) was imported as the page's leaky_relu, slope 0.01
    sid = create(client, XOR_241)["id"]
    before = client.get(f"/api/sessions/{sid}").json()
    model = gn.Sequential(
        [gn.Input(shape=(2,)), hidden, gn.layers.Dense(1, activation="sigmoid")],
        dtype="float64",
        seed=3,
    )
    from glassnet.playground.model_files import to_bytes

    answer = client.post(f"/api/sessions/{sid}/import", content=to_bytes(model), headers=UPLOAD)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert client.get(f"/api/sessions/{sid}").json() == before


def test_an_imported_l2_strength_is_kept():
    from glassnet.playground.config import parse_config
    from glassnet.playground.model_files import import_into, to_bytes
    from glassnet.playground.sessions import Session

    l2 = gn.regularizers.L2(0.25)
    model = gn.Sequential(
        [
            gn.Input(shape=(2,)),
            gn.layers.Dense(3, activation="relu", kernel_regularizer=l2),
            gn.layers.Dense(1, activation="sigmoid", kernel_regularizer=l2),
        ],
        dtype="float64",
        seed=3,
    )
    session = Session("s", parse_config(XOR_241))
    import_into(session, to_bytes(model))
    assert session.config.l2 == 0.25
    assert session.model.layers[0].kernel_regularizer.l2 == 0.25
