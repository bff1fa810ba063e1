"""``create_app(settings) -> Starlette``: the route table and the error handlers that keep every failure
in OpenRouter's envelope (no traceback ever reaches a client)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockrouter.engine.core import Mock
from mockrouter.http.routes import FastRoutes, api_routes, not_found_route
from mockrouter.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("mockrouter")


def _envelope(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": {"message": message, "code": status}}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        return _envelope(500, "Internal Server Error")
    return _envelope(exc.status_code, str(exc.detail), dict(exc.headers or {}))


async def _any_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return _envelope(500, "Internal Server Error")


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
    from mockrouter.http.admin import admin_routes

    catch_all = not_found_route(mock)
    every = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    routes = [*api_routes(mock), *admin_routes(mock), Route("/{path:path}", catch_all, methods=every)]
    return MockApp(mock, routes=routes, exception_handlers={HTTPException: _http_error, Exception: _any_error})
