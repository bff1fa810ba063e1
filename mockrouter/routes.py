"""Thin endpoints: Starlette request -> :class:`Call` -> ``Mock.handle`` -> ``rendering.respond``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.routing import BaseRoute, Route

from mockrouter.calls import Call
from mockrouter.pipeline import Mock
from mockrouter.rendering import respond

__all__ = ["api_routes", "not_found_route", "read_call"]

PREFIX = "/api/v1"


async def read_call(request: Request, max_bytes: int) -> Call:
    """The plain call; bodies over ``max_bytes`` are not read past the limit."""
    arrived = request.scope.get("mockrouter.arrived") or time.monotonic()
    headers = {k.lower(): v for k, v in request.headers.items()}
    too_large = False
    chunks: list[bytes] = []
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        too_large = True
    elif request.method in ("POST", "PUT", "PATCH"):
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    too_large = True
                    break
                chunks.append(chunk)
        except ClientDisconnect:
            pass
    client = request.client.host if request.client else None
    return Call(request.method, request.url.path, dict(request.query_params), headers, b"".join(chunks), client,
                arrived, too_large)  # fmt: skip


def endpoint(mock: Mock, operation: str, methods: tuple[str, ...]) -> Callable[[Request], Awaitable[Any]]:
    async def handler(request: Request) -> Any:
        call = await read_call(request, mock.settings.max_body_bytes)
        if request.method not in methods:
            reply = mock.handle("method_not_allowed", call, allowed=", ".join(methods))
        else:
            reply = mock.handle(operation, call, **request.path_params)
        return respond(reply, call)

    handler.__name__ = operation
    return handler


def api_routes(mock: Mock) -> list[BaseRoute]:
    table = [
        ("/chat/completions", "chat", ("POST",)),
        ("/completions", "completions", ("POST",)),
        ("/models", "models", ("GET",)),
        ("/models/{author}/{slug}/endpoints", "model_endpoints", ("GET",)),
        ("/providers", "providers", ("GET",)),
        ("/generation", "generation", ("GET",)),
        ("/key", "key", ("GET",)),
        ("/auth/key", "key", ("GET",)),
        ("/credits", "credits", ("GET",)),
        ("/openapi.json", "openapi", ("GET",)),
    ]
    every = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return [Route(PREFIX + path, endpoint(mock, op, methods), methods=every) for path, op, methods in table]


def not_found_route(mock: Mock) -> Callable[[Request], Awaitable[Any]]:
    async def handler(request: Request) -> Any:
        call = await read_call(request, mock.settings.max_body_bytes)
        return respond(mock.handle("not_found", call), call)

    return handler
