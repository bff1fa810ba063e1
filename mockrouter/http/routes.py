"""Thin endpoints: Starlette request -> :class:`Call` -> ``Mock.handle`` -> ``rendering.respond``."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mockrouter.calls import Call
from mockrouter.contract.operations import Operation, Surface, operations
from mockrouter.engine.completion import dumps
from mockrouter.engine.core import Mock
from mockrouter.errors import MockRouterError, envelope
from mockrouter.http.rendering import AbortStream, respond
from mockrouter.state.journal import is_secret

__all__ = ["FastRoutes", "read_call", "routes"]

log = logging.getLogger("mockrouter")


#: header names as the server gave them -> (lower-case text, whether a credential); and the text of the header values
#: clients send again and again (never a credential's): decoded once, one string shared by every request and journal
#: entry that carries it
_NAMES: dict[bytes, tuple[str, bool]] = {}
_VALUES: dict[bytes, str] = {}
_NAMES_HELD, _VALUES_HELD = 512, 4096


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    out = {}
    for k, v in raw:
        known = _NAMES.get(k)
        if known is None:
            name = k.decode("latin-1").lower()
            known = (name, is_secret(name))
            if len(_NAMES) < _NAMES_HELD:
                _NAMES[k] = known
        value = _VALUES.get(v)
        if value is None:
            value = v.decode("latin-1")
            if not known[1]:
                if len(_VALUES) >= _VALUES_HELD:
                    _VALUES.clear()
                _VALUES[v] = value
        out[known[0]] = value
    return out


async def read_call(scope: Scope, receive: Receive, max_bytes: int) -> Call:
    """The plain call, read straight from ASGI; bodies over ``max_bytes`` are not read past the limit."""
    arrived = scope.get("mockrouter.arrived") or time.monotonic()
    headers = _headers(scope["headers"])
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
    return Call(
        method, scope["path"], query, headers, b"".join(chunks), client[0] if client else None, arrived, too_large
    )


def _grouped(surface: Surface | None = None) -> dict[str, dict[str, Operation]]:
    """URL path -> method -> operation, from the registry."""
    table: dict[str, dict[str, Operation]] = {}
    for op in operations(surface):
        for method in op.methods:
            table.setdefault(op.url, {})[method] = op
    return table


def _allowed(by_method: Mapping[str, Operation]) -> str:
    return ", ".join(by_method)


def endpoint(mock: Mock, by_method: dict[str, Operation]) -> Callable[[Request], Awaitable[Any]]:
    async def handler(request: Request) -> Any:
        call = await read_call(request.scope, request.receive, mock.settings.max_body_bytes)
        op = by_method.get(call.method)
        reply = mock.handle(call, op, request.path_params, allowed=_allowed(by_method))
        return respond(reply, call)

    handler.__name__ = next(iter(by_method.values())).id
    return handler


_EVERY = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def routes(mock: Mock) -> list[BaseRoute]:
    """Every operation of the registry (API and admin), then a catch-all that answers 404 in the envelope."""
    table = [Route(path, endpoint(mock, by_method), methods=_EVERY) for path, by_method in _grouped().items()]
    return [*table, Route("/{path:path}", not_found_route(mock), methods=_EVERY)]


def not_found_route(mock: Mock) -> Callable[[Request], Awaitable[Any]]:
    async def handler(request: Request) -> Any:
        call = await read_call(request.scope, request.receive, mock.settings.max_body_bytes)
        return respond(mock.handle(call, None), call)

    return handler


class FastRoutes:
    """ASGI middleware ahead of Starlette: the API routes without path parameters are answered straight from the
    ASGI scope (no routing, Request object or middleware layers: that is half the per-request cost of a mock);
    every other request is stamped with its arrival time and goes on to Starlette. ``Mock.handle`` turns every
    failure into a reply; should rendering fail before the response starts, the client still gets the 500
    envelope."""

    def __init__(self, app: ASGIApp, mock: Mock) -> None:
        self.app, self.mock = app, mock
        #: path -> (method -> operation, the methods as an ``Allow`` header says them)
        self.routes = {
            url: (by_method, _allowed(by_method)) for url, by_method in _grouped(Surface.API).items() if "{" not in url
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("mockrouter.arrived", time.monotonic())
        route = self.routes.get(scope["path"])
        if route is None:
            await self.app(scope, receive, send)
            return
        by_method, allowed = route
        call = await read_call(scope, receive, self.mock.settings.max_body_bytes)
        reply = self.mock.handle(call, by_method.get(call.method), allowed=allowed)
        try:
            await respond(reply, call)(scope, receive, send)
        except (AbortStream, OSError):
            raise
        except Exception:
            log.exception("internal error rendering %s %s", call.method, call.path)
            body = dumps(envelope(MockRouterError.of(500), self.mock.profile.error_type))
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 500, "headers": headers})  # raises if started
            await send({"type": "http.response.body", "body": body})
