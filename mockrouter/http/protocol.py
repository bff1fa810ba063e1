"""The one place that touches uvicorn's private protocol classes, behind :func:`http_protocol` (what
``uvicorn.Config`` gets as ``http=``).

With the uvicorn it was verified against (``TESTED_UVICORN``, also pyproject.toml's range) and the members it
relies on present, that is :class:`StampedHttpTools`: httptools with each request stamped on arrival
(``scope["mockrouter.arrived"]``), a transport that sends a response's headers and body as one write
(``scope["mockrouter.cork"]``, :class:`Corked`), a 431 in OpenRouter's envelope for a request head over
``settings.max_header_bytes``, and close-delimited HTTP/1.0 streams (:class:`CloseDelimited`).

Otherwise (another uvicorn, or one missing a member) it is uvicorn's own h11 protocol, with one warning: still
correct, without the speed tricks. The scope keys are then absent (rendering and routes do without them) and h11
frames HTTP/1.0 responses itself. h11 bounds a head only while it is incomplete (``h11_max_incomplete_event_size``,
answered with uvicorn's plain-text 400 "Invalid HTTP request received."), so a larger head that arrives whole is
answered 431 by :class:`HeadLimit` around the app (``server.uvicorn_config`` puts it there).

The check runs once (members at import, the version per server config), never per request. tests/test_protocol.py
fails loudly when the installed uvicorn leaves the tested range or lacks a member.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
import time
from typing import Any, Literal

import uvicorn

from mockrouter.calls import json_bytes
from mockrouter.errors import MockRouterError, envelope
from mockrouter.kinds import profile
from mockrouter.settings import Settings

__all__ = ["TESTED_UVICORN", "Corked", "HeadLimit", "fallback_reason", "head_refusal", "http_protocol", "within"]

log = logging.getLogger("mockrouter")

#: The uvicorn releases :class:`StampedHttpTools` was verified against (pyproject.toml pins the same range; a
#: test holds them equal). Before widening it, re-verify against the new release: the members listed in
#: ``_RELIED_ON`` (names and parameters), that ``HttpToolsProtocol.__init__`` still sets ``transport``, ``scope``
#: and ``cycle``, that ``on_headers_complete`` makes the ``RequestResponseCycle`` and ends keep-alive for HTTP/1.0,
#: that ``RequestResponseCycle.send`` still frames by ``chunked_encoding`` / ``expected_content_length``, then run
#: tests/test_protocol.py and tests/test_robustness.py.
TESTED_UVICORN = ">=0.55,<0.56"


class Corked:
    """A transport that holds what is written between ``cork()`` and ``uncork()`` and sends it in one write: a
    response's headers and body (or an SSE stream's headers and first comment) cost one system call, not two.
    Everything else is the wrapped transport's."""

    __slots__ = ("_held", "_transport", "is_closing")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: list[bytes] | None = None
        # uvicorn asks twice a request: bound here, not found through ``__getattr__`` (a failed lookup, an
        # AttributeError and a call each time: 4-5 us of a 50 us request)
        self.is_closing = transport.is_closing

    def write(self, data: bytes) -> None:
        if self._held is None:
            self._transport.write(data)
        else:
            self._held.append(data)

    def cork(self) -> None:
        if self._held is None:
            self._held = []

    def uncork(self) -> None:
        held, self._held = self._held, None
        if held:
            self._transport.writelines(held)  # one system call (uvloop: writev), no copy of a large body

    def close(self) -> None:
        self.uncork()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _refused(settings: Settings) -> tuple[str, bytes]:
    """The reason and OpenRouter-enveloped body of the 431 for a head over ``settings.max_header_bytes``."""
    err = MockRouterError.of(431, max_bytes=settings.max_header_bytes)
    return err.message, json_bytes(envelope(err, profile(settings.profile).error_type))


def head_refusal(settings: Settings) -> bytes:
    """The 431 answer, on the wire, to a request whose head is larger than ``settings.max_header_bytes``."""
    reason, body = _refused(settings)
    head = f"HTTP/1.1 431 {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return (head + "connection: close\r\n\r\n").encode() + body


