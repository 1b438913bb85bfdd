"""The images tab's routes: the dense tab's API shape, for a conv net on images.

=======  ==================================  ==================================================
POST     /api/images                          a new images session from a setup; its state
GET      /api/images/{id}                     the state
POST     /api/images/{id}/train               {"steps": n} or {"epochs": n}: train, then state
POST     /api/images/{id}/reset               start over from the seed
POST     /api/images/{id}/predict             {"pixels": rows}: the net's probabilities for a
                                              drawing (h rows of w numbers in [0, 1])
POST     /api/images/{id}/trace               {"example": i, "split": "train", "filter": f}:
                                              one step on one example, recorded, not applied
=======  ==================================  ==================================================

Every request passes the same gate as the rest (``guard.Guard``: Host, Origin, JSON bodies,
security headers); every field is checked here before any work; the work runs in the thread
pool under the session's lock (409 when busy), and training stops at
``LIMITS["max_request_seconds"]``. Image sessions live in their own store (at most
``IMAGE_LIMITS["max_image_sessions"]``), so a dense session id is no image session and the other
way round.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from glassnet.playground.app import (
    ApiError,
    _answer,
    _held,
    _json,
    _work,
    split_asked,
    train_within_limit,
)
from glassnet.playground.config import LIMITS, OPTIMIZERS, integer, no_unknown
from glassnet.playground.image_steps import image_step
from glassnet.playground.images import (
    IMAGE_LIMITS,
    POOLINGS,
    ImageSession,
    dataset_choices,
    parse_image_config,
    parse_pixels,
)
from glassnet.playground.sessions import SessionStore


def image_store() -> SessionStore:
    """The images tab's own session store."""
    return SessionStore(
        IMAGE_LIMITS["max_image_sessions"], LIMITS["session_idle_seconds"], kind=ImageSession
    )


def image_limits(store: SessionStore) -> dict[str, Any]:
    """What GET /api/limits says about the images tab: its bounds and its choices."""
    return {
        "limits": IMAGE_LIMITS,
        "datasets": dataset_choices(),
        "poolings": POOLINGS,
        "optimizers": OPTIMIZERS,
        "sessions": len(store),
    }


def image_routes(store: SessionStore) -> list[Route]:
    """The routes of the images tab, over ``store``."""

    def session_of(request: Request) -> ImageSession:
        try:
            return store.get(request.path_params["session_id"])  # type: ignore[return-value]
        except KeyError as error:
            raise ApiError(error.args[0], 404) from None

    async def create(request: Request) -> Response:
        payload = await _json(request)

        def work() -> Response:
            session = store.create(parse_image_config(payload))
            with _held(session):
                return _answer(session.state(), 201)

        return await _work(work)

    async def show(request: Request) -> Response:
        session = session_of(request)

        def work() -> Response:
            with _held(session):
                return _answer(session.state())

        return await _work(work)

    async def train(request: Request) -> Response:
        session = session_of(request)
        payload = await _json(request)
        no_unknown(payload, {"steps", "epochs"}, "train")
        most = IMAGE_LIMITS["max_steps_per_request"]
        if len(payload) != 1:
            raise ApiError('train: expected exactly one of {"steps": n} or {"epochs": n}.')
        key = next(iter(payload))
        asked = integer(payload[key], key, 1, most)

        def work() -> Response:
            with _held(session):
                steps = asked
                if key == "epochs":
                    steps = asked * session.batches_per_epoch - session.batches_done
                    if steps > most:
                        raise ApiError(
                            f"epochs: {asked} epochs are {steps} steps of batch size "
                            f"{session.config.batch_size}; the images tab takes at most {most} "
                            f"steps per request. Ask for steps, or use a larger batch."
                        )
                return _answer(train_within_limit(session, steps))

        return await _work(work)

    async def reset(request: Request) -> Response:
        session = session_of(request)

        def work() -> Response:
            with _held(session):
                session.reset()
                return _answer(session.state())

        return await _work(work)

    async def predict(request: Request) -> Response:
        session = session_of(request)
        payload = await _json(request)

        def work() -> Response:
            no_unknown(payload, {"pixels"}, "predict")
            if "pixels" not in payload:
                raise ApiError('predict: expected {"pixels": rows}, the drawing downscaled.')
            pixels = parse_pixels(payload["pixels"], session.data.size)
            with _held(session):
                return _answer(session.predict(pixels))

        return await _work(work)

    async def trace(request: Request) -> Response:
        session = session_of(request)
        payload = await _json(request)
        no_unknown(payload, {"example", "split", "filter"}, "trace")
        split, count = split_asked(session, payload)
        example = integer(payload.get("example", 0), "example", 0, count - 1)
        filters = session.config.conv[0].filters
        chosen = integer(payload.get("filter", 0), "filter", 0, filters - 1)

        def work() -> Response:
            with _held(session):
                return _answer(image_step(session, split, example, chosen))

        return await _work(work)

    api = "/api/images/{session_id:str}"
    return [
        Route("/api/images", create, methods=["POST"]),
        Route(api, show),
        Route(api + "/train", train, methods=["POST"]),
        Route(api + "/reset", reset, methods=["POST"]),
        Route(api + "/predict", predict, methods=["POST"]),
        Route(api + "/trace", trace, methods=["POST"]),
    ]
