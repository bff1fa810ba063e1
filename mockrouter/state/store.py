"""The connection to the Redis store that several workers share, and a private ``redis-server``.

:class:`Store` is a small RESP client of its own on one socket (a unix socket or TCP): commands are encoded by
``hiredis.pack_command`` and replies parsed by a ``hiredis.Reader``, without redis-py's per-command machinery,
which cost more Python time than the round trips themselves.

- ``run(*commands)`` sends the queued writes and ``commands`` in one round trip and returns the replies to
  ``commands`` (a worker reads its own writes).
- ``later(*commands)`` queues writes: they ride on the worker's next send, which comes at the latest when the
  event loop next turns.
- ``post()`` sends the queued writes without waiting for their replies (a journal ``close`` posts before the
  response is written). Commands on one connection run in order, and the replies are read (and dropped; an error
  is logged) with the next round trip's. Another worker's command that the response led to reaches Redis after
  them, and Redis serves its clients' input in the order it arrived.
- ``idle(make)`` queues a write for the loop's next turn only, which the request can take back before: an entry in
  flight.

When the store cannot be reached every command raises ``StoreUnavailable`` (the request is answered 503) and one
warning is logged per outage (per process), with another when it is back; the next command reconnects by itself and
sets ``reconnected`` (``RedisState.begin`` then checks whether the store kept its state). Posted writes that cannot be
sent are dropped.

A private ``redis-server`` for tests and ``serve --workers N`` is :mod:`~mockrouter.state.redis_server`.

Check-and-update steps are Lua scripts, sent by hash (``EVALSHA``; loaded as the connection opens), atomic in Redis
whatever the number of workers.

Key names: ``<prefix>:v`` (settings version), ``<prefix>:ids`` (journal ids), ``<prefix>:j*`` (journal) and
``<prefix>:s:*`` (state: what ``reset`` deletes).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

from mockrouter.settings import safe_url
from mockrouter.state.protocol import StoreUnavailable
from mockrouter.values import Recent

__all__ = ["PICO", "Commands", "Encodings", "Store", "from_pico", "pairs", "to_pico"]

log = logging.getLogger("mockrouter")

#: money is counted in Redis as integer pico-dollars (costs are quantized to 1e-12): sums are exact
PICO = 10**12
#: replies to posted writes left unread before a round trip drains them (a worker that only posts)
_UNREAD_MAX = 4096
_TIMEOUT_S = 10

Command = tuple[Any, ...]
#: a command for ``run``: its arguments, or the command already encoded (``Store.pack``)
Commands = Command | bytes


def to_pico(dollars: float) -> int:
    return round(dollars * PICO)


def from_pico(raw: bytes | int | None) -> float:
    return int(raw or 0) / PICO


def pairs(raw: dict[Any, Any] | list[Any]) -> dict[Any, Any]:
    """A hash as ``HGETALL`` answers it (a map in RESP3, field, value, field, value... in RESP2) as a dict."""
    return raw if isinstance(raw, dict) else dict(zip(raw[::2], raw[1::2], strict=True))


class Encodings:
    """Encodings of shared, never-changed objects (a memoized completion's generation record template), by identity:
    a repeated request's are encoded once (``values.Recent``: bounded, each held object kept alive)."""

    def __init__(self, encode: Callable[[Any], bytes], size: int = 512) -> None:
        self.encode = encode
        self._items: Recent[bytes] = Recent(size)

    def __call__(self, obj: object) -> bytes:
        found = self._items.get(id(obj), obj)
        return found if found is not None else self._items.put(id(obj), self.encode(obj), obj)


class Store:
    def __init__(self, url: str, prefix: str = "mockrouter") -> None:
        try:
            import hiredis
            from redis.connection import SSLConnection, parse_url
            from redis.exceptions import ResponseError
        except ImportError as exc:  # pragma: no cover - a dependency of mockrouter
            raise ValueError("several workers need the redis client: pip install 'redis[hiredis]'") from exc
        try:
            self._params: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
        except ValueError as exc:
            raise ValueError(f"not a Redis URL: {url!r}: {exc}") from None
        self._tls = self._params.get("connection_class") is SSLConnection
        self.url = url
        self.prefix = prefix
        self._pack: Callable[[Command], bytes] = hiredis.pack_command
        self._new_reader: Callable[[], Any] = hiredis.Reader
        self._reply_error: type[Exception] = hiredis.ReplyError
        self._response_error = ResponseError
        #: since when (``time.monotonic()``) the store has been unreachable; None while it answers
        self.down_since: float | None = None
        #: a connection was opened after one failed (``RedisState.begin`` checks that the store kept its state)
        self.reconnected = False
        self._sock: socket.socket | None = None
        self._reader: Any = None
        self._buffer = bytearray(1 << 16)
        self._unread = 0  # replies to posted writes, read with the next round trip's
        self._queued: list[bytes] = []  # encoded writes
        self._idle: list[Callable[[], Command]] = []
        self._scheduled = False
        self._scripts: dict[str, bytes] = {}  # Lua source -> its SHA1 (EVALSHA)
        self._client: Any = None
        #: the next journal id and the journal's epoch, fetched by ``RedisState.begin`` with the version
        self.next_entry: tuple[int, int] | None = None
        #: the event loop's turn (``RedisState.begin``): moves on as it ends, or when the journal is cleared here
        self.turn = 0

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    @property
    def client(self) -> Any:
        """A redis-py client on the same store (for tools and tests; the mock itself never uses it)."""
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(self.url, socket_timeout=_TIMEOUT_S)
        return self._client

    def ping(self) -> None:
        """Raise a clear ``ValueError`` when the store cannot be reached."""
        try:
            self.run(("PING",))
        except (OSError, StoreUnavailable, self._response_error) as exc:
            raise ValueError(f"cannot reach Redis at {self.url}: {exc}") from None

    # ------------------------------------------------------------------ the connection

    def _connect(self) -> socket.socket:
        p = self._params
        try:
            if "path" in p:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(5)
                sock.connect(p["path"])
            else:
                host = p.get("host", "localhost")
                sock = socket.create_connection((host, int(p.get("port", 6379))), timeout=5)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self._tls:
                    import ssl

                    sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        except OSError as exc:
            raise self._lost(exc) from None
        # blocking, with kernel timeouts: a Python-level timeout would poll() before every send and receive
        sock.settimeout(None)
        timeval = struct.pack("ll", _TIMEOUT_S, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        self._sock, self._reader, self._unread = sock, self._new_reader(), 0
        hello: list[Command] = []
        if p.get("password"):
            hello.append(("AUTH", *([p["username"]] if p.get("username") else []), p["password"]))
        if p.get("db"):
            hello.append(("SELECT", int(p["db"])))
        hello += [("SCRIPT", "LOAD", source) for source in self._scripts]
        if hello:
            self._exchange(b"".join(map(self._pack, hello)), 0, len(hello))
        if self.down_since is not None:
            log.warning(
                "mockrouter: the shared store at %s answers again (unreachable for %.1f s)",
                safe_url(self.url),
                time.monotonic() - self.down_since,
            )
            self.down_since, self.reconnected = None, True
        return sock

    def _lost(self, exc: BaseException) -> StoreUnavailable:
        """The store is unreachable: the error to raise, and one warning per outage."""
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning(
                "mockrouter: the shared store at %s is unreachable (%s): requests are answered 503 until it is back",
                safe_url(self.url),
                exc,
            )
        return StoreUnavailable(f"Redis at {safe_url(self.url)}: {exc}")

    def _broken(self, exc: BaseException) -> Exception:
        """Drop a failed connection (the next command opens another); the error to raise."""
        if self._sock is not None:
            self._sock.close()
        self._sock, self._reader, self._unread = None, None, 0
        return self._lost(exc)

    def _exchange(self, payload: bytes, before: int, count: int) -> list[Any]:
        """Send ``payload``; read ``before`` replies to drop (posted writes) and ``count`` to return."""
        sock = self._sock or self._connect()
        reader, buffer, replies = self._reader, self._buffer, list[Any]()
        try:
            sock.sendall(payload)
            want = before + count
            while len(replies) < want:
                reply = reader.gets()
                if reply is False:
                    n = sock.recv_into(buffer)
                    if not n:
                        raise ConnectionResetError("connection closed")
                    reader.feed(buffer, 0, n)
                else:
                    replies.append(reply)
        except OSError as exc:
            raise self._broken(exc) from None
        for reply in replies[:before]:
            if isinstance(reply, self._reply_error):
                log.error("a write to the shared store failed: %s", reply)
        return replies[before:]

    def pack(self, *command: Any) -> bytes:
        """A command encoded once, to ``run`` many times."""
        return self._pack(command)

    def run(self, *commands: Commands) -> list[Any]:
        """Queued writes plus ``commands`` in one round trip; the results of ``commands`` as the parser
        gives them (a hash: see :func:`pairs`)."""
        queued, self._queued = self._queued, []
        if not commands and not queued:
            return []
        if self._sock is None:
            self._connect()
        pack = self._pack
        payload = b"".join([*queued, *(c if c.__class__ is bytes else pack(c) for c in commands)])  # type: ignore[arg-type]
        before, self._unread = self._unread + len(queued), 0
        results = self._exchange(payload, before, len(commands))
        for result in results:
            if isinstance(result, self._reply_error):
                raise self._response_error(str(result))
        return results

    def later(self, *commands: Commands) -> None:
        """Queue writes for the next send (posted when the event loop next turns, at the latest)."""
        pack = self._pack
        self._queued += (c if c.__class__ is bytes else pack(c) for c in commands)  # type: ignore[arg-type]
        self._schedule()

    def post(self) -> None:
        """Send the queued writes now, without waiting for their replies (the next round trip reads them). While
        the store is unreachable they are dropped (the outage is logged once; the request's reads already failed)."""
        queued, self._queued = self._queued, []
        if not queued:
            return
        try:
            sock = self._sock or self._connect()
            try:
                sock.sendall(b"".join(queued))
            except OSError as exc:
                raise self._broken(exc) from None
            self._unread += len(queued)
            if self._unread > _UNREAD_MAX:
                self.run(("PING",))
        except StoreUnavailable:
            return

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
        loop.call_soon(self._turn)

    def _take_idle(self) -> None:
        self._scheduled = False
        idle, self._idle = self._idle, []
        self._queued[:0] = [self._pack(make()) for make in idle]

    def _turn(self) -> None:
        self.turn += 1  # queued no later than the turn's first read: every request that arrives after it runs later
        self._take_idle()
        self.post()

    def hold_turn(self) -> None:
        """What was read in this ``turn`` holds until the event loop's next turn (the caller checked it runs one)."""
        self._schedule()

    def flush(self) -> None:
        """Send every queued write and wait until the store has applied them (dropped if it is unreachable)."""
        self._take_idle()
        if self._queued or self._unread:
            try:
                self.run(("PING",))
            except StoreUnavailable:
                self._queued = []

    def end_turn(self) -> None:
        """What was read in this turn no longer holds (the journal was cleared here)."""
        self.turn += 1

    def eval(self, script: str, keys: list[str], *args: Any) -> Command:
        """A command for ``run`` or ``later`` that runs the Lua ``script`` (``EVALSHA``: loaded once per connection)."""
        sha = self._scripts.get(script)
        if sha is None:
            sha = self._scripts[script] = hashlib.sha1(script.encode()).hexdigest().encode()
            if self._sock is not None:
                self.run(("SCRIPT", "LOAD", script))
        return ("EVALSHA", sha, len(keys), *keys, *args)

    def scan(self, pattern: str) -> list[bytes]:
        """Every key name matching ``pattern``."""
        names, cursor = [], b"0"
        while True:
            cursor, found = self.run(("SCAN", cursor, "MATCH", pattern, "COUNT", 1000))[0]
            names += found
            if cursor == b"0":
                return names

    def delete_state(self) -> None:
        """Delete every ``<prefix>:s:*`` key (the state ``reset`` starts again from)."""
        names = self.scan(self.key("s", "*"))
        for i in range(0, len(names), 500):
            self.run(("UNLINK", *names[i : i + 500]))

    def close(self) -> None:
        if self._sock is not None or self._queued or self._idle:
            self.flush()
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._client is not None:
            self._client.close()
            self._client = None
