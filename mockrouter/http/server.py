"""Running the app: ``run(settings)`` for the CLI, and :class:`MockRouterServer`, a real uvicorn server in a
daemon thread on a pre-bound socket (for tests and the pytest plugin)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time
from contextlib import ExitStack
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from mockrouter.calls import json_bytes
from mockrouter.engine.core import Mock
from mockrouter.errors import MockRouterError, envelope
from mockrouter.fixtures import load_for
from mockrouter.http.app import create_app
from mockrouter.kinds import profile
from mockrouter.settings import Settings, safe_url
from mockrouter.world import World

__all__ = ["MockRouterServer", "run", "shared_mock", "uvicorn_config"]

log = logging.getLogger("mockrouter")


def _loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it on supported platforms
        return "asyncio"
    return "uvloop"


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


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

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

        It relies on five methods of uvicorn's protocol (``connection_made``, ``data_received``,
        ``on_message_begin``, ``on_headers_complete``, ``on_message_complete``), its ``transport``, ``scope`` and
        ``cycle``, and the cycle's ``send``, ``chunked_encoding`` and ``expected_content_length``:
        tests/test_robustness.py checks them, so an upgrade that changes them fails loudly."""

        head_limit = 0  # set per server by ``uvicorn_config`` (a subclass each)
        refusal = b""
        _head: int | None = 0  # bytes of the current request's head so far; None once it has ended
        _tail = b""  # the last bytes of the head so far (its end may be split across two reads)

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._head, self._tail = 0, b""
            super().connection_made(Corked(transport))  # type: ignore[arg-type]

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
            self.scope["mockrouter.arrived"] = time.monotonic()  # type: ignore[typeddict-unknown-key]
            self.scope["mockrouter.cork"] = self.transport  # type: ignore[typeddict-unknown-key]

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            if self.scope.get("http_version") == "1.0" and self.cycle is not None and self.cycle.scope is self.scope:
                self.cycle.__class__ = CloseDelimited  # before its ASGI task first runs

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._head, self._tail = 0, b""  # the next request's head

    _HTTP: Any = StampedHttpTools
except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools on supported platforms
    _HTTP = "h11"


def _refusal(settings: Settings) -> bytes:
    """The 431 answer to a request whose head is larger than ``settings.max_header_bytes``."""
    err = MockRouterError.of(431, max_bytes=settings.max_header_bytes)
    body = json_bytes(envelope(err, profile(settings.profile).error_type))
    head = f"HTTP/1.1 431 {err.message}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return (head + "connection: close\r\n\r\n").encode() + body


def _http(settings: Settings) -> Any:
    if _HTTP == "h11":  # pragma: no cover - h11 has a limit of its own
        return _HTTP
    attrs = {"head_limit": settings.max_header_bytes, "refusal": _refusal(settings)}
    return type("LimitedHttpTools", (_HTTP,), attrs)


def uvicorn_config(app: Any, settings: Settings, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop=_loop(),
        http=_http(settings),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        log_level=settings.log_level,
        access_log=False,
        timeout_keep_alive=30,
        proxy_headers=False,  # a mock on loopback: no X-Forwarded-* rewriting (and no per-request middleware)
        lifespan="off",
        **extra,
    )


def shared_mock(settings: Settings, world: World | None = None, fresh: bool = False, joined: bool = True) -> Mock:
    """A mock whose state and journal live in the Redis store at ``settings.redis``. ``fresh`` starts that store
    again from the world (state and journal); else a store that holds no state yet starts from the world and one
    that does is joined (another host's, or the supervisor's). ``joined``: the store is expected to hold state
    already (a worker's): found empty, it was emptied under the mock, which is announced (a warning, the health's
    ``store_reset`` and a journal marker)."""
    from mockrouter.state.redis import RedisState
    from mockrouter.state.redis_journal import RedisJournal
    from mockrouter.state.store import Store

    if not settings.redis:
        raise ValueError("a shared mock needs settings.redis")
    world = world if world is not None else load_for(settings)
    store = Store(settings.redis)
    store.ping()
    s = settings
    journal = RedisJournal(store, s.journal_size)
    size, mark = 2 * s.journal_size, journal.mark_reset
    state = RedisState(world, store, size, s.seed, s.time_scale, fresh, announce=joined, on_store_reset=mark)
    if fresh or (state.started_store and not joined):
        journal.clear()
    return Mock(settings, world, state, journal)


