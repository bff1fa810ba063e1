"""Running the app: ``run(settings)`` for the CLI, and :class:`MockRouterServer`, a real uvicorn server in a
daemon thread on a pre-bound socket (for tests and the pytest plugin)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from mockrouter.app import create_app
from mockrouter.fixtures import load_for
from mockrouter.pipeline import Mock
from mockrouter.settings import Settings
from mockrouter.world import World

__all__ = ["MockRouterServer", "run", "shared_mock", "uvicorn_config"]


def _loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it on supported platforms
        return "asyncio"
    return "uvloop"


def _http() -> str:
    try:
        import httptools  # noqa: F401
    except ImportError:  # pragma: no cover
        return "h11"
    return "httptools"


def uvicorn_config(app: Any, settings: Settings, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop=_loop(),
        http=_http(),
        log_level=settings.log_level,
        access_log=False,
        timeout_keep_alive=30,
        lifespan="off",
        **extra,
    )


def shared_mock(settings: Settings, world: World | None = None, fresh: bool = False) -> Mock:
    """A mock whose state and journal live in the Redis store at ``settings.redis``; ``fresh`` starts that
    store again from the world (state and journal)."""
    from mockrouter.shared import RedisState
    from mockrouter.shared_journal import RedisJournal
    from mockrouter.store import Store

    if not settings.redis:
        raise ValueError("a shared mock needs settings.redis")
    world = world if world is not None else load_for(settings)
    store = Store(settings.redis)
    store.ping()
    s = settings
    state = RedisState(world, store, 2 * s.journal_size, s.seed, s.time_scale, fresh=fresh)
    journal = RedisJournal(store, s.journal_size)
    if fresh:
        journal.clear()
    return Mock(settings, world, state, journal)


def run(settings: Settings) -> None:
    """Serve until interrupted (the CLI's ``serve``)."""
    if settings.workers > 1:
        raise ValueError(
            "--workers > 1 needs a shared state store (journal, credits, rate windows) that is not built yet; "
            "run one worker per port instead"
        )
    app = create_app(settings)
    uvicorn.Server(uvicorn_config(app, settings)).run()


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