class HeadLimit:
    """The head limit of the h11 fallback, around the app. h11 bounds only a head still incomplete
    (``h11_max_incomplete_event_size``: uvicorn then answers a plain-text 400 and closes), so a larger head that
    arrives whole in one read is parsed: this answers it with the same 431 as :class:`StampedHttpTools`. The size
    is counted from the scope (request line and headers as parsed, optional whitespace dropped), so it is never
    more than the head's real size."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app, self.limit = app, settings.max_header_bytes
        _, self.body = _refused(settings)
        length = str(len(self.body)).encode()
        self.headers = [(b"content-type", b"application/json"), (b"content-length", length), (b"connection", b"close")]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.limit and _head_size(scope) > self.limit:
            await send({"type": "http.response.start", "status": 431, "headers": self.headers})
            await send({"type": "http.response.body", "body": self.body})
            return
        await self.app(scope, receive, send)


def _head_size(scope: Any) -> int:
    """The bytes of ``METHOD target HTTP/x.y`` CRLF, each ``name: value`` CRLF and the blank line, from a scope."""
    query = scope.get("query_string") or b""
    line = len(scope["method"]) + len(scope.get("raw_path") or scope["path"].encode()) + len(scope["http_version"])
    line += (len(query) + 1 if query else 0) + 9  # two spaces, "HTTP/", CRLF, and "?" counted with the query
    return line + sum(len(name) + len(value) + 4 for name, value in scope["headers"]) + 2


def _release(version: str) -> tuple[int, ...]:
    """The leading numbers of a version: "0.55.0" -> (0, 55, 0), "0.56.0rc1" -> (0, 56, 0)."""
    numbers: list[int] = []
    for part in version.split("."):
        digits = part[: len(part) - len(part.lstrip("0123456789"))]
        if not digits:
            break
        numbers.append(int(digits))
        if digits != part:
            break
    return tuple(numbers)


def within(version: str, specifier: str = TESTED_UVICORN) -> bool:
    """Whether ``version`` satisfies ``specifier``, a comma-separated list of ``>=X`` and ``<Y`` (the only forms
    ``TESTED_UVICORN`` uses: no packaging at run time)."""
    release = _release(version)
    for clause in (c.strip() for c in specifier.split(",")):
        if clause.startswith(">="):
            ok = release >= _release(clause[2:])
        elif clause.startswith("<") and not clause.startswith("<="):
            ok = release < _release(clause[1:])
        else:
            raise ValueError(f"only >= and < clauses are understood: {clause!r} in {specifier!r}")
        if not ok:
            return False
    return True


#: What the subclasses rely on: (class, method, its parameters), and (class, method, the names its code uses).
#: Checked once at import with ``inspect.signature`` and the compiled code's names (``co_names``), not its source.
_RELIED_ON: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("HttpToolsProtocol", "connection_made", ("self", "transport")),
    ("HttpToolsProtocol", "data_received", ("self", "data")),
    ("HttpToolsProtocol", "on_message_begin", ("self",)),
    ("HttpToolsProtocol", "on_headers_complete", ("self",)),
    ("HttpToolsProtocol", "on_message_complete", ("self",)),
    ("RequestResponseCycle", "send", ("self", "message")),
)
_NAMES_USED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("HttpToolsProtocol", "__init__", ("transport", "scope", "cycle")),
    ("HttpToolsProtocol", "on_headers_complete", ("cycle", "RequestResponseCycle")),
    ("RequestResponseCycle", "__init__", ("scope", "chunked_encoding", "expected_content_length")),
)


def _missing(classes: dict[str, Any]) -> list[str]:
    """The members of uvicorn's httptools protocol that the subclasses need and ``classes`` lack."""
    out: list[str] = []
    for cls, name, params in _RELIED_ON:
        method = getattr(classes.get(cls), name, None)
        try:
            ok = callable(method) and tuple(inspect.signature(method).parameters) == params
        except (TypeError, ValueError):
            ok = False
        if not ok:
            out.append(f"{cls}.{name}({', '.join(params)})")
    for cls, name, names in _NAMES_USED:
        code = getattr(getattr(classes.get(cls), name, None), "__code__", None)
        used = set(code.co_names) if code is not None else set()
        out.extend(f"{cls}.{name} using {n}" for n in names if n not in used)
    return out


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools on supported platforms
    _MISSING = ["httptools (uvicorn.protocols.http.httptools_impl)"]