def run(settings: Settings) -> None:
    """Serve until interrupted (the CLI's ``serve``).

    One worker keeps its state in memory. Several share a Redis store (``settings.redis``, or a private
    ``redis-server`` started here and stopped on exit): this process loads the world, starts the store
    from it when it holds no state yet (else joins it: another host's), then forks the workers, each listening on the port with ``SO_REUSEPORT`` (the kernel spreads
    connections over them); it replaces a worker that ends, and stops them all when it is told to stop or when
    a worker could not start (``_supervise``).
    """
    if settings.workers == 1 and not settings.redis:
        uvicorn.Server(uvicorn_config(create_app(settings), settings)).run()
        return
    with ExitStack() as stack:
        from mockrouter.state.redis import RedisState
        from mockrouter.state.redis_server import RedisServer

        if not settings.redis:
            settings = settings.with_(redis=stack.enter_context(RedisServer()).url)
        world = load_for(settings)
        mock = shared_mock(settings, world, joined=False)
        log.info("mockrouter: %d worker(s) sharing state in Redis at %s", settings.workers, safe_url(settings.redis))
        if settings.workers == 1:
            uvicorn.Server(uvicorn_config(create_app(mock=mock), settings)).run()
            return
        mock.state.store.close() if isinstance(mock.state, RedisState) else None  # workers connect after the fork
        _supervise(settings, world)


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, which sets ``ready`` once it listens (the supervisor tells a bad start from a crash)."""

    def __init__(self, config: uvicorn.Config, ready: Any) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self.ready.set()


def _worker(settings: Settings, world: World, shared: socket.socket | None, ready: Any) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # not the supervisor's (uvicorn sets its own)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sock = shared or _listening_socket(settings.host, settings.port)
    app = create_app(mock=shared_mock(settings, world))
    _Server(uvicorn_config(app, settings), ready).run(sockets=[sock])


def _supervise(settings: Settings, world: World) -> None:
    """Run ``settings.workers`` workers until told to stop. A worker that ends after it started serving (killed,
    or crashed) is replaced, with a log line, while the others keep serving: the state lives in Redis, so nothing
    is lost. A worker that ends before it served could not start (a broken store, a port in use): replacing it
    would only loop, so every worker is stopped and the reason raised."""
    # The parent's socket reserves the port (and resolves port 0); it never listens, so with SO_REUSEPORT
    # the workers' own sockets get the connections. Without SO_REUSEPORT the workers share this one.
    reserved = _listening_socket(settings.host, settings.port)
    settings = settings.with_(port=reserved.getsockname()[1])
    shared = None if hasattr(socket, "SO_REUSEPORT") else reserved
    context = multiprocessing.get_context("fork")
    workers: list[tuple[Any, Any]] = []  # (process, its ready event), one per slot
    stopping, failed = False, None

    def spawn(i: int) -> tuple[Any, Any]:
        ready = context.Event()
        worker = context.Process(
            target=_worker, args=(settings, world, shared, ready), name=f"mockrouter-worker-{i + 1}"
        )
        worker.start()
        return worker, ready

    def stop(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True
        for worker, _ in workers:
            if worker.pid is not None and worker.exitcode is None:
                os.kill(worker.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        workers.extend(spawn(i) for i in range(settings.workers))
        while not stopping and failed is None:
            multiprocessing.connection.wait([worker.sentinel for worker, _ in workers])
            for i, (worker, ready) in enumerate(workers):
                if stopping or worker.exitcode is None:
                    continue
                if not ready.is_set():
                    failed = worker
                    break
                log.warning(
                    "mockrouter: %s (pid %s) ended (exit code %s); starting another, the others keep serving",
                    worker.name,
                    worker.pid,
                    worker.exitcode,
                )
                workers[i] = spawn(i)
        stop()
        for worker, _ in workers:
            worker.join(timeout=15)
            if worker.exitcode is None:  # pragma: no cover - a worker that ignores SIGTERM
                worker.kill()
                worker.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        reserved.close()
    if failed is not None:
        codes = ", ".join(f"{w.name}: {w.exitcode}" for w, _ in workers)
        raise ValueError(f"{failed.name} could not start, so every worker was stopped ({codes})")


class MockRouterServer:
    """A mockrouter on a free loopback port in a daemon thread.

    >>> with MockRouterServer(Settings(time_scale=0)) as server:
    ...     server.base_url  # 'http://127.0.0.1:<port>/api/v1'
    """

    def __init__(self, settings: Settings | None = None, mock: Mock | None = None, app: Any = None) -> None:
        self.settings = settings or Settings(time_scale=0)
        self.mock = mock or Mock(self.settings)
        self.app = app if app is not None else create_app(mock=self.mock)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.settings.host, self.settings.port if self.settings.port != 8000 else 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn_config(self.app, self.settings.with_(port=self.port, log_level="warning"))
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/v1"

    def start(self) -> MockRouterServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("mockrouter server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> MockRouterServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
