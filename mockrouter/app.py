"""``create_app(settings) -> Starlette``: the route table and the error handlers that keep every failure
in OpenRouter's envelope (no traceback ever reaches a client)."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockrouter.pipeline import Mock
from mockrouter.routes import FastRoutes, api_routes, not_found_route
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


def create_app(settings: Settings | None = None, mock: Mock | None = None) -> Starlette:
    """Build the ASGI app; fixture errors surface here, at start-up."""
    mock = mock or Mock(settings or Settings())
    from mockrouter.admin import admin_routes

    catch_all = not_found_route(mock)
    every = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    routes = [*api_routes(mock), *admin_routes(mock), Route("/{path:path}", catch_all, methods=every)]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error, Exception: _any_error})
    app.state.mock = mock
    app.add_middleware(FastRoutes, mock=mock)
    return app
