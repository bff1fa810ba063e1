"""The pytest plugin (auto-loaded through the ``pytest11`` entry point once mockrouter is installed).

Fixtures: ``mockrouter_settings`` (session, override it in a conftest), ``mockrouter_server`` (session: one
real uvicorn server on a free loopback port) and ``mockrouter`` (function: a reset world and a
:class:`MockRouterHandle`). A test may ask for its own world and seed::

    @pytest.mark.mockrouter(scenarios=["byok-missing"], fixtures=["my.yaml"], seed=5, profile="launch", time_scale=0)
    def test_it(mockrouter): ...

``scenarios``, ``fixtures`` and ``profile`` build a separate server for that test; ``seed`` and ``time_scale``
only re-tune the shared one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mockrouter.engine.core import Mock
from mockrouter.faults import Fault
from mockrouter.fixtures import stubs_from
from mockrouter.http.server import MockRouterServer
from mockrouter.kinds import FaultKind
from mockrouter.settings import Settings
from mockrouter.state.journal import Entry
from mockrouter.state.protocol import AccountState
from mockrouter.world import Stub

if TYPE_CHECKING:
    import openai

__all__ = ["MockRouterHandle"]

_MARKER = (
    "mockrouter(scenarios=[...], fixtures=[...], seed=None, profile=None, time_scale=None): the mockrouter world "
    "and seed for this test (scenarios/fixtures/profile start a separate server)"
)
_MARKER_KEYS = ("scenarios", "fixtures", "seed", "profile", "time_scale")
_WORLD_KEYS = ("scenarios", "fixtures", "profile")


class MockRouterHandle:
    """What the ``mockrouter`` fixture returns: the server's addresses, this test's key and shortcuts."""

    def __init__(self, server: MockRouterServer, api_key: str) -> None:
        self.server = server
        self.mock: Mock = server.mock
        self.url = server.url
        self.base_url = server.base_url
        self.api_key = api_key
        self._ids = itertools.count(1)
        self.mock.state.key_state(api_key)  # known from the start (strict_keys too)

    def __repr__(self) -> str:
        return f"<MockRouterHandle {self.base_url} key={self.api_key[:12]}...>"

    # ------------------------------------------------------------------ the journal

    @property
    def requests(self) -> list[Entry]:
        """Every request the mock saw in this test, oldest first."""
        return list(self.mock.journal)

    @property
    def last(self) -> Entry | None:
        return self.mock.journal.last

    def find(self, **criteria: Any) -> list[Entry]:
        """Journal entries matching ``model=``, ``key=``, ``status=``, ``path=``, ``outcome=``, ``header=``..."""
        return self.mock.journal.find(**criteria)

    def count(self, **criteria: Any) -> int:
        return self.mock.journal.count(**criteria)

    # ------------------------------------------------------------------ shaping the world

    def stub(
        self,
        name: str | None = None,
        *,
        model: str | None = None,
        message: str | None = None,
        stream: bool | None = None,
        tools: bool | None = None,
        key: str | None = None,
        content: str | None = None,
        tool_calls: Sequence[Mapping[str, Any]] | None = None,
        reasoning: str | None = None,
        finish_reason: str | None = None,
        error: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        fault: Fault | Mapping[str, Any] | None = None,
        times: int | None = None,
        scenario: str | None = None,
        requires: str | None = None,
        sets: str | None = None,
        priority: int = 5,
    ) -> Stub:
        """Install a runtime stub (as ``POST /__mockrouter/stubs`` does); ``status``/``error`` make it an error.

        Raises :class:`~mockrouter.errors.FixtureError` for what a fixture file could not say either.
        """
        name = name or f"pytest-stub-{next(self._ids)}"
        match = _given(model=model, message=message, stream=stream, tools=tools, key=key)
        respond = _given(content=content, reasoning=reasoning, finish_reason=finish_reason)
        if tool_calls is not None:
            respond["tool_calls"] = [dict(c) for c in tool_calls]
        if fault is not None:
            spec = fault.as_dict() if isinstance(fault, Fault) else dict(fault)
            respond["fault"] = {k: v for k, v in spec.items() if k != "id"}  # stub faults are counted per stub
        elif status is not None or error is not None:
            respond["fault"] = _given(kind="error", status=status or 500, message=error, retry_after=retry_after)
        doc: dict[str, Any] = {"name": name, "priority": priority, "match": match, "respond": respond}
        if times is not None:
            doc["times"] = times
        if scenario is not None:
            doc["scenario"] = _given(name=scenario, requires=requires, sets=sets)
        elif requires is not None or sets is not None:
            raise ValueError("requires= and sets= need scenario=")
        built = replace(stubs_from([doc], self.mock.world, origin="<pytest>")[0], origin="pytest")
        self.mock.state.add_stubs([built])
        return built

    def scenario(self, name: str, state: str | None = None) -> str:
        """A scenario's state (``started`` at first); with ``state``, move it there first."""
        if state is not None:
            self.mock.state.set_scenario(name, state)
        return self.mock.state.scenario_state(name)

    def fail_next(
        self,
        status: int | None,
        times: int | None = 1,
        retry_after: float | None = None,
        kind: str = "error",
        **extra: Any,
    ) -> Fault:
        """Fail the next ``times`` completions (``None``: all of them) with ``status`` (or another fault ``kind``)."""
        fault_id = f"pytest:{next(self._ids)}"
        fault = Fault(kind=FaultKind(kind), status=status, retry_after=retry_after, times=times, id=fault_id, **extra)
        self.mock.state.add_fault(fault)
        return fault

    def set_credits(self, credits: float | None, usage: float | None = None) -> AccountState:
        """Set the credits (and usage) of this test's key's account."""
        account = self.mock.state.key_state(self.api_key).account
        return self.mock.state.set_credits(account.id, credits, usage)

    @property
    def account(self) -> AccountState:
        return self.mock.state.key_state(self.api_key).account

    # ------------------------------------------------------------------ clients and verdicts

    def openai_client(self, **kw: Any) -> openai.OpenAI:
        """An ``openai.OpenAI`` client pointed at the mock with this test's key."""
        import openai

        kw.setdefault("base_url", self.base_url)
        kw.setdefault("api_key", self.api_key)
        return openai.OpenAI(**kw)

    def verdict(self, **params: Any) -> dict[str, Any]:
        """``GET /__mockrouter/verdict``: how well the client under test behaved (retries, back-off, headers)."""
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = f"{self.url}/__mockrouter/verdict" + (f"?{query}" if query else "")
        with urllib.request.urlopen(url, timeout=30) as response:  # loopback http only
            result: dict[str, Any] = json.loads(response.read())
        return result

    def assert_well_behaved(self, **params: Any) -> dict[str, Any]:
        verdict = self.verdict(**params)
        if not verdict.get("ok"):
            problems = verdict.get("problems") or ["(no problems listed)"]
            raise AssertionError("mockrouter: the client misbehaved:\n  " + "\n  ".join(str(p) for p in problems))
        return verdict


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# ---------------------------------------------------------------------- hooks and fixtures


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER)


