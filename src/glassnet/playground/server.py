"""Serving the playground with uvicorn, with every connection bounded in time.

uvicorn closes a kept-alive connection that stays idle (``timeout_keep_alive``) but waits for ever
for a request that is only half sent: a client that opens a connection and sends one byte of its
headers every few seconds holds it open, and 1,500 of them hold the server. ``BoundedH11Protocol``
gives each request ``LIMITS["request_head_seconds"]`` from the moment the connection can take it
(when it opens, or when the previous answer was sent) to deliver its request line and headers;
then the connection is closed. A body that trickles in is bounded by the app
(``LIMITS["body_seconds"]``, 408). The number of connections is not capped (a cap would turn
away the page's own requests while slow clients hold it); each slow one costs a file descriptor
for at most those seconds.

``bind`` takes the port before anything is announced, so a busy port is a clear error (and the
socket is handed to uvicorn: nobody can take the port in between).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import Server

from glassnet.playground.config import LIMITS


class BoundedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with a deadline for each request's line and headers."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        seconds = LIMITS["request_head_seconds"]
        self._head_timer = self.loop.call_later(seconds, self._head_timeout)

    def _head_timeout(self) -> None:
        """Close the connection when no whole request head has arrived since the timer began."""
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE and self._head_timer is not None:
            self._head_timer.cancel()  # the head is in: the app bounds the rest
            self._head_timer = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()  # the next request on this connection gets its own deadline

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port), or OSError (e.g. the port is in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def make_server(app: Any, host: str, port: int) -> Server:
    """A uvicorn server for ``app`` with the playground's time and connection bounds."""
    config = Config(
        app,
        host=host,
        port=port,
        http=BoundedH11Protocol,
        ws="none",
        lifespan="off",
        log_level="warning",
        timeout_keep_alive=LIMITS["keep_alive_seconds"],
        timeout_graceful_shutdown=2,
    )
    return Server(config)


def serve(app: Any, sock: socket.socket) -> None:
    """Run ``app`` on the bound ``sock`` until Ctrl+C."""
    host, port = sock.getsockname()[:2]
    make_server(app, host, port).run(sockets=[sock])
