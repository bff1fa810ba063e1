"""The plain values that cross the HTTP boundary: a :class:`Call` in, a :class:`Reply` out.

``routes`` builds a Call from the framework request; ``rendering`` turns a Reply into bytes on the wire.
Nothing else in the package knows about HTTP frameworks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from mockrouter.kinds import FaultKind

__all__ = ["Call", "Reply", "Stream", "json_bytes"]


def json_bytes(doc: Any) -> bytes:
    """A JSON document as the bytes every reply sends: compact UTF-8. A lone surrogate (JSON lets a client send
    ``"\\ud800"``, and Python keeps it in the decoded string) cannot be UTF-8, so it goes out as the same JSON escape
    (``backslashreplace`` writes exactly ``\\udXXX``, and a surrogate only ever stands inside a JSON string): the
    document stays valid and says what the client sent, instead of failing to encode.

    orjson writes it (several times faster); what orjson refuses (a lone surrogate, an integer beyond 64 bits, a
    key that is not a string, nesting beyond 254 levels) takes the standard library's path, as before."""
    try:
        return orjson.dumps(doc)
    except orjson.JSONEncodeError:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "backslashreplace")


@dataclass(slots=True)
class Call:
    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""
    client: str | None = None
    arrived: float = 0.0  # time.monotonic() when the request arrived
    body_too_large: bool = False


@dataclass(slots=True)
class Stream:
    """An SSE stream to pace: ``events[i]`` is sent ``delays_ms[i]`` after ``events[i-1]`` (the first after TTFT)."""

    events: list[bytes]
    delays_ms: list[float]
    time_scale: float = 1.0
    keepalive_s: float = 1.0
    break_after: int | None = None
    break_kind: FaultKind | None = None  # MID_STREAM, STALL or DISCONNECT
    stall_ms: float = 0.0
    error_event: bytes | None = None
    done_after_error: bool = False
    on_end: Callable[[str, int, float | None], None] | None = None  # (outcome, events sent, ttft ms)


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stream: Stream | None = None
    delay_ms: float = 0.0  # wait before answering (scaled), measured from arrival
    disconnect: bool = False  # drop the connection after the headers
    raw: bytes | None = None  # pre-encoded body (replay)
    content_type: str = "application/json"
    time_scale: float = 1.0
    on_end: Callable[[str, int, float | None], None] | None = None
