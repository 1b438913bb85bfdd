"""The playground's gate: what every request must be before the app sees it, and the headers every
answer carries. A local server is reachable by every web site its user visits (cross-site requests,
DNS rebinding), so it checks what Jupyter's server checks:

- **Host**: only the address the server was started on, ``127.0.0.1:PORT``, ``localhost:PORT``,
  ``[::1]:PORT`` (and the ``--host`` given, with ``--allow-remote``); anything else is 403. A
  rebound DNS name (``evil.example:PORT`` pointing at 127.0.0.1) fails here.
- **Origin**: a state-changing request (any method but GET, HEAD, OPTIONS) whose ``Origin`` is
  present must come from one of those addresses (``http://127.0.0.1:PORT``): else 403. A page on
  another site cannot make the playground create, train or import.
- **Content-Type**: a state-changing request carries ``application/json`` (or no body and no type
  at all); the model-file upload (``/import``) carries ``application/octet-stream``. Anything else
  is 415, so the "simple" cross-site forms (``text/plain``, form encodings) never reach a route.
- **Headers on every answer**: a Content-Security-Policy that allows scripts, styles and fetches
  from the page's own origin only (no inline script, no ``eval``, no plugins, no framing, no
  ``<base>``), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and
  ``Cache-Control: no-store`` on the API.

Every refusal is JSON, ``{"error": message}``, as the app's own errors are.

>>> sorted(allowed_hosts(8000))
['127.0.0.1:8000', '[::1]:8000', 'localhost:8000']
>>> sorted(allowed_hosts(80, "example.org"))[:2]
['127.0.0.1', '127.0.0.1:80']
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
UPLOAD_TYPE = "application/octet-stream"


def allowed_hosts(port: int, host: str | None = None) -> set[str]:
    """The Host header values the server answers: the loopback names on ``port`` (and ``host``,
    the address given with ``--allow-remote``). On port 80 a Host without the port is the same."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host:
        names.add(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts |= names
    return hosts


class Guard:
    """ASGI middleware: the checks above, then ``app``. ``port`` None means the port the
    connection arrived on (the ASGI scope's ``server``), which is what a test server has."""

    def __init__(self, app: App, port: int | None = None, host: str | None = None) -> None:
        self.app = app
        self.port = port
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_security_headers(scope)]
            await send(message)

        if refusal is None:
            await self.app(scope, receive, send_with_headers)
            return
        status, text = refusal
        body = json.dumps({"error": text}).encode()
        await send_with_headers(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """(status, message) when the request is refused, else None."""
        headers = _headers(scope)
        port = self.port if self.port is not None else (scope.get("server") or ("", 0))[1]
        hosts = allowed_hosts(int(port or 0), self.host)
        host = headers.get("host", "")
        if host.lower() not in hosts:
            return 403, (
                f"Host {host!r} is not this playground's address; it answers only "
                f"{', '.join(sorted(hosts))}. Open the page at http://127.0.0.1:{port}/ "
                f"(a page on another site, or a rebound DNS name, is refused)."
            )
        if scope["method"] in SAFE_METHODS:
            return None
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in {f"http://{h}" for h in hosts}:
            return 403, (
                f"A {scope['method']} from the origin {origin!r} is refused: only the playground's "
                f"own page (http://{host}) may change its sessions."
            )
        return _content_type_refusal(scope["path"], headers)


def _content_type_refusal(path: str, headers: dict[str, str]) -> tuple[int, str] | None:
    declared = headers.get("content-type")
    kind = declared.split(";")[0].strip().lower() if declared is not None else None
    expected = UPLOAD_TYPE if path.endswith("/import") else "application/json"
    if kind == expected:
        return None
    length = headers.get("content-length", "")
    if kind is None and "transfer-encoding" not in headers and length in ("", "0"):
        return None  # no body at all (e.g. POST .../reset)
    return 415, (
        f"{path} takes a body of Content-Type {expected}, got "
        f"{'none' if declared is None else repr(declared)}. Send "
        f"{'the .glassnet file bytes' if expected == UPLOAD_TYPE else 'JSON'} with "
        f"Content-Type: {expected}."
    )


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the last of a repeated name wins, except Host
    and Origin: a repeated one is refused by making it match nothing)."""
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in out and name in ("host", "origin", "content-type"):
            value = out[name] + ", " + value  # two Hosts or two Origins never match
        out[name] = value
    return out


def _security_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-resource-policy", b"same-origin"),
    ]
    if scope["path"].startswith("/api/"):
        headers.append((b"cache-control", b"no-store"))
    return headers