else:
    _MISSING = _missing({"HttpToolsProtocol": HttpToolsProtocol, "RequestResponseCycle": RequestResponseCycle})

    class CloseDelimited(RequestResponseCycle):
        """The response to an HTTP/1.0 request, which has no chunked encoding: a body of undeclared length (a
        stream) goes out as it is and ends when the connection closes (RFC 9112, section 6.3). uvicorn closes an
        HTTP/1.0 connection after its response, so only the framing differs."""

        _open = False  # the body's length is undeclared

        async def send(self, message: Any) -> None:
            if message["type"] == "http.response.start" and self.chunked_encoding is None:
                if not any(name.lower() == b"content-length" for name, _ in message.get("headers", ())):
                    self.chunked_encoding, self.expected_content_length, self._open = False, sys.maxsize, True
            elif self._open and message["type"] == "http.response.body" and not message.get("more_body", False):
                self.expected_content_length = len(message.get("body", b""))  # the last part: the body ends here
            await super().send(message)

    class StampedHttpTools(HttpToolsProtocol):
        """httptools (uvicorn[standard]) with each request stamped as its first bytes are parsed (delays count from
        there, not from when a busy event loop got round to the request: a burst of 256 takes milliseconds), a
        transport that can hold writes and send them as one (``scope["mockrouter.cork"]``, see ``Corked``), and a
        limit on a request's head (httptools has none): beyond ``head_limit`` bytes before the headers end, the
        ``refusal`` (431) is sent and the connection closed, so what was buffered goes with it.

        An HTTP/1.0 request's response is close-delimited, never chunked (``CloseDelimited``).

        What it relies on in uvicorn's protocol is ``_RELIED_ON`` and ``_NAMES_USED``, checked at import."""

        transport: Any  # a Corked, not the asyncio.Transport uvicorn declares
        scope: Any  # with mockrouter's two keys, which uvicorn's HTTPScope does not declare
        head_limit = 0  # set per server by ``http_protocol`` (a subclass each)
        refusal = b""
        _head: int | None = 0  # bytes of the current request's head so far; None once it has ended
        _tail = b""  # the last bytes of the head so far (its end may be split across two reads)

        def connection_made(self, transport: Any) -> None:
            self._head, self._tail = 0, b""
            corked: Any = Corked(transport)  # stands in for the asyncio.Transport uvicorn's signature names
            super().connection_made(corked)

        def data_received(self, data: bytes) -> None:
            if self._head is None or not self.head_limit:
                super().data_received(data)
                return
            if self.transport.is_closing():
                return
            seen = self._tail + data
            end = seen.find(b"\r\n\r\n")
            size = self._head + (len(data) if end < 0 else end + 4 - len(self._tail))
            if size > self.head_limit:  # refused before the parser buffers it
                self.transport.write(self.refusal)
                self.transport.close()
                return
            self._head, self._tail = (size, seen[-3:]) if end < 0 else (None, b"")
            super().data_received(data)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.scope["mockrouter.arrived"] = time.monotonic()
            self.scope["mockrouter.cork"] = self.transport

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            if self.scope.get("http_version") == "1.0" and self.cycle is not None and self.cycle.scope is self.scope:
                self.cycle.__class__ = CloseDelimited  # before its ASGI task first runs

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._head, self._tail = 0, b""  # the next request's head


def fallback_reason() -> str | None:
    """Why :func:`http_protocol` falls back to h11 (None: it does not): the installed uvicorn is outside
    ``TESTED_UVICORN``, or lacks what the subclasses rely on."""
    version = uvicorn.__version__
    if not within(version):
        return f"uvicorn {version} is outside the range it was tested with ({TESTED_UVICORN})"
    if _MISSING:
        return f"uvicorn {version} (tested range {TESTED_UVICORN}) lacks {'; '.join(_MISSING)}"
    return None


_warned: set[str] = set()


def http_protocol(settings: Settings) -> type[asyncio.Protocol] | Literal["h11"]:
    """What ``uvicorn.Config`` gets as ``http=`` for ``settings``: a :class:`StampedHttpTools` limited to
    ``settings.max_header_bytes``, or "h11" (one warning per reason) when :func:`fallback_reason` says so."""
    reason = fallback_reason()
    if reason is not None:
        if reason not in _warned:
            _warned.add(reason)
            log.warning("mockrouter: %s; serving with uvicorn's h11 protocol, without mockrouter's speed-ups", reason)
        return "h11"

    class LimitedHttpTools(StampedHttpTools):
        head_limit = settings.max_header_bytes
        refusal = head_refusal(settings)

    return LimitedHttpTools
