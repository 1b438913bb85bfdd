"""The playground's messages say what is wrong in words, and never echo a hostile value whole:
every received value a message shows is cut to about 80 characters, its control and bidi
characters escaped."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from glassnet.playground.app import create_app

JSON = {"Content-Type": "application/json"}
XOR = {"dataset": {"name": "xor"}}


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(), base_url="http://127.0.0.1:8000")


def error_of(response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]


def csv_with_target(values: list[str]) -> str:
    return "a,b,kind\n" + "".join(f"{i / 10},{i % 3},{v}\n" for i, v in enumerate(values))


def test_a_target_of_huge_whole_numbers_is_not_called_fractional(client):
    # before: "the uploaded CSV's target column holds fractional numbers"
    values = [f"{k}e20" for k in range(12)]
    setup = {"dataset": {"name": "csv", "csv": csv_with_target(values)}}
    message = error_of(client.post("/api/sessions", json=setup))
    assert "holds numbers too large to be class labels (up to 1.1e+21;" in message
    assert "fractional" not in message


def test_an_integer_of_5000_digits_gets_the_playgrounds_own_message(client):
    # before: Python's "... use sys.set_int_max_str_digits() to increase the limit"
    body = '{"seed": ' + "9" * 5000 + "}"
    message = error_of(client.post("/api/sessions", content=body, headers=JSON))
    assert message == (
        "The request body holds an integer with more than 4300 digits; no field takes one. "
        "Send the numbers the page sends (a seed is at most 2147483647)."
    )


def test_a_4000_digit_seed_is_shown_by_its_size(client):
    message = error_of(client.post("/api/sessions", json={"seed": 10**4000}))
    assert message == (
        "seed: expected an integer from 0 to 2147483647, got an integer of about 4001 digits."
    )


def test_a_boolean_is_not_a_seed_nor_a_number(client):
    message = error_of(client.post("/api/sessions", json={"seed": True}))
    assert message.endswith("got true (a boolean is not a seed).")
    message = error_of(client.post("/api/sessions", json={"learning_rate": False}))
    assert message.endswith("got false (a boolean is not a number).")


def test_no_test_set_is_said_in_words(client):
    # before: "example: expected an index from 0 to -1 of the test set, got 0."
    sid = client.post("/api/sessions", json=XOR).json()["id"]
    message = error_of(client.post(f"/api/sessions/{sid}/trace", json={"split": "test"}))
    assert message.startswith("split: this session has no test set (its test share is 0).")


HUGE = "<b>" * 300_000  # 900 kB, under the 1 MB body bound


@pytest.mark.parametrize(
    ("setup", "start"),
    [
        ({"layers": [{"activation": HUGE}]}, "layers[0].activation: expected one of"),
        ({"loss": HUGE}, "loss: expected one of"),
        ({"optimizer": HUGE}, "optimizer: expected one of"),
        ({"dataset": {"name": HUGE}}, "dataset.name: expected one of"),
        ({"layers": [{"units": HUGE}]}, "layers[0].units: expected an integer"),
        ({"learning_rate": HUGE}, "learning_rate: expected a number"),
        ({"seed": HUGE}, "seed: expected an integer"),
        ({HUGE: 1}, "config: unknown field(s) '<b><b>"),
        ({"dataset": {"name": "csv", "csv": "a,b,c\n1,2,0\n", "target": HUGE}}, "dataset.target"),
    ],
)
def test_a_huge_value_is_cut_in_the_message(client, setup, start):
    # before: the 900 kB value came back whole in the 400 answer
    message = error_of(client.post("/api/sessions", json=setup))
    assert message.startswith(start)
    assert len(message) < 600
    if "unknown field" not in message:
        assert "... (900000 characters)" in message


def test_huge_values_on_the_other_routes_are_cut(client):
    sid = client.post("/api/sessions", json=XOR).json()["id"]
    for payload in ({"split": HUGE}, {"level": HUGE}, {"example": HUGE}):
        message = error_of(client.post(f"/api/sessions/{sid}/trace", json=payload))
        assert len(message) < 400 and "(900000 characters)" in message
    message = error_of(client.post(f"/api/sessions/{sid}/train", json={"steps": HUGE}))
    assert len(message) < 400
    message = error_of(client.get("/api/sessions/" + "f" * 5000), 404)
    assert message.startswith("No session 'ffff") and len(message) < 400
    message = error_of(client.get("/api/" + "x" * 5000), 404)
    assert message.startswith("No such page or endpoint: /api/xxx") and len(message) < 200


def test_bidi_controls_in_echoed_values_are_escaped(client):
    # before: a right-to-left override echoed as it is reorders the message on the page
    message = error_of(client.post("/api/sessions", json={"loss": "\u202eevil"}))
    assert message.endswith("got '\\u202eevil'.")
    message = error_of(client.get("/api/\u202enowhere"), 404)
    assert "\u202e" not in message and "/api/\\u202enowhere" in message


def test_a_model_files_layer_name_is_cut_and_escaped_in_the_import_message(client, tmp_path):
    import glassnet as gn

    name = "<b>" * 85  # the longest name a model may have (256 printable characters; a bidi
    # control or a longer name is refused when the layer is made, and by the loader)
    model = gn.Sequential(
        [
            gn.Input(shape=(2,)),
            # 9 units: more than the page shows (a layer without bias is taken since the seed's
            # network has none: it named the layer before)
            gn.layers.Dense(9, activation="tanh", name=name),
            gn.layers.Dense(1, activation="sigmoid"),
        ],
        dtype="float64",
    )
    path = tmp_path / "named.glassnet"
    model.save(path)
    sid = client.post("/api/sessions", json=XOR).json()["id"]
    response = client.post(
        f"/api/sessions/{sid}/import",
        content=path.read_bytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    message = error_of(response)
    assert message.startswith("The file's layer '<b><b><b>")
    assert "... (255 characters) is Dense(9, 'tanh'); the playground takes at most 8" in message
    assert len(message) < 260
