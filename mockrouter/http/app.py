"""``create_app(settings) -> Starlette``: the route table and the error handlers that keep every failure
in OpenRouter's envelope (no traceback ever reaches a client)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from mockrouter.engine.core import Mock
from mockrouter.errors import MockRouterError, envelope
from mockrouter.http.routes import FastRoutes, routes
from mockrouter.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("mockrouter")


def _envelope(request: Request, exc: MockRouterError) -> Response:
    mock: Mock = request.app.state.mock
    body = envelope(exc, mock.profile.error_type)
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        return _envelope(request, MockRouterError.of(500))
    return _envelope(request, MockRouterError(exc.status_code, str(exc.detail), headers=dict(exc.headers or {})))


async def _any_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return _envelope(request, MockRouterError.of(500))


class MockApp(Starlette):
    """Starlette, with the API routes that have no path parameters answered ahead of its middleware stack
    (:class:`FastRoutes`, which keeps failures in the envelope itself)."""

    def __init__(self, mock: Mock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state.mock = mock
        self._fast = FastRoutes(super().__call__, mock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._fast(scope, receive, send)


def create_app(settings: Settings | None = None, mock: Mock | None = None) -> Starlette:
    """Build the ASGI app; fixture errors surface here, at start-up."""
    mock = mock or Mock(settings or Settings())
    handlers = {HTTPException: _http_error, Exception: _any_error}
    return MockApp(mock, routes=routes(mock), exception_handlers=handlers)
