"""Running the app: ``run(settings)`` for the CLI, and :class:`MockRouterServer`, a real uvicorn server in a
daemon thread on a pre-bound socket (for tests and the pytest plugin)."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
import time
from contextlib import ExitStack
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from mockrouter.engine.core import Mock
from mockrouter.fixtures import load_for
from mockrouter.http.app import create_app
from mockrouter.http.protocol import HeadLimit, http_protocol
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


def uvicorn_config(app: Any, settings: Settings, **extra: Any) -> uvicorn.Config:
    http = http_protocol(settings)  # httptools with mockrouter's speed-ups, or uvicorn's h11 (see protocol.py)
    return uvicorn.Config(
        HeadLimit(app, settings) if http == "h11" else app,
        host=settings.host,
        port=settings.port,
        loop=_loop(),
        http=http,
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
        app = create_app(settings)
        _settle()
        uvicorn.Server(uvicorn_config(app, settings)).run()
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
            app = create_app(mock=mock)
            _settle()
            uvicorn.Server(uvicorn_config(app, settings)).run()
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
    _settle()
    _Server(uvicorn_config(app, settings), ready).run(sockets=[sock])


def _settle() -> None:
    """What start-up made (the world, the schemas, the modules) lives as long as the process: moved out of the
    garbage collector's reach, so a full collection under load walks only what requests made (measured: a 30 ms
    pause became 16 ms, which is what a p99 latency sees)."""
    gc.collect()
    gc.freeze()


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
