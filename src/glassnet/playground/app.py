"""The playground's web app: one static page and a JSON API over glassnet's own engine.

Routes (every answer is JSON unless it is the page, a static file or an export; every error is
``{"error": message}`` with a 4xx status, and the page shows the message as it is):

=======  ===============================  =====================================================
GET      /                                the page
GET      /api/limits                      the bounds and the choices (data sets, losses ...)
POST     /api/sessions                    a new session from a setup; its state and data
GET      /api/sessions/{id}               the state and data
POST     /api/sessions/{id}/train         {"steps": n} or {"epochs": n}: train, then the state
POST     /api/sessions/{id}/reset         start over from the seed (or the imported weights)
POST     /api/sessions/{id}/trace         {"example": i, "split": "train", "level": "kid"}: one
                                          step on one example, recorded, not applied; narrated
GET      /api/sessions/{id}/export.py     the runnable script that reproduces the training
GET      /api/sessions/{id}/export.glassnet   the model file (``model.save``)
POST     /api/sessions/{id}/import        a .glassnet file's bytes (``application/octet-stream``):
                                          its weights into the session
...      /api/images/...                  the images tab (``image_routes``)
=======  ===============================  =====================================================

Every request first passes ``guard.Guard`` (Host, Origin, Content-Type; security headers on every
answer). The work of a request (reading JSON, building data and models, training, tracing,
reading and writing model files, turning the state into JSON) runs in Starlette's thread pool,
never on the event loop, so a long request never holds up another; training stops at
``LIMITS["max_request_seconds"]`` and says so. A session is worked on by one request at a time
(its lock; a request that cannot have it within ``BUSY_SECONDS`` gets 409); other sessions go on
in parallel.

Starlette is imported here, so importing this module needs ``glassnet[playground]``.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from glassnet.explain import LEVELS
from glassnet.model import TrainingDivergedError
from glassnet.playground import config as config_module
from glassnet.playground import model_files
from glassnet.playground.codegen import python_script
from glassnet.playground.config import (
    LIMITS,
    choice,
    echo,
    echo_text,
    integer,
    no_unknown,
    parse_config,
)
from glassnet.playground.guard import Guard
from glassnet.playground.sessions import Session, SessionStore

STATIC = Path(__file__).parent / "static"


class ApiError(Exception):
    """An error the page shows: its message and HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def _body(request: Request) -> bytes:
    """The request body, read no further than ``LIMITS["max_body_bytes"]`` (413 beyond)."""
    most = LIMITS["max_body_bytes"]
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(
                f"The Content-Length header must be a number of bytes, got {echo(declared)}."
            )
        if int(declared) > most:
            raise ApiError(_too_large(int(declared)), 413)
    chunks: list[bytes] = []

    async def read() -> None:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > most:
                raise ApiError(_too_large(size), 413)
            chunks.append(chunk)

    seconds = LIMITS["body_seconds"]
    try:
        await asyncio.wait_for(read(), seconds)
    except TimeoutError:
        raise ApiError(
            f"The request body did not arrive within {seconds} seconds; send it at once.", 408
        ) from None
    return b"".join(chunks)


def _too_large(size: int) -> str:
    return (
        f"The request body has {size} bytes (or more); the playground accepts at most "
        f"{LIMITS['max_body_bytes']}. Send a smaller file."
    )


async def _json(request: Request) -> dict[str, Any]:
    return await run_in_threadpool(_parse_json, await _body(request))


def _parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object ({} for an empty body), or ApiError saying what is wrong."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiError(
            f"The request body is not valid JSON ({error}). Send a JSON object."
        ) from None
    except RecursionError:
        raise ApiError(
            "The request body is JSON nested too deeply to read. Send a flat JSON object like "
            'the page does, e.g. {"steps": 10}.'
        ) from None
    except ValueError as error:  # an integer with more digits than Python converts (4300)
        if "integer string conversion" in str(error):
            raise ApiError(
                "The request body holds an integer with more than 4300 digits; no field takes "
                "one. Send the numbers the page sends (a seed is at most 2147483647)."
            ) from None
        raise ApiError(f"The request body holds a value that cannot be read ({error}).") from None
    if not isinstance(value, dict):
        raise ApiError(f"Expected a JSON object in the request body, got {type(value).__name__}.")
    return value


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


