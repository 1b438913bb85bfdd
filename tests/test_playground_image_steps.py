"""The images tab's step-through and gate through Starlette's TestClient: one example's recorded
step (the stamp's sums and the kernel gradient recomputed here from the weights, every shape of
net), hostile trace requests, and the gate (Host, Origin, Content-Type, security headers), the
separate and bounded store, 409 for a busy session on every new route."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.testclient import TestClient

from glassnet.playground import image_routes
from glassnet.playground import images as images_module
from glassnet.playground.app import create_app
from glassnet.playground.guard import CONTENT_SECURITY_POLICY
from glassnet.playground.images import IMAGE_LIMITS
from test_playground_images import BASE, ROW, SMALL, create, error


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(port=8000), base_url=BASE)


@pytest.fixture
def sid(client: TestClient) -> str:
    return create(client, SMALL)["id"]


# -- the step-through ---------------------------------------------------------------------------
def test_trace_works_the_stamp_with_the_engines_numbers_and_changes_nothing(client, sid):
    client.post(f"/api/images/{sid}/train", json={"steps": 10})
    session = client.app.app.state.images.get(sid)
    before = [w.copy() for w in session.model.get_weights()]
    answer = client.post(
        f"/api/images/{sid}/trace", json={"example": 3, "split": "test", "filter": 1}
    )
    assert answer.status_code == 200, answer.text
    step = answer.json()
    after = session.model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))  # only a look
    x = session.data.x_test[3, :, :, 0].astype(np.float64)
    kernel = session.model.layers[0].kernel[:, :, 0, 1].astype(np.float64)
    bias = float(session.model.layers[0].bias[1])
    assert step["label"] == int(session.data.y_test[3])
    np.testing.assert_allclose(step["x"], x, rtol=1e-6)
    stamp = step["stamp"]
    assert stamp["filter"] == 1 and stamp["kernel_size"] == [3, 3]
    # every output pixel recomputed here, independently, from the weights: window * K + b
    for p, terms in enumerate(stamp["terms"]):
        y, col = divmod(p, 6)
        window = x[y : y + 3, col : col + 3]
        np.testing.assert_allclose(terms, (window * kernel).ravel(), rtol=1e-5, atol=1e-7)
        z = float((window * kernel).sum() + bias)
        assert stamp["z"][y][col] == pytest.approx(z, rel=1e-5, abs=1e-6)
        assert sum(terms) + stamp["bias"] == pytest.approx(z, rel=1e-5, abs=1e-6)
    # backward: the partial sums of window * delta end at the engine's dC/dK1 for this filter
    delta = np.array(stamp["delta"])
    gradient = sum(x[y : y + 3, c : c + 3] * delta[y, c] for y in range(6) for c in range(6))
    np.testing.assert_allclose(stamp["partials"][-1], gradient.ravel(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(stamp["kernel_gradient"], gradient, rtol=1e-5, atol=1e-7)
    assert stamp["bias_gradient"] == pytest.approx(delta.sum(), abs=1e-6)
    assert step["reference_gap"] < 1e-6  # the loop reference and the fast path agree
    # the maps, forward then backward, with max pooling's winners: one per 2x2 window
    assert [(m["phase"], m["symbol"]) for m in step["maps"]] == [
        ("forward", "a1"),
        ("forward", "a2"),
        ("backward", "dC/da2"),
        ("backward", "dC/da1"),
        ("backward", "delta1"),
    ]
    pooled = step["maps"][1]
    assert np.array(pooled["winners"]).shape == (2, 6, 6)
    assert (
        np.array(pooled["winners"]).reshape(2, 3, 2, 3, 2).sum(axis=(2, 4)).tolist()
        == [[[1] * 3] * 3] * 2
    )
    assert sum(step["probabilities"]) == pytest.approx(1, abs=1e-5)
    assert step["loss"] == pytest.approx(-np.log(step["probabilities"][step["label"]]), rel=1e-4)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"example": -1}, "example: expected an integer from 0 to 1346, got -1."),
        ({"example": 1347}, "example: expected an integer from 0 to 1346, got 1347."),
        ({"example": 450, "split": "test"}, "example: expected an integer from 0 to 449, got 450."),
        ({"example": "0"}, "example: expected an integer from 0 to 1346, got '0'."),
        ({"example": 1.0}, "example: expected an integer from 0 to 1346, got 1.0."),
        ({"split": "valid"}, "split: expected 'train' or 'test', got 'valid'."),
        ({"split": ["<b>"]}, "split: expected 'train' or 'test', got ['<b>']."),
        ({"filter": 2}, "filter: expected an integer from 0 to 1, got 2."),
        ({"filter": True}, "filter: expected an integer from 0 to 1, got true (a boolean is not "),
        (
            {"level": "kid"},
            "trace: unknown field(s) 'level'. Known fields: example, filter, split.",
        ),
    ],
)
def test_bad_trace_requests_are_refused_with_their_reason(client, sid, body, message):
    assert error(client.post(f"/api/images/{sid}/trace", json=body)).startswith(message)


# -- the gate, the headers, the stores ---------------------------------------------------------
def routes(session: str) -> list[tuple[str, str, dict]]:
    api = f"/api/images/{session}"
    return [
        ("POST", "/api/images", {"json": SMALL}),
        ("GET", api, {}),
        ("POST", api + "/train", {"json": {"steps": 1}}),
        ("POST", api + "/reset", {}),
        ("POST", api + "/predict", {"json": {"pixels": [ROW] * 8}}),
        ("POST", api + "/trace", {"json": {"example": 0}}),
    ]


def test_every_images_route_passes_the_gate_and_carries_the_headers(client, sid):
    for method, path, arguments in routes(sid):
        good = client.request(method, path, **arguments)
        assert good.status_code in (200, 201), (path, good.text)
        assert good.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert good.headers["x-content-type-options"] == "nosniff"
        assert good.headers["cache-control"] == "no-store"
        headers = {**arguments.get("headers", {}), "Host": "evil.example:8000"}
        rebound = client.request(method, path, **{**arguments, "headers": headers})
        assert rebound.status_code == 403, path
        assert rebound.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        if method == "POST":
            foreign = client.request(
                method, path, **{**arguments, "headers": {"Origin": "http://evil.example"}}
            )
            assert foreign.status_code == 403, path
            assert "is refused: only the playground's own page" in foreign.json()["error"]
            typed = client.request(
                method, path, content=b'{"steps": 1}', headers={"Content-Type": "text/plain"}
            )
            assert typed.status_code == 415, path
    bad = client.post(f"/api/images/{sid}/predict", json={"pixels": 1})
    assert bad.status_code == 400
    assert bad.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_dense_and_image_sessions_are_kept_apart(client, sid):
    dense = client.post("/api/sessions", json={}).json()["id"]
    answer = client.post(f"/api/images/{dense}/train", json={"steps": 1})
    assert answer.status_code == 404 and answer.json()["error"].startswith("No session '")
    assert client.post(f"/api/sessions/{sid}/train", json={"steps": 1}).status_code == 404
    assert client.get("/api/images/nope").status_code == 404


def test_image_sessions_are_bounded_and_the_oldest_is_forgotten(client, monkeypatch):
    store = client.app.app.state.images
    assert store.capacity == IMAGE_LIMITS["max_image_sessions"]
    monkeypatch.setattr(store, "capacity", 3)
    ids = [create(client, SMALL)["id"] for _ in range(4)]
    assert len(store) == 3
    assert client.get(f"/api/images/{ids[0]}").status_code == 404
    assert client.get(f"/api/images/{ids[3]}").status_code == 200


def test_a_busy_image_session_answers_409(client, sid, monkeypatch):
    from glassnet.playground import app as app_module

    monkeypatch.setattr(app_module, "BUSY_SECONDS", 0.05)
    with client.app.app.state.images.get(sid).lock:
        answer = client.post(f"/api/images/{sid}/predict", json={"pixels": [ROW] * 8})
        assert answer.status_code == 409
        assert answer.json()["error"].startswith("This session is busy with another request")


def test_the_images_store_makes_image_sessions():
    store = image_routes.image_store()
    assert store.kind is images_module.ImageSession


@pytest.mark.parametrize(
    ("conv", "forward", "backward"),
    [
        ([{"pooling": "none"}], ["a1"], ["dC/da1", "delta1"]),
        ([{"pooling": "average"}], ["a1", "a2"], ["dC/da2", "dC/da1", "delta1"]),
        (
            [{"pooling": "max"}, {"filters": 3, "kernel_size": 2, "pooling": "none"}],
            ["a1", "a2", "a3"],
            ["dC/da3", "delta3", "dC/da2", "dC/da1", "delta1"],
        ),
    ],
)
def test_every_shape_of_net_steps_through(client, conv, forward, backward):
    session = create(client, {"conv": conv})["id"]
    step = client.post(f"/api/images/{session}/trace", json={"example": 1}).json()
    maps = step["maps"]
    assert [m["symbol"] for m in maps if m["phase"] == "forward"] == forward
    assert [m["symbol"] for m in maps if m["phase"] == "backward"] == backward
    winners = [m["symbol"] for m in maps if "winners" in m]
    assert winners == (["a2"] if conv[0]["pooling"] == "max" else [])
    # the stamp's last partial sum is the engine's kernel gradient, whatever follows conv 1
    np.testing.assert_allclose(
        np.array(step["stamp"]["partials"][-1]).reshape(3, 3),
        step["stamp"]["kernel_gradient"],
        rtol=1e-5,
        atol=1e-7,
    )
