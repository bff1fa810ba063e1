"""How a stream goes on the wire (``mockrouter.http.rendering``): the first token alone and on time, events already due
together in one write, the end of the stream in the same write as the last events, pacing kept when it is real."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from mockrouter.calls import Call, Reply, Stream
from mockrouter.http.rendering import KEEPALIVE, respond

EVENTS = [f'data: {{"n":{i}}}\n\n'.encode() for i in range(6)] + [b"data: [DONE]\n\n"]


def _run(stream: Stream) -> tuple[list[dict[str, Any]], list[float], list[tuple[str, int]]]:
    """Serve ``stream`` to a recording ``send``; returns the body messages, when each was sent, and ``on_end``."""
    messages: list[dict[str, Any]] = []
    stamps: list[float] = []
    ended: list[tuple[str, int]] = []
    stream.on_end = lambda outcome, sent, ttft: ended.append((outcome, sent))

    async def main() -> None:
        never = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await never.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                messages.append(message)
                stamps.append(time.monotonic())

        call = Call("POST", "/api/v1/chat/completions", arrived=time.monotonic())
        reply = Reply(200, content_type="text/event-stream", stream=stream, time_scale=stream.time_scale)
        await respond(reply, call)({"type": "http"}, receive, send)

    asyncio.run(main())
    return messages, stamps, ended


def test_unpaced_stream_sends_every_event_at_once_with_the_end():
    messages, _, ended = _run(Stream(events=list(EVENTS), delays_ms=[0.0] * len(EVENTS), time_scale=0))
    bodies = [m["body"] for m in messages]
    assert bodies == [KEEPALIVE, b"".join(EVENTS)]
    assert [m["more_body"] for m in messages] == [True, False]
    assert ended == [("completed", len(EVENTS))]


def test_paced_stream_with_no_delays_still_sends_the_first_token_alone():
    messages, _, ended = _run(Stream(events=list(EVENTS), delays_ms=[0.0] * len(EVENTS), time_scale=1.0))
    bodies = [m["body"] for m in messages]
    assert bodies == [KEEPALIVE, EVENTS[0], b"".join(EVENTS[1:])]
    assert [m["more_body"] for m in messages] == [True, True, False]
    assert ended == [("completed", len(EVENTS))]


def test_paced_stream_keeps_each_event_apart_and_on_time():
    delays = [30.0, 15.0, 15.0, 15.0, 0.0, 0.0, 0.0]
    messages, stamps, ended = _run(Stream(events=list(EVENTS), delays_ms=delays, time_scale=1.0))
    bodies = [m["body"] for m in messages]
    # events 3-6 fall due at the same moment: one write, which also ends the stream
    assert bodies == [KEEPALIVE, *EVENTS[:3], b"".join(EVENTS[3:])] and messages[-1]["more_body"] is False
    # never early (topped-up waits): each write at or after its event's time on the schedule (30, 45, 60, 75 ms);
    # a late write does not push the later ones back, so gaps between writes may be shorter on a busy machine
    since = [(t - stamps[0]) * 1000 for t in stamps[1:5]]
    assert all(at >= due - 0.5 for at, due in zip(since, (30.0, 45.0, 60.0, 75.0), strict=True)), since
    assert ended == [("completed", len(EVENTS))]


def test_break_point_is_not_swallowed_by_coalescing():
    error = b'data: {"error":{"code":502}}\n\n'
    stream = Stream(events=list(EVENTS), delays_ms=[0.0] * len(EVENTS), time_scale=0, break_after=3,
                    break_kind="mid_stream", error_event=error, done_after_error=True)  # fmt: skip
    messages, _, ended = _run(stream)
    bodies = [m["body"] for m in messages]
    assert bodies[1] == EVENTS[0] and bodies[2] == EVENTS[1] + EVENTS[2]
    assert bodies[3] == error + b"data: [DONE]\n\n"
    assert messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert ended == [("mid_stream_error", 3)]


def test_a_reply_that_cannot_be_rendered_still_gets_the_envelope(monkeypatch):
    from mockrouter import Mock, Settings
    from tests.conftest import AUTH, make_client

    mock = Mock(Settings(time_scale=0))
    monkeypatch.setattr(mock, "handle", lambda *a, **k: Reply(200, body={"not json": object()}))
    with make_client(mock) as client:
        r = client.get("/api/v1/models", headers=AUTH)
        assert r.status_code == 500
        assert r.json() == {"error": {"message": "Internal Server Error", "code": 500, "metadata": {"error_type": "server"}}}
        monkeypatch.undo()
        assert client.get("/api/v1/models", headers=AUTH).status_code == 200  # and it keeps serving


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def writelines(self, data: list[bytes]) -> None:  # one system call (uvloop's writev): recorded as one write
        self.writes.append(b"".join(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def test_corked_transport_sends_what_it_held_as_one_write():
    from mockrouter.http.protocol import Corked

    raw = _Transport()
    t = Corked(raw)  # type: ignore[arg-type]
    t.write(b"a")
    t.cork()
    t.write(b"b")
    t.write(b"c")
    assert raw.writes == [b"a"]
    t.uncork()
    assert raw.writes == [b"a", b"bc"]
    t.cork()
    t.write(b"d")
    t.close()  # closing flushes first
    assert raw.writes == [b"a", b"bc", b"d"] and raw.closed
    assert t.get_extra_info("peername") == "info:peername"
    assert t.is_closing() is True


def _wire(reply: Reply) -> list[bytes]:
    """The writes a reply makes on a corked transport, with uvicorn's send reduced to 'write what you get'."""
    from mockrouter.http.protocol import Corked

    raw = _Transport()
    cork = Corked(raw)  # type: ignore[arg-type]

    async def send(message: dict[str, Any]) -> None:
        cork.write(message["type"].encode() + b":" + message.get("body", b""))

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    call = Call("POST", "/api/v1/chat/completions", arrived=time.monotonic())
    asyncio.run(respond(reply, call)({"type": "http", "mockrouter.cork": cork}, receive, send))
    return raw.writes


def test_json_reply_headers_and_body_go_out_in_one_write():
    writes = _wire(Reply(200, raw=b'{"ok":true}'))
    assert writes == [b'http.response.start:http.response.body:{"ok":true}']


def test_stream_headers_and_first_comment_go_out_in_one_write():
    writes = _wire(Reply(200, content_type="text/event-stream",
                         stream=Stream(events=list(EVENTS), delays_ms=[0.0] * len(EVENTS), time_scale=1.0)))  # fmt: skip
    assert writes[0] == b"http.response.start:http.response.body:" + KEEPALIVE
    assert writes[1] == b"http.response.body:" + EVENTS[0]
    assert len(writes) == 3


def test_an_unpaced_stream_is_one_write():
    writes = _wire(Reply(200, content_type="text/event-stream",
                         stream=Stream(events=list(EVENTS), delays_ms=[0.0] * len(EVENTS), time_scale=0)))  # fmt: skip
    assert writes == [b"http.response.start:http.response.body:" + KEEPALIVE + b"http.response.body:" + b"".join(EVENTS)]


def test_a_reply_served_again_keeps_its_encoded_head(client, mock):
    """``/models`` answers every request with the same cached reply: its head is encoded once, and every response
    is the same bytes with the right length."""
    first, second = client.get("/api/v1/models"), client.get("/api/v1/models")
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert int(second.headers["content-length"]) == len(second.content)
    replies = [r for r in mock._cache.values() if r.raw == first.content]
    assert len(replies) == 1 and replies[0].head is not None
    assert (b"content-length", str(len(first.content)).encode()) in replies[0].head
