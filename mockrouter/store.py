"""The connection to the Redis store that several workers share, and a private ``redis-server``.

:class:`Store` keeps one client and a queue of writes. ``run(*commands)`` sends the queued writes and
the given commands in one round trip (a worker reads its own writes). ``later(*command)`` queues a
write: it rides on the worker's next round trip, which comes at the latest when the event loop next
turns (a journal ``close`` flushes at once, before the response is written). ``idle(make)`` queues a
write for the loop's next turn only, which the request can take back before: an entry in flight. Check-and-update steps
are Lua scripts (``EVAL``), atomic in Redis whatever the number of workers.

Key names: ``<prefix>:v`` (settings version), ``<prefix>:ids`` (journal ids), ``<prefix>:j*`` (journal)
and ``<prefix>:s:*`` (state: what ``reset`` deletes).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["PICO", "RedisServer", "Store", "from_pico", "pairs", "to_pico"]

#: money is counted in Redis as integer pico-dollars (costs are quantized to 1e-12): sums are exact
PICO = 10**12

Command = tuple[Any, ...]


def to_pico(dollars: float) -> int:
    return round(dollars * PICO)


def from_pico(raw: bytes | int | None) -> float:
    return int(raw or 0) / PICO


def pairs(raw: dict[Any, Any] | list[Any]) -> dict[Any, Any]:
    """A hash as ``HGETALL`` answers it (a map in RESP3, field, value, field, value... in RESP2) as a dict."""
    return raw if isinstance(raw, dict) else dict(zip(raw[::2], raw[1::2], strict=True))


class Store:
    def __init__(self, url: str, prefix: str = "mockrouter") -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - a dependency of mockrouter
            raise ValueError("several workers need the redis client: pip install redis") from exc
        self.url = url
        self.prefix = prefix
        self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self._connection = self.client.connection_pool.make_connection()
        self._response_error = redis.ResponseError
        self._queued: list[Command] = []
        self._idle: list[Callable[[], Command]] = []
        self._scheduled = False
        #: the next journal id, fetched by ``RedisState.begin`` in the same round trip as the version
        self.next_id: int | None = None

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def ping(self) -> None:
        """Raise a clear ``ValueError`` when the store cannot be reached."""
        import redis

        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise ValueError(f"cannot reach Redis at {self.url}: {exc}") from None

    def run(self, *commands: Command) -> list[Any]:
        """Queued writes plus ``commands`` in one round trip; the results of ``commands`` as the parser
        gives them (a hash: see :func:`pairs`)."""
        queued, self._queued = self._queued, []
        every = [*queued, *commands]
        if not every:
            return []
        # one connection of this worker's own, written and read directly: redis-py's pipeline object
        # costs more Python time per round trip than the round trip itself
        conn = self._connection
        conn.send_packed_command(conn.pack_commands(every), check_health=False)  # type: ignore[no-untyped-call]
        results = []
        for _ in every:
            try:
                results.append(conn.read_response())
            except self._response_error as exc:
                results.append(exc)
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results[len(queued) :]

    def later(self, *command: Any) -> None:
        """Queue a write for the next round trip (flushed when the event loop next turns, at the latest)."""
        self._queued.append(command)
        self._schedule()

    def idle(self, make: Callable[[], Command]) -> Callable[[], Command]:
        """Queue a write that only the event loop's next turn sends (``make`` builds it then), unless
        ``unqueue(make)`` takes it back first: a request that completes within its turn never sends it."""
        self._idle.append(make)
        self._schedule()
        return make

    def unqueue(self, make: Callable[[], Command]) -> bool:
        """Take back an ``idle`` write not sent yet (whether it was)."""
        for i, queued in enumerate(self._idle):
            if queued is make:
                del self._idle[i]
                return True
        return False

    def _schedule(self) -> None:
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        idle, self._idle = self._idle, []
        self._queued[:0] = [make() for make in idle]
        if self._queued:
            self.run()

    def eval(self, script: str, keys: list[str], *args: Any) -> Command:
        """An ``EVAL`` command for ``run`` or ``later``."""
        return ("EVAL", script, len(keys), *keys, *args)

    def delete_state(self) -> None:
        """Delete every ``<prefix>:s:*`` key (the state ``reset`` starts again from)."""
        names = list(self.client.scan_iter(match=self.key("s", "*"), count=1000))
        for i in range(0, len(names), 500):
            self.run(("UNLINK", *names[i : i + 500]))

    def close(self) -> None:
        self.flush()
        self._connection.disconnect()  # type: ignore[no-untyped-call]
        self.client.close()


class RedisServer:
    """A private ``redis-server`` on a unix socket in a temporary folder, without persistence.

    >>> with RedisServer() as server:
    ...     server.url  # 'unix:///tmp/mockrouter-redis-.../redis.sock'
    """

    def __init__(self, executable: str | None = None) -> None:
        found = executable or shutil.which("redis-server")
        if found is None:
            raise ValueError(
                "redis-server is not installed (Debian: apt-get install -y redis-server); "
                "install it or pass --redis URL of a running Redis"
            )
        self.executable = found
        self.folder = Path(tempfile.mkdtemp(prefix="mockrouter-redis-"))
        self.socket = self.folder / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> RedisServer:
        args = [self.executable, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
                "--save", "", "--appendonly", "no", "--dir", str(self.folder), "--loglevel", "warning"]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                self.stop()
                raise ValueError(f"redis-server did not start: {err.strip() or 'timed out'}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