#: how long a request waits for its session while another request works on it (then 409)
BUSY_SECONDS = 2.0


@contextmanager
def _held(session: Session) -> Iterator[None]:
    """The session's lock, or 409: a worker thread never waits long for a busy session, so a
    pile of requests on one session cannot take every thread from the others."""
    if not session.lock.acquire(timeout=BUSY_SECONDS):
        raise ApiError(
            "This session is busy with another request (training, tracing or an import); "
            "try again when that one has answered.",
            409,
        )
    try:
        yield
    finally:
        session.lock.release()


def _answer(state: dict[str, Any], status: int = 200) -> Response:
    """A JSON answer (NaN and infinity as null); made in a worker thread, as it can be large."""
    return JSONResponse(_finite(state), status_code=status)


def split_asked(session: Any, payload: dict[str, Any]) -> tuple[str, int]:
    """The request's ``split`` ("train", the default, or "test") and how many examples the
    session holds there; ApiError for another split or an empty one."""
    split = payload.get("split", "train")
    if split not in ("train", "test"):
        raise ApiError(f"split: expected 'train' or 'test', got {echo(split)}.")
    count = len(session.data.x_train if split == "train" else session.data.x_test)
    if count == 0:
        raise ApiError(
            "split: this session has no test set (its test share is 0). Step through a "
            "training example, or set a test share above 0 and build again."
        )
    return split, count


def train_within_limit(session: Any, steps: int) -> dict[str, Any]:
    """Train ``steps`` steps, or as many as ``LIMITS["max_request_seconds"]`` allows, and give
    the session's state, saying so when it stopped early. The caller holds the session."""
    deadline = time.monotonic() + LIMITS["max_request_seconds"]
    try:
        done = session.train(steps, deadline=deadline)
    except TrainingDivergedError as error:
        raise ApiError(f"{error} Press Reset to start again.") from None
    state = session.state()
    if done < steps:
        state["stopped"] = (
            f"Trained {done} of the {steps} steps asked for: a request may take at most "
            f"{LIMITS['max_request_seconds']} seconds. Ask again for the rest."
        )
    return state


