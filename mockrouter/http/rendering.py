"""Reply -> bytes on the wire. The only module that waits (``asyncio.sleep``) or breaks a stream.

Delays are measured from the request's arrival and topped up (uvloop may wake a timer early), scaled by
``time_scale``. While waiting for the first token, streams send ``: OPENROUTER PROCESSING`` comments.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from mockrouter.calls import DONE, Call, Reply, Stream, json_bytes, run_of
from mockrouter.kinds import FaultKind, Outcome

__all__ = ["AbortStream", "KEEPALIVE", "respond"]

KEEPALIVE = b": OPENROUTER PROCESSING\n\n"
_SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]


class AbortStream(Exception):
    """Raised inside the ASGI app to drop the connection abruptly (a simulated disconnect)."""


class _QuietAbort(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, AbortStream) and not (exc is not None and isinstance(exc.__cause__, AbortStream))


logging.getLogger("uvicorn.error").addFilter(_QuietAbort())


async def wait_until(target: float) -> None:
    """Sleep until ``time.monotonic() >= target``, topping up early wake-ups."""
    while True:
        left = target - time.monotonic()
        if left <= 0:
            return
        await asyncio.sleep(left)


def _headers(reply: Reply, content_type: bytes, length: int | None) -> list[tuple[bytes, bytes]]:
    out = [(b"content-type", content_type)]
    if length is not None:
        out.append((b"content-length", str(length).encode()))
    out.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items())
    return out


class Responder:
    """An ASGI response for a :class:`Reply`."""

    def __init__(self, reply: Reply, call: Call) -> None:
        self.reply, self.call = reply, call

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reply = self.reply
        cork = scope.get("mockrouter.cork")  # the server's transport can send headers and body as one write
        if reply.stream is not None:
            await self._stream(reply.stream, receive, send, cork)
            return
        if reply.delay_ms and reply.time_scale:
            await wait_until(self.call.arrived + reply.delay_ms * reply.time_scale / 1000.0)
        body = reply.raw if reply.raw is not None else json_bytes(reply.body)
        head = reply.head
        if head is None:
            ctype = b"application/json" if reply.content_type == "application/json" else reply.content_type.encode()
            head = reply.head = _headers(reply, ctype, len(body))
        start = {"type": "http.response.start", "status": reply.status, "headers": head}
        if not reply.disconnect:
            await _together(send, cork, start, {"type": "http.response.body", "body": body})
            return
        await _together(
            send, cork, start, {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        if reply.on_end:
            reply.on_end(Outcome.DISCONNECTED, 0, None)
        raise AbortStream("simulated disconnect")

    async def _stream(self, stream: Stream, receive: Receive, send: Send, cork: Any) -> None:
        headers = _SSE_HEADERS + [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.reply.headers.items()
        ]
        sent, ttft, outcome = 0, None, Outcome.COMPLETED
        scale = stream.time_scale
        target = self.call.arrived or time.monotonic()
        events, delays, count = stream.events, stream.delays_ms, len(stream.events)
        opening: list[Message] = [
            {"type": "http.response.start", "status": 200, "headers": headers},
            {"type": "http.response.body", "body": KEEPALIVE, "more_body": True},
        ]
        loop = asyncio.get_running_loop()
        unpaced = not scale and stream.break_after is None
        if unpaced:
            # unpaced and unbroken: every event is due at once, so all leave with the headers, in one write (the
            # same bytes a paced stream sends over its course), and there is no wait to watch a disconnect during
            opening.append({"type": "http.response.body", "body": run_of(events, 0, count), "more_body": False})
            gone: asyncio.Future[Any] = loop.create_future()
        else:  # the request body has been read: the next ASGI message is the client's disconnect
            gone = loop.create_task(receive())  # type: ignore[arg-type]
        i = 0
        try:
            await _together(send, cork, *opening)
            if unpaced:
                sent = i = count
                ttft = self._since_arrival()
            while i < count:
                if i == stream.break_after and i < count - 1:
                    if stream.break_kind == FaultKind.MID_STREAM and stream.error_event is not None:
                        tail = stream.error_event + (DONE if stream.done_after_error else b"")
                        await send({"type": "http.response.body", "body": tail, "more_body": True})
                        outcome = Outcome.MID_STREAM_ERROR
                        break
                    if stream.break_kind == FaultKind.DISCONNECT:
                        outcome = Outcome.DISCONNECTED
                        raise AbortStream("simulated disconnect")
                    if stream.break_kind == FaultKind.STALL:
                        target += stream.stall_ms * scale / 1000.0
                        outcome = Outcome.STALLED
                if scale:
                    target += delays[i] * scale / 1000.0
                    if i == 0:
                        await self._keepalive_until(target, send, stream.keepalive_s, gone)
                    else:
                        await wait_until(target)
                if gone.done():
                    outcome = Outcome.CANCELLED
                    break
                end = i + 1
                if i > 0:  # events already due go out in one write (the first token always alone)
                    now = time.monotonic()
                    while end < count and end != stream.break_after:
                        if scale:
                            due = target + delays[end] * scale / 1000.0
                            if due > now:
                                break
                            target = due
                        end += 1
                body = run_of(events, i, end)
                last = end == count and stream.break_after is None  # the end of the stream goes in the same write
                await send({"type": "http.response.body", "body": body, "more_body": not last})
                sent += end - i
                if i == 0:
                    ttft = self._since_arrival()
                    await asyncio.sleep(0)  # let other streams due now send their first token before our rest
                i = end
            if outcome is Outcome.STALLED:
                outcome = Outcome.COMPLETED
            if not (i == count and stream.break_after is None):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            outcome = Outcome.CANCELLED
        except asyncio.CancelledError:
            outcome = Outcome.CANCELLED
            raise
        finally:
            if gone.done() and not gone.cancelled():
                gone.exception()  # retrieved: a failed receive only means the client is gone
            gone.cancel()
            if stream.on_end is not None:
                stream.on_end(outcome, sent, ttft)

    def _since_arrival(self) -> float | None:
        """Milliseconds since the request's first bytes were parsed (a stream's time to its first event)."""
        return round((time.monotonic() - self.call.arrived) * 1000, 3) if self.call.arrived else None

    async def _keepalive_until(self, target: float, send: Send, every: float, gone: asyncio.Future[Any]) -> None:
        while not gone.done():
            left = target - time.monotonic()
            if left <= 0:
                return
            if left > every > 0:
                await asyncio.sleep(every)
                await send({"type": "http.response.body", "body": KEEPALIVE, "more_body": True})
            else:
                await wait_until(target)
                return


async def _together(send: Send, cork: Any, *messages: Message) -> None:
    """Send ASGI messages that leave together (a response's headers and its body, or a stream's headers and first
    comment): on the server's corked transport (``protocol.Corked``) they cost one write."""
    if cork is not None:
        cork.cork()
    try:
        for message in messages:
            await send(message)
    finally:
        if cork is not None:
            cork.uncork()


def respond(reply: Reply, call: Call) -> Any:
    return Responder(reply, call)
