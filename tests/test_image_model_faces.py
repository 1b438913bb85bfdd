"""Faces that were written for tables of features, given an image model: the decision-boundary
figures and the playground's model import refuse it by name, with where to look instead (before:
"The model takes None input features ... pass the other 0 as fixed=...", and an import message
about Dense layers that never said the file was an image model)."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.testclient import TestClient

import glassnet as gn
from glassnet import plots
from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D, Rescaling
from helpers import XOR_241

IMAGE_MODEL_MESSAGE = (
    "A decision boundary colours the plane of two input features, but this model takes images of "
    "shape (8, 8, 1) (height, width, channels), which have no such plane. Draw its training "
    "curves with history_figure(history) and look at its predictions with "
    "model.predict(images) instead."
)


def digits_cnn(first: list | None = None) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Input(shape=(8, 8, 1)),
            *(first or []),
            Conv2D(2, 3, activation="relu"),
            MaxPooling2D(),
            Flatten(),
            Dense(10, activation="softmax"),
        ],
        dtype="float64",
        seed=0,
    )


# -- plots.figures ----------------------------------------------------------------------------
def test_decision_grid_refuses_an_image_model_by_name() -> None:
    with pytest.raises(ValueError) as error:
        plots.decision_grid(digits_cnn(), ((0, 1), (0, 1)))
    assert str(error.value) == IMAGE_MODEL_MESSAGE


@pytest.mark.parametrize(
    "x",
    [
        np.zeros((4, 8, 8, 1)),  # the model's own images
        np.zeros((4, 64)),  # the same pixels as rows: still no plane of two features
        np.zeros((4, 2)),  # two columns: the model is refused before x is looked at
    ],
)
def test_decision_boundary_figure_refuses_an_image_model_whatever_x_is(x) -> None:
    with pytest.raises(ValueError) as error:
        plots.decision_boundary_figure(digits_cnn(), x, [0, 1, 2, 3])
    assert str(error.value) == IMAGE_MODEL_MESSAGE


def test_a_model_without_an_input_shape_is_asked_to_be_built() -> None:
    with pytest.raises(ValueError) as error:
        plots.decision_grid(gn.Sequential([Dense(1)]), ((0, 1), (0, 1)))
    assert str(error.value) == (
        "The model does not know its input shape yet, so there is no plane of its inputs to "
        "colour. Build it first: gn.Input(shape=(2,)) as its first item, model.build((None, "
        "2)), or model.fit(x, y)."
    )


def test_a_long_fixed_list_is_counted_not_echoed_whole() -> None:
    # a cousin: the message printed every value of fixed=... (784 of them for a flat MNIST row)
    model = gn.Sequential([gn.Input(shape=(2,)), Dense(1)], seed=0)
    with pytest.raises(ValueError) as error:
        plots.decision_grid(model, ((0, 1), (0, 1)), fixed=[0.5] * 782)
    message = str(error.value)
    assert message.startswith(
        "The model takes 2 input features; a decision boundary plots two of them, so pass the "
        "other 0 as fixed=..., got 782 value(s): fixed=[0.5, 0.5"
    )
    assert len(message) < 300


def test_a_flat_model_still_draws_its_decision_boundary() -> None:
    x, y = gn.datasets.moons(40, noise=0.1, seed=0)
    model = gn.Sequential([gn.Input(shape=(2,)), Dense(1, "sigmoid")], seed=0)
    grid = plots.decision_grid(model, ((-1, 2), (-1, 1)), resolution=3)
    np.testing.assert_array_equal(grid.outputs.reshape(9, 1), model.predict(grid.inputs))
    assert plots.decision_boundary_figure(model, x, y, resolution=5).axes


# -- playground model import --------------------------------------------------------------------
@pytest.fixture
def client() -> TestClient:
    from glassnet.playground.app import create_app

    return TestClient(create_app(port=8000), base_url="http://127.0.0.1:8000")


@pytest.mark.parametrize("first", [[], [Rescaling(1 / 16)]])
def test_the_playground_refuses_an_image_model_by_name_and_keeps_the_session(client, first) -> None:
    from glassnet.playground.model_files import to_bytes

    response = client.post("/api/sessions", json=XOR_241)
    sid = response.json()["id"]
    before = client.get(f"/api/sessions/{sid}").json()
    content = to_bytes(digits_cnn(list(first)))
    answer = client.post(
        f"/api/sessions/{sid}/import",
        content=content,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == (
        "The file holds an image model (its input shape is (8, 8, 1): height, width, channels); "
        "the playground's page draws networks of Dense layers on tables of features and cannot "
        "show it. Load it in Python with glassnet.load_model (summary, predict), or narrate it "
        "with glassnet explain --model FILE --data digits-images (or mnist)."
    )
    assert client.get(f"/api/sessions/{sid}").json() == before


def test_the_playground_still_imports_a_dense_model() -> None:
    from glassnet.playground.config import parse_config
    from glassnet.playground.model_files import import_into, to_bytes
    from glassnet.playground.sessions import Session

    model = gn.Sequential(
        [gn.Input(shape=(2,)), Dense(3, "relu"), Dense(1, "sigmoid")], dtype="float64", seed=3
    )
    session = Session("s", parse_config(XOR_241))
    import_into(session, to_bytes(model))
    assert [layer.units for layer in session.model.layers] == [3, 1]