async def _work(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in the thread pool: the event loop keeps answering meanwhile."""
    return await run_in_threadpool(function, *args)


def create_app(
    max_sessions: int = LIMITS["max_sessions"],
    session_idle_seconds: float = LIMITS["session_idle_seconds"],
    port: int | None = None,
    host: str | None = None,
) -> Guard:
    """The ASGI app, with its own session store (at most ``max_sessions`` sessions, each ended
    after ``session_idle_seconds`` unused). It answers only the loopback names on ``port`` (and
    ``host``, given with ``--allow-remote``); ``port`` None takes the port each connection
    arrived on, as a test server has it. See ``guard`` for the checks."""
    store = SessionStore(max_sessions, session_idle_seconds)
    from glassnet.playground import image_routes  # imports this module: imported here

    images = image_routes.image_store()

    def session_of(request: Request) -> Session:
        try:
            return store.get(request.path_params["session_id"])
        except KeyError as error:
            raise ApiError(error.args[0], 404) from None

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def limits(request: Request) -> Response:
        return JSONResponse(
            {
                "limits": LIMITS,
                "datasets": config_module.DATASETS,
                "activations": config_module.ACTIVATIONS,
                "losses": config_module.LOSSES,
                "optimizers": config_module.OPTIMIZERS,
                "initializers": config_module.INITIALIZERS,
                "presets": {"seed": config_module.SEED_PRESET},
                "levels": LEVELS,
                "sessions": len(store),
                "images": image_routes.image_limits(images),
            }
        )

    async def create(request: Request) -> Response:
        payload = await _json(request)

        def work() -> Response:
            session = store.create(parse_config(payload))
            with _held(session):
                return _answer(session.state(with_data=True), 201)

        return await _work(work)

    async def show(request: Request) -> Response:
        session = session_of(request)

        def work() -> Response:
            with _held(session):
                return _answer(session.state(with_data=True))

        return await _work(work)

    async def train(request: Request) -> Response:
        session = session_of(request)
        payload = await _json(request)
        no_unknown(payload, {"steps", "epochs"}, "train")
        most = LIMITS["max_steps_per_request"]
        if len(payload) != 1:
            raise ApiError('train: expected exactly one of {"steps": n} or {"epochs": n}.')
        asked = integer(payload.get("steps", payload.get("epochs")), next(iter(payload)), 1, most)

        def steps_asked() -> int:  # under the session's lock: where the epoch stands now
            if "steps" in payload:
                return asked
            steps = asked * session.batches_per_epoch - session.batches_done
            if steps > most:
                raise ApiError(
                    f"epochs: {asked} epochs are {steps} steps of batch size "
                    f"{session.config.batch_size}; at most {most} steps per request. "
                    f"Ask for fewer epochs, or use a larger batch."
                )
            return steps

        def work() -> Response:
            with _held(session):
                return _answer(train_within_limit(session, steps_asked()))

        return await _work(work)

    async def reset(request: Request) -> Response:
        session = session_of(request)

        def work() -> Response:
            with _held(session):
                session.reset()
                return _answer(session.state(with_data=True))

        return await _work(work)

    async def trace(request: Request) -> Response:
        session = session_of(request)
        payload = await _json(request)
        no_unknown(payload, {"example", "split", "level"}, "trace")
        split, count = split_asked(session, payload)
        example = payload.get("example", 0)
        if isinstance(example, bool) or not isinstance(example, int) or not 0 <= example < count:
            raise ApiError(
                f"example: expected an index from 0 to {count - 1} of the {split} set, "
                f"got {echo(example, 'example')}."
            )
        level = choice(payload.get("level", "student"), LEVELS, "level")

        def work() -> Response:
            from glassnet.playground.stepthrough import trace_example  # imports explain

            with _held(session):
                return _answer(trace_example(session, split, example, level))

        return await _work(work)

    def download(session: Session, suffix: str, content: Callable[[], Any], kind: str) -> Response:
        with _held(session):
            name = f"glassnet_{session.config.dataset.name}_step{session.step}.{suffix}"
            return Response(
                content(),
                media_type=kind,
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

    async def export_py(request: Request) -> Response:
        session = session_of(request)
        kind = "text/x-python; charset=utf-8"
        return await _work(download, session, "py", lambda: python_script(session), kind)

    async def export_model(request: Request) -> Response:
        session = session_of(request)
        content = lambda: model_files.to_bytes(session.model)  # noqa: E731  (under the lock)
        return await _work(download, session, "glassnet", content, model_files.MEDIA_TYPE)

    async def import_model(request: Request) -> Response:
        session = session_of(request)
        content = await _body(request)

        def work() -> Response:
            with _held(session):
                model_files.import_into(session, content)
                return _answer(session.state(with_data=True))

        return await _work(work)

    async def api_error(request: Request, error: Exception) -> Response:
        if isinstance(error, ApiError):
            return JSONResponse({"error": error.message}, status_code=error.status)
        if isinstance(error, HTTPException):
            path = request.url.path
            message = {
                404: f"No such page or endpoint: {echo_text(path)}. See GET /api/limits.",
                405: f"{echo_text(request.method)} is not allowed on {echo_text(path)}.",
            }.get(error.status_code, str(error.detail))
            return JSONResponse({"error": message}, status_code=error.status_code)
        if isinstance(error, ValueError | TypeError):
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(  # a bug, not the request's fault; the server stays up
            {"error": f"The playground failed on this request ({type(error).__name__}: {error})."},
            status_code=500,
        )

    api = "/api/sessions/{session_id:str}"
    routes = [
        Route("/", index),
        Route("/api/limits", limits),
        Route("/api/sessions", create, methods=["POST"]),
        Route(api, show),
        Route(api + "/train", train, methods=["POST"]),
        Route(api + "/reset", reset, methods=["POST"]),
        Route(api + "/trace", trace, methods=["POST"]),
        Route(api + "/export.py", export_py),
        Route(api + "/export.glassnet", export_model),
        Route(api + "/import", import_model, methods=["POST"]),
        *image_routes.image_routes(images),  # the images tab: /api/images/...
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers: dict[Any, Any] = {
        ApiError: api_error,
        HTTPException: api_error,
        ValueError: api_error,
        TypeError: api_error,
        Exception: api_error,
    }
    # outermost, so that every answer (a 500 from Starlette's error middleware too) has the headers
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.store = store  # for tests and tools: the sessions this app holds
    app.state.images = images  # and the images tab's
    return Guard(app, port=port, host=host)
