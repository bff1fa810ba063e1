"""The plain values that cross the HTTP boundary: a :class:`Call` in, a :class:`Reply` out.

``routes`` builds a Call from the framework request; ``rendering`` turns a Reply into bytes on the wire.
Nothing else in the package knows about HTTP frameworks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, overload

import orjson

from mockrouter.kinds import FaultKind
from mockrouter.values import Recent

__all__ = [
    "DONE",
    "DONE_PAYLOAD",
    "SSE_DATA",
    "SSE_END",
    "Call",
    "Reply",
    "Run",
    "Spans",
    "Stream",
    "json_bytes",
    "run_of",
]

#: an SSE ``data:`` event is ``SSE_DATA + payload + SSE_END``; a chat stream ends with the ``[DONE]`` one
SSE_DATA, SSE_END = b"data: ", b"\n\n"
DONE_PAYLOAD = b"[DONE]"
DONE = SSE_DATA + DONE_PAYLOAD + SSE_END


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


class Spans(Sequence[bytes]):
    """Events laid end to end in one buffer, ``blob``, event ``i`` ending at ``ends[i]``: a run of events is one
    slice (a stream's events already due go out in one write), and splicing the id and time into all of them is one
    ``replace`` (when they keep their length)."""

    __slots__ = ("blob", "ends")

    def __init__(self, blob: bytes, ends: list[int]) -> None:
        self.blob, self.ends = blob, ends

    @classmethod
    def framed(cls, payloads: Iterable[bytes | Run], lead: bytes = SSE_DATA, end: bytes = SSE_END) -> Spans:
        """Each payload framed as ``lead + payload + end`` (an SSE ``data:`` event), in one join; a :class:`Run`'s
        events framed and measured in bulk (one join and one running sum, no step per event)."""
        parts: list[bytes] = []
        ends: list[int] = []
        at, extra = 0, len(lead) + len(end)
        for data in payloads:
            if isinstance(data, Run):
                if not data.parts:
                    continue
                opening, closing = lead + data.head, data.tail + end
                parts += (opening, (closing + opening).join(data.parts), closing)
                step = len(opening) + len(closing)
                ends += accumulate(map(step.__add__, map(len, data.parts)), initial=at)
                del ends[-len(data.parts) - 1]  # the running sum's start
                at = ends[-1]
                continue
            parts += (lead, data, end)
            at += len(data) + extra
            ends.append(at)
        return cls(b"".join(parts), ends)

    def run(self, i: int, end: int) -> bytes:
        """Events ``i`` up to ``end`` (excluded), as the bytes of one write."""
        return self.blob[self.ends[i - 1] if i else 0 : self.ends[end - 1]]

    def __len__(self) -> int:
        return len(self.ends)

    @overload
    def __getitem__(self, i: int) -> bytes: ...

    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...

    def __getitem__(self, i: int | slice) -> bytes | list[bytes]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = range(len(self))[i]  # negative indexes; IndexError beyond
        return self.run(i, i + 1)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Spans({list(self)!r})"


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive events that differ in one JSON string each: event ``i`` is ``head + parts[i] + tail`` (a stream's
    content pieces, encoded once around a placeholder: ``documents``); :meth:`Spans.framed` lays them out."""

    head: bytes
    parts: Sequence[bytes]  # each an encoded JSON string
    tail: bytes

    def __len__(self) -> int:
        return len(self.parts)

    def payloads(self) -> list[bytes]:
        return [self.head + p + self.tail for p in self.parts]

    @classmethod
    def of(cls, head: bytes, texts: Sequence[str], tail: bytes) -> Run:
        """The run of ``texts`` encoded; the encodings of the last few sequences of texts are remembered by
        identity (a stub's answer is cut into the same pieces, one tuple, for every request: ``tokens.pieces``)."""
        parts = _ENCODED.get(id(texts), texts)
        if parts is None:
            try:
                parts = tuple(map(orjson.dumps, texts))
            except orjson.JSONEncodeError:  # a lone surrogate: json_bytes writes it as its escape
                parts = tuple(json_bytes(t) for t in texts)
            _ENCODED.put(id(texts), parts, texts)
        return cls(head, parts, tail)


_ENCODED: Recent[tuple[bytes, ...]] = Recent(16)


def run_of(events: Sequence[bytes], i: int, end: int) -> bytes:
    """Events ``i`` up to ``end`` (excluded) as one write's bytes."""
    if isinstance(events, Spans):
        return events.run(i, end)
    return events[i] if end == i + 1 else b"".join(events[i:end])


@dataclass(slots=True)
class Stream:
    """An SSE stream to pace: ``events[i]`` is sent ``delays_ms[i]`` after ``events[i-1]`` (the first after TTFT)."""

    events: Sequence[bytes]
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
    #: the response head's header lines as rendering encoded them (a reply served again is not encoded again)
    head: list[tuple[bytes, bytes]] | None = None
