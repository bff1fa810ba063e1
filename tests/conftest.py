from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockrouter import Mock, MockRouterServer, Settings, create_app
from tests.contract_check import check_response

KEY = "sk-or-v1-" + "0123456789abcdef" * 4
AUTH = {"Authorization": f"Bearer {KEY}"}


#: Families a test may only use with ``@pytest.mark.socket``: TCP over IPv4/IPv6. Unix sockets and
#: ``socket.socketpair()`` (an event loop's self-pipe, anyio's portal) stay allowed everywhere.
GUARDED_FAMILIES = frozenset({socket.AF_INET, socket.AF_INET6})
#: The socket methods that open a connection or a listening port.
GUARDED_METHODS = ("connect", "connect_ex", "bind", "listen")
#: Fixtures that start a server on a socket (a session-scoped one starts before the guard below is set up).
SOCKET_FIXTURES = frozenset({"live_server", "redis_url"})
_ATTEMPTS = pytest.StashKey[list[str]]()


class UnmarkedSocketError(RuntimeError):
    """A test without ``@pytest.mark.socket`` opened a TCP socket (not an ``OSError``, so that no client
    library mistakes it for a network failure and retries or wraps it)."""


@pytest.fixture(autouse=True)
def _sockets_need_the_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Enforces the ``socket`` marker, so that ``pytest -m "not socket"`` really is the suite that needs no
    network: in a test without it, connecting, binding or listening on a TCP socket raises
    ``UnmarkedSocketError`` (in any thread), and the test fails even if something swallowed the error
    (``pytest_runtest_makereport`` below)."""
    if request.node.get_closest_marker("socket") is not None:
        yield
        return
    nodeid = request.node.nodeid
    servers = sorted(SOCKET_FIXTURES.intersection(request.fixturenames))
    if servers:
        pytest.fail(f"{nodeid} uses {', '.join(servers)} (a server on a socket): mark it @pytest.mark.socket")
    attempts = request.node.stash[_ATTEMPTS] = []

    def guarded(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def method(sock: socket.socket, *args: Any) -> Any:
            if sock.family in GUARDED_FAMILIES:
                call = f"{sock.family.name} {name}({', '.join(map(repr, args))})"
                attempts.append(call)
                raise UnmarkedSocketError(f"this test opens a socket ({call}): mark it @pytest.mark.socket")
            return original(sock, *args)

        return method

    with pytest.MonkeyPatch.context() as mp:
        for name in GUARDED_METHODS:
            mp.setattr(socket.socket, name, guarded(name, getattr(socket.socket, name)))
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A test that opened a socket without the marker fails, even if it caught ``UnmarkedSocketError``."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    attempts = item.stash.get(_ATTEMPTS, None)
    if call.when == "call" and report.passed and attempts:
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} opened a socket ({'; '.join(attempts)}): mark it @pytest.mark.socket"


def make_client(mock: Mock) -> TestClient:
    client = TestClient(create_app(mock=mock), raise_server_exceptions=False)
    client.event_hooks = {"request": [], "response": [check_response]}
    return client


@pytest.fixture
def settings() -> Settings:
    return Settings(time_scale=0, seed=0)


@pytest.fixture
def mock(settings: Settings) -> Mock:
    return Mock(settings)


@pytest.fixture
def client(mock: Mock) -> Iterator[TestClient]:
    with make_client(mock) as c:
        yield c


@pytest.fixture(scope="session")
def live_server() -> Iterator[MockRouterServer]:
    server = MockRouterServer(Settings(time_scale=0, seed=0))
    with server:
        yield server


@pytest.fixture
def live(live_server: MockRouterServer) -> MockRouterServer:
    live_server.mock.reset()
    live_server.mock.time_scale = 0
    return live_server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private redis-server for the session (tests of several workers; never skipped: CI has one)."""
    from mockrouter.state.redis_server import RedisServer

    with RedisServer() as server:
        yield server.url


def chat(client: TestClient, headers: dict[str, str] | None = None, **body: object):
    body.setdefault("model", "openai/gpt-5-mini")
    body.setdefault("messages", [{"role": "user", "content": "Hello there"}])
    return client.post("/api/v1/chat/completions", json=body, headers={**AUTH, **(headers or {})})