@pytest.fixture(scope="session")
def mockrouter_settings() -> Settings:
    """The shared server's settings; override this fixture (session scope) to change them."""
    return Settings(time_scale=0, seed=0)


@pytest.fixture(scope="session")
def mockrouter_server(mockrouter_settings: Settings) -> Iterator[MockRouterServer]:
    server = MockRouterServer(mockrouter_settings).start()
    try:
        yield server
    finally:
        server.stop()


def _fixture_path(request: pytest.FixtureRequest, name: str) -> str:
    path = Path(name)
    if path.is_absolute():
        return name
    for base in (request.path.parent, request.config.rootpath):
        if (base / path).exists():
            return str(base / path)
    return name


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("mockrouter")
    if marker is None:
        return {}
    if marker.args:
        raise pytest.UsageError("@pytest.mark.mockrouter takes keyword arguments only")
    unknown = sorted(set(marker.kwargs) - set(_MARKER_KEYS))
    if unknown:
        known = ", ".join(_MARKER_KEYS)
        raise pytest.UsageError(f"@pytest.mark.mockrouter: unknown option(s) {', '.join(unknown)}; use {known}")
    options = {k: v for k, v in marker.kwargs.items() if v is not None}
    for listed in ("scenarios", "fixtures"):
        if isinstance(options.get(listed), str):
            options[listed] = [options[listed]]
    return options


@pytest.fixture
def mockrouter(request: pytest.FixtureRequest, mockrouter_settings: Settings) -> Iterator[MockRouterHandle]:
    """A reset mockrouter for this test: ``base_url``, ``api_key``, ``requests``, ``stub()``, ``fail_next()``..."""
    options = _marker_options(request)  # the key: fresh per test, the same on every run of that test
    api_key = "sk-or-v1-" + hashlib.sha256(f"mockrouter:{request.node.nodeid}".encode()).hexdigest()
    if any(k in options for k in _WORLD_KEYS):
        settings = mockrouter_settings.with_(
            port=0,  # a free port of its own, even when the shared server has a fixed one
            scenarios=(*mockrouter_settings.scenarios, *options.get("scenarios", ())),
            fixtures=(*mockrouter_settings.fixtures, *(_fixture_path(request, f) for f in options.get("fixtures", ()))),
            profile=options.get("profile", mockrouter_settings.profile),
            seed=options.get("seed", mockrouter_settings.seed),
            time_scale=options.get("time_scale", mockrouter_settings.time_scale),
        )
        with MockRouterServer(settings) as server:
            yield MockRouterHandle(server, api_key)
        return
    shared: MockRouterServer = request.getfixturevalue("mockrouter_server")
    shared.mock.reset()
    if "seed" in options:
        shared.mock.seed = int(options["seed"])
    if "time_scale" in options:
        shared.mock.time_scale = float(options["time_scale"])
    yield MockRouterHandle(shared, api_key)
