"""The plain values that cross the HTTP boundary: a :class:`Call` in, a :class:`Reply` out.

``routes`` builds a Call from the framework request; ``rendering`` turns a Reply into bytes on the wire.
Nothing else in the package knows about HTTP frameworks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockrouter.kinds import FaultKind

__all__ = ["Call", "Reply", "Stream"]


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
