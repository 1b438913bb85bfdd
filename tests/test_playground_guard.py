"""The playground's gate (guard.py): Host, Origin and Content-Type checks on every route, the
security headers on every answer, and a page with nothing inline for the CSP to forbid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from glassnet.playground.app import STATIC, create_app
from glassnet.playground.guard import CONTENT_SECURITY_POLICY
from helpers import XOR_241

BASE = "http://127.0.0.1:8000"
JSON = {"Content-Type": "application/json"}
UPLOAD = {"Content-Type": "application/octet-stream"}


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(port=8000), base_url=BASE)


@pytest.fixture
def sid(client: TestClient) -> str:
    return client.post("/api/sessions", json=XOR_241).json()["id"]


def every_route(sid: str, model: bytes) -> list[tuple[str, str, dict]]:
    """(method, path, request arguments) for every route, each a request the page makes."""
    api = f"/api/sessions/{sid}"
    return [
        ("GET", "/", {}),
        ("GET", "/static/app.js", {}),
        ("GET", "/api/limits", {}),
        ("POST", "/api/sessions", {"json": XOR_241}),
        ("GET", api, {}),
        ("POST", api + "/train", {"json": {"steps": 1}}),
        ("POST", api + "/reset", {}),
        ("POST", api + "/trace", {"json": {"example": 0}}),
        ("GET", api + "/export.py", {}),
        ("GET", api + "/export.glassnet", {}),
        ("POST", api + "/import", {"content": model, "headers": UPLOAD}),
    ]


def with_headers(arguments: dict, extra: dict) -> dict:
    return {**arguments, "headers": {**arguments.get("headers", {}), **extra}}


def test_every_route_answers_its_own_host_only(client, sid):
    model = client.get(f"/api/sessions/{sid}/export.glassnet").content
    for method, path, arguments in every_route(sid, model):
        for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST:8000"):
            answer = client.request(method, path, **with_headers(arguments, {"Host": host}))
            assert answer.status_code in (200, 201), (method, path, host, answer.text)
        for host in (
            "evil.example:8000",  # a rebound DNS name pointing at 127.0.0.1
            "127.0.0.1:8001",
            "127.0.0.1",
            "localhost",
            "0.0.0.0:8000",
            "127.0.0.1:8000.evil.example",
            "",
        ):
            answer = client.request(method, path, **with_headers(arguments, {"Host": host}))
            assert answer.status_code == 403, (method, path, host)
            assert answer.json()["error"].startswith(f"Host {host!r} is not this playground's")
            assert "127.0.0.1:8000" in answer.json()["error"]


def test_state_changing_requests_from_a_foreign_origin_are_refused(client, sid):
    model = client.get(f"/api/sessions/{sid}/export.glassnet").content
    for method, path, arguments in every_route(sid, model):
        for origin in (
            "http://evil.example",
            "null",
            "http://127.0.0.1:8001",
            "https://127.0.0.1:8000",
            "http://127.0.0.1:8000.evil.example",
        ):
            answer = client.request(method, path, **with_headers(arguments, {"Origin": origin}))
            if method == "GET":
                assert answer.status_code == 200, (path, origin)  # reading: CORS withholds it
                assert "access-control-allow-origin" not in answer.headers
            else:
                assert answer.status_code == 403, (method, path, origin)
                assert answer.json()["error"] == (
                    f"A POST from the origin {origin!r} is refused: only the playground's own "
                    f"page (http://127.0.0.1:8000) may change its sessions."
                )
        for origin in ("http://127.0.0.1:8000", "http://localhost:8000"):
            answer = client.request(method, path, **with_headers(arguments, {"Origin": origin}))
            assert answer.status_code in (200, 201), (method, path, origin, answer.text)


def test_cross_site_simple_posts_cannot_evict_a_session(client, sid):
    # before: 65 text/plain POSTs (what any web page may send cross-site without asking) made
    # 65 sessions and evicted the user's
    for n in range(70):
        kind = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")[n % 3]
        answer = client.post("/api/sessions", content=b"{}", headers={"Content-Type": kind})
        assert answer.status_code == 415
        assert answer.json()["error"] == (
            f"/api/sessions takes a body of Content-Type application/json, got {kind!r}. Send "
            f"JSON with Content-Type: application/json."
        )
    assert client.get(f"/api/sessions/{sid}").status_code == 200
    assert client.get("/api/limits").json()["sessions"] == 1


def test_bodies_must_declare_their_type(client, sid):
    api = f"/api/sessions/{sid}"
    cases = [
        (api + "/train", b'{"steps": 1}', {}, "got none"),
        (api + "/train", b'{"steps": 1}', {"Content-Type": "text/plain"}, "got 'text/plain'"),
        (api + "/trace", b"{}", {"Content-Type": "application/jsonx"}, "application/json"),
        (api + "/reset", b"", {"Content-Type": "text/plain"}, "got 'text/plain'"),
        (api + "/import", b"PK", JSON, "takes a body of Content-Type application/octet-stream"),
        (api + "/import", b"PK", {}, "application/octet-stream, got none"),
    ]
    for path, body, headers, message in cases:
        answer = client.post(path, content=body, headers=headers)
        assert answer.status_code == 415, (path, headers)
        assert message in answer.json()["error"], answer.json()
    # JSON with a charset, and an empty POST with no type (the page's Reset) are fine
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert client.post(api + "/train", content=b'{"steps": 1}', headers=charset).status_code == 200
    assert client.post(api + "/reset").status_code == 200


def test_every_answer_carries_the_security_headers(client, sid):
    answers = [
        client.get("/"),
        client.get("/static/style.css"),
        client.get("/api/limits"),
        client.get(f"/api/sessions/{sid}/export.py"),
        client.get("/api/nowhere"),  # 404
        client.delete("/api/limits"),  # 405
        client.post("/api/sessions", json={"seed": -1}),  # 400
        client.post("/api/sessions", content=b"x", headers={"Content-Type": "text/plain"}),  # 415
        client.get("/", headers={"Host": "evil.example"}),  # 403
        client.post("/api/sessions", content=b" " * 1_000_001, headers=JSON),  # 413
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 404, 405, 400, 415, 403, 413]
    for answer in answers:
        policy = answer.headers["content-security-policy"]
        assert policy == CONTENT_SECURITY_POLICY
        for directive in (
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ):
            assert directive in policy
        assert "unsafe" not in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"


def test_the_page_has_nothing_inline_and_no_script_parses_html():
    page = (STATIC / "index.html").read_text()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all(re.search(r'\bsrc="/static/\w+\.js"', tag) for tag in scripts)
    bodies = re.findall(r"<script\b[^>]*>(.*?)</script>", page, flags=re.DOTALL)
    assert len(bodies) == len(scripts) and all(b.strip() == "" for b in bodies)  # none inline
    assert re.findall(r"\son\w+\s*=", page) == []  # no inline handlers
    assert "<style" not in page and re.findall(r"\sstyle\s*=", page) == []
    assert "javascript:" not in page
    for path in Path(STATIC).glob("*.js"):
        text = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, (path.name, sink)
        assert "new Function" not in text and 'setAttribute("on' not in text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "POST"])
def test_every_state_changing_method_is_checked(client, sid, method):
    path = f"/api/sessions/{sid}/reset"
    foreign = client.request(method, path, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    typed = client.request(method, path, content=b"x", headers={"Content-Type": "text/plain"})
    assert typed.status_code == 415
    doubled = client.request(method, path, headers=[("Host", "127.0.0.1:8000")] * 2)
    assert doubled.status_code == 403  # two Host headers never match


def test_errors_are_json_never_html_even_with_markup_in_the_path(client, monkeypatch):
    answer = client.get("/%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.json()["error"].startswith("No such page or endpoint: /<img src=x")
    # a bug (a 500, answered by Starlette's outermost error handler) carries the headers too
    from glassnet.playground import app as app_module

    def broken(session):
        raise RuntimeError("a bug")

    monkeypatch.setattr(app_module, "python_script", broken)
    failing = TestClient(create_app(port=8000), base_url=BASE, raise_server_exceptions=False)
    sid = failing.post("/api/sessions", json=XOR_241).json()["id"]
    answer = failing.get(f"/api/sessions/{sid}/export.py")
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "The playground failed on this request (RuntimeError: a bug)."
    }
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_a_busy_session_answers_409_instead_of_holding_a_thread(client, sid, monkeypatch):
    from glassnet.playground import app as app_module

    monkeypatch.setattr(app_module, "BUSY_SECONDS", 0.05)
    store_session = client.app.app.state.store.get(sid)  # Guard -> Starlette -> its sessions
    # hold the session's lock as a long training request would
    with store_session.lock:
        answer = client.post(f"/api/sessions/{sid}/train", json={"steps": 1})
        assert answer.status_code == 409
        assert answer.json()["error"].startswith("This session is busy with another request")
        assert client.get("/api/limits").status_code == 200  # the others go on
    assert client.post(f"/api/sessions/{sid}/train", json={"steps": 1}).status_code == 200
