"""Thin endpoints: Starlette request -> :class:`Call` -> ``Mock.handle`` -> ``rendering.respond``."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mockrouter.calls import Call
from mockrouter.engine.core import Mock
from mockrouter.http.rendering import AbortStream, respond

__all__ = ["FastRoutes", "api_routes", "not_found_route", "read_call"]

PREFIX = "/api/v1"
log = logging.getLogger("mockrouter")


async def read_call(scope: Scope, receive: Receive, max_bytes: int) -> Call:
    """The plain call, read straight from ASGI; bodies over ``max_bytes`` are not read past the limit."""
    arrived = scope.get("mockrouter.arrived") or time.monotonic()
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    method: str = scope["method"]
    too_large = False
    chunks: list[bytes] = []
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        too_large = True
    elif method in ("POST", "PUT", "PATCH"):
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # http.disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                too_large = True
                break
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
    qs: bytes = scope.get("query_string", b"")
    query = dict(parse_qsl(qs.decode("latin-1"), keep_blank_values=True)) if qs else {}
    client = scope.get("client")
    return Call(method, scope["path"], query, headers, b"".join(chunks), client[0] if client else None, arrived,
                too_large)  # fmt: skip


def endpoint(mock: Mock, operation: str, methods: tuple[str, ...]) -> Callable[[Request], Awaitable[Any]]:
    async def handler(request: Request) -> Any:
        call = await read_call(request.scope, request.receive, mock.settings.max_body_bytes)
        if request.method not in methods:
            reply = mock.handle("method_not_allowed", call, allowed=", ".join(methods))
        else:
            reply = mock.handle(operation, call, **request.path_params)
        return respond(reply, call)

    handler.__name__ = operation
    return handler


_TABLE = [
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


def api_routes(mock: Mock) -> list[BaseRoute]:
    table = _TABLE
    every = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return [Route(PREFIX + path, endpoint(mock, op, methods), methods=every) for path, op, methods in table]


def not_found_route(mock: Mock) -> Callable[[Request], Awaitable[Any]]:
    async def handler(request: Request) -> Any:
        call = await read_call(request.scope, request.receive, mock.settings.max_body_bytes)
        return respond(mock.handle("not_found", call), call)

    return handler


class FastRoutes:
    """ASGI middleware ahead of Starlette: the API routes without path parameters are answered straight from the
    ASGI scope (no routing, Request object or middleware layers: that is half the per-request cost of a mock);
    every other request is stamped with its arrival time and goes on to Starlette. ``Mock.handle`` turns every
    failure into a reply; should rendering fail before the response starts, the client still gets the 500
    envelope."""

    def __init__(self, app: ASGIApp, mock: Mock) -> None:
        self.app, self.mock = app, mock
        self.routes = {PREFIX + path: (op, methods) for path, op, methods in _TABLE if "{" not in path}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("mockrouter.arrived", time.monotonic())
        route = self.routes.get(scope["path"])
        if route is None:
            await self.app(scope, receive, send)
            return
        operation, methods = route
        call = await read_call(scope, receive, self.mock.settings.max_body_bytes)
        if call.method not in methods:
            reply = self.mock.handle("method_not_allowed", call, allowed=", ".join(methods))
        else:
            reply = self.mock.handle(operation, call)
        try:
            await respond(reply, call)(scope, receive, send)
        except (AbortStream, OSError):
            raise
        except Exception:
            log.exception("internal error rendering %s %s", call.method, call.path)
            body = b'{"error":{"message":"Internal Server Error","code":500}}'
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 500, "headers": headers})  # raises if started
            await send({"type": "http.response.body", "body": body})
