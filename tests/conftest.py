from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockrouter import Mock, MockRouterServer, Settings, create_app
from tests.contract_check import check_response

KEY = "sk-or-v1-" + "0123456789abcdef" * 4
AUTH = {"Authorization": f"Bearer {KEY}"}


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
    from mockrouter.state.store import RedisServer

    with RedisServer() as server:
        yield server.url


def chat(client: TestClient, headers: dict[str, str] | None = None, **body: object):
    body.setdefault("model", "openai/gpt-5-mini")
    body.setdefault("messages", [{"role": "user", "content": "Hello there"}])
    return client.post("/api/v1/chat/completions", json=body, headers={**AUTH, **(headers or {})})
