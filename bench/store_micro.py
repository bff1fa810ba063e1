"""In-process micro-benchmark of the shared store: ``Mock.handle`` (the non-streaming ``chat.lua`` request, replayed
from the memo as under wrk) with the in-memory state, then with ``RedisState``/``RedisJournal`` over a private
redis-server. Prints CPU us/request: this process, plus redis-server's for Redis. No HTTP, no wrk: quick to run while
a machine is busy, and what the Redis path adds is all it measures.

``--batch N`` serves N requests per event-loop turn (as a loaded worker does: they share one round trip).
``--requests`` (10,000) per configuration, after 500 of warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockrouter import Mock, Settings
from mockrouter.calls import Call
from mockrouter.contract.operations import by_id
from mockrouter.fixtures import load_for, stubs_from
from mockrouter.http.server import shared_mock
from mockrouter.state.redis_server import RedisServer

KEY = "sk-or-v1-bench0000000000000000000000000000000000000000000000000000000000"
BODY = b'{"model":"openai/gpt-5-mini","messages":[{"role":"user","content":"Hello"}]}'
HEADERS = {
    "content-type": "application/json",
    "authorization": f"Bearer {KEY}",
    "host": "127.0.0.1",
    "user-agent": "wrk",
}
STUB = {"name": "bench50", "match": {"model": "openai/gpt-5-chat"}, "respond": {"content": "word " * 50}}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def serve(mock: Mock, requests: int, batch: int) -> None:
    for i in range(requests):
        call = Call("POST", "/api/v1/chat/completions", {}, HEADERS, BODY, "127.0.0.1", time.monotonic())
        reply = mock.handle(call, by_id("createChatCompletion"))
        assert reply.status == 200, (reply.status, reply.body)
        if i % batch == batch - 1:
            await asyncio.sleep(0)  # the event loop turns


def measure(mock: Mock, requests: int, batch: int, redis_pid: int | None) -> tuple[float, float]:
    """(this process, redis-server) CPU us per request."""
    mock.state.add_stubs(stubs_from([STUB], mock.world))
    mock.state.set_credits(mock.state.key_state(KEY).account.id, credits=1e12)
    asyncio.run(serve(mock, 500, batch))
    own, redis = time.process_time(), cpu_seconds(redis_pid) if redis_pid else 0.0
    asyncio.run(serve(mock, requests, batch))
    own, redis = time.process_time() - own, (cpu_seconds(redis_pid) - redis) if redis_pid else 0.0
    return own * 1e6 / requests, redis * 1e6 / requests


def main() -> int:
    parser = argparse.ArgumentParser(description="Mock.handle in memory and over Redis, in process")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1, help="requests per event-loop turn")
    args = parser.parse_args()
    settings = Settings().with_(time_scale=0.0)
    world = load_for(settings)
    own, _ = measure(Mock(settings, world), args.requests, args.batch, None)
    print(f"in memory : {own:6.1f} CPU us/request")
    with RedisServer() as server:
        assert server.process is not None
        mock = shared_mock(settings.with_(redis=server.url), world, fresh=True)
        own, redis = measure(mock, args.requests, args.batch, server.process.pid)
        print(f"Redis     : {own + redis:6.1f} CPU us/request (mock {own:.1f} + redis-server {redis:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
