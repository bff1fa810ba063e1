"""The pytest plugin, driven through ``pytester`` in subprocesses (our own suite runs with ``-p no:mockrouter``).

Inner runs load the plugin with ``-p mockrouter``, the entry-point name: it works with and without plugin
auto-loading. (``-p mockrouter.pytest_plugin`` would register the module a second time under another name
when the entry point is installed, and pluggy refuses that.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockrouter import MockRouterServer, Settings
from mockrouter.pytest_plugin import MockRouterHandle

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.socket

SAMPLE = Path(__file__).parent / "plugin_sample"
KEY_RE = r"sk-or-v1-[0-9a-f]{64}"

HEADER = """
import re

import httpx
import openai
import pytest


def chat(handle, model="openai/gpt-5-mini", content="Hello there", **body):
    body = {"model": model, "messages": [{"role": "user", "content": content}], **body}
    headers = {"Authorization": f"Bearer {handle.api_key}"}
    return httpx.post(handle.base_url + "/chat/completions", json=body, headers=headers, timeout=30)
"""


@pytest.fixture(autouse=True)
def _fast_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs load only the plugin they name (skips schemathesis, hypothesis...: ~2 s each)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=HEADER + source)
    return pytester.runpytest_subprocess("-p", "mockrouter", "-p", "no:cacheprovider", "--strict-markers", "-v", *args)


def test_session_server_and_reset_between_tests(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        f"""
SEEN = []


def test_server_is_up(mockrouter):
    assert mockrouter.base_url.startswith("http://127.0.0.1:") and mockrouter.base_url.endswith("/api/v1")
    assert re.fullmatch(r"{KEY_RE}", mockrouter.api_key)
    r = httpx.get(mockrouter.base_url + "/models")
    assert r.status_code == 200 and r.json()["data"]
    assert [e.path for e in mockrouter.requests] == ["/api/v1/models"]
    SEEN.append((mockrouter.url, mockrouter.api_key))


def test_spends_and_breaks_things(mockrouter):
    assert mockrouter.requests == []
    assert chat(mockrouter).status_code == 200
    mockrouter.stub(content="stubbed")
    mockrouter.fail_next(500, times=None)
    mockrouter.scenario("story", "middle")
    assert chat(mockrouter).status_code == 500
    mockrouter.set_credits(0.0, usage=5.0)
    assert chat(mockrouter).status_code == 402
    SEEN.append((mockrouter.url, mockrouter.api_key))


def test_everything_is_back(mockrouter):
    assert mockrouter.requests == [] and mockrouter.count() == 0
    admin = mockrouter.url + "/__mockrouter"
    assert [s["name"] for s in httpx.get(admin + "/stubs").json()["stubs"] if s["origin"] != "fixtures"] == []
    assert httpx.get(admin + "/faults").json() == {{"faults": []}}
    assert mockrouter.scenario("story") == "started"
    r = httpx.get(mockrouter.url + "/__mockrouter/keys", params={{"key": mockrouter.api_key}})
    assert r.json()["credits"] == r.json()["balance"] == mockrouter.mock.world.defaults.credits > 0
    r = chat(mockrouter)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] != "stubbed"
    SEEN.append((mockrouter.url, mockrouter.api_key))
    assert len({{url for url, _ in SEEN}}) == 1, "one session server"
    assert len({{key for _, key in SEEN}}) == 3, "a fresh key per test"
""",
    )
    result.assert_outcomes(passed=3)


def test_stub_content_and_error(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_content(mockrouter):
    stub = mockrouter.stub(model="openai/gpt-5-mini", message="weather", content="Sunny, 21C")
    client = mockrouter.openai_client(max_retries=0)
    reply = client.chat.completions.create(model="openai/gpt-5-mini", messages=[{"role": "user", "content": "The weather?"}])
    assert reply.choices[0].message.content == "Sunny, 21C"
    assert mockrouter.requests[-1].stub == stub.name == "pytest-stub-1"
    other = client.chat.completions.create(model="openai/gpt-5-mini", messages=[{"role": "user", "content": "Hi"}])
    assert other.choices[0].message.content != "Sunny, 21C"
    assert mockrouter.find(path="/api/v1/chat/completions", status=200)[-1].stub is None


def test_tool_calls_and_errors(mockrouter):
    mockrouter.stub("tool", message="call", tool_calls=[{"name": "lookup", "arguments": {"q": "x"}}])
    mockrouter.stub("boom", message="explode", status=503, error="Upstream is on fire")
    r = chat(mockrouter, content="please call it")
    call = r.json()["choices"][0]["message"]["tool_calls"][0]["function"]
    assert call["name"] == "lookup" and call["arguments"] == '{"q": "x"}'
    r = chat(mockrouter, content="explode now")
    assert r.status_code == 503 and r.json()["error"]["message"] == "Upstream is on fire"


def test_unknown_model_is_refused(mockrouter):
    from mockrouter.errors import FixtureError

    with pytest.raises(FixtureError, match="unknown model"):
        mockrouter.stub(model="nobody/nothing", content="x")
""",
    )
    result.assert_outcomes(passed=3)


def test_scenario_fail_twice_then_succeed(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_flaky(mockrouter):
    mockrouter.stub("fail-1", scenario="flaky", requires="started", sets="failed-once", status=502)
    mockrouter.stub("fail-2", scenario="flaky", requires="failed-once", sets="failed-twice", status=502)
    mockrouter.stub("ok", scenario="flaky", requires="failed-twice", sets="recovered", content="third time lucky")
    assert mockrouter.scenario("flaky") == "started"
    replies = [chat(mockrouter) for _ in range(3)]
    assert [r.status_code for r in replies] == [502, 502, 200]
    assert replies[-1].json()["choices"][0]["message"]["content"] == "third time lucky"
    assert [e.stub for e in mockrouter.requests] == ["fail-1", "fail-2", "ok"]
    assert mockrouter.scenario("flaky") == "recovered"
    assert mockrouter.scenario("flaky", "failed-twice") == "failed-twice"
    assert chat(mockrouter).status_code == 200
""",
    )
    result.assert_outcomes(passed=1)


def test_fail_next_then_the_openai_sdk_retries(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_retries(mockrouter):
    fault = mockrouter.fail_next(429, times=2, retry_after=0)
    assert fault.status == 429 and fault.id
    client = mockrouter.openai_client(max_retries=2)
    reply = client.chat.completions.create(model="openai/gpt-5-mini", messages=[{"role": "user", "content": "Hi"}])
    assert reply.choices[0].message.content
    assert [e.status for e in mockrouter.requests] == [429, 429, 200]
    assert [e.retry_after for e in mockrouter.requests[:2]] == ["0", "0"]


def test_credits(mockrouter):
    account = mockrouter.set_credits(0.0001)
    assert account is mockrouter.account and account.credits == 0.0001
    client = mockrouter.openai_client(max_retries=0)
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="openai/gpt-5-mini", messages=[{"role": "user", "content": "Hi"}])
    assert info.value.status_code == 402
    assert mockrouter.count(status=402) == 1
""",
    )
    result.assert_outcomes(passed=2)


def test_marker_chooses_the_world_and_seed(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        extra="stubs:\n  - name: from-file\n    match: {message: ping}\n    respond: {content: pong}\n",
    )
    result = run(
        pytester,
        """
URLS = {}


def test_shared(mockrouter):
    URLS["shared"] = mockrouter.url
    assert mockrouter.mock.seed == 0


@pytest.mark.mockrouter(scenarios=["byok-missing"], seed=5)
def test_byok_missing(mockrouter):
    assert mockrouter.url != URLS["shared"], "a world of its own"
    assert mockrouter.mock.seed == 5
    assert any("byok-missing" in source for source in mockrouter.mock.world.sources)
    r = chat(mockrouter, model="openai/gpt-5")
    assert r.status_code == 403, r.text
    assert chat(mockrouter).status_code == 200
    settings = httpx.get(mockrouter.url + "/__mockrouter/settings").json()
    assert settings["seed"] == 5


@pytest.mark.mockrouter(seed=7, time_scale=0)
def test_seed_only(mockrouter):
    assert mockrouter.url == URLS["shared"], "seed alone re-tunes the shared server"
    assert mockrouter.mock.seed == 7


def test_seed_back(mockrouter):
    assert mockrouter.mock.seed == 0


@pytest.mark.mockrouter(fixtures=["extra.yaml"], profile="launch")
def test_fixture_file(mockrouter):
    assert mockrouter.mock.profile.name == "launch"
    assert chat(mockrouter, content="ping").json()["choices"][0]["message"]["content"] == "pong"


@pytest.mark.mockrouter(sed=1)
def test_typo(mockrouter):
    pass
""",
    )
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(["*unknown option(s) sed*"])


def test_sample_project_with_the_openai_sdk(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``-p``: the ``pytest11`` entry point loads the plugin, as in any project that installs mockrouter."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    for name in ("app_under_test.py", "test_app_under_test.py"):
        pytester.path.joinpath(name).write_text((SAMPLE / name).read_text("utf-8"), "utf-8")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-v")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["plugins:*mockrouter-*"])


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "mockrouter", "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mockrouter(scenarios=*"])


# ---------------------------------------------------------------------- the handle, in-process


@pytest.fixture(scope="module")
def server():
    with MockRouterServer(Settings(time_scale=0, seed=0)) as s:
        yield s


def test_verdict_calls_the_endpoint(server: MockRouterServer, monkeypatch: pytest.MonkeyPatch) -> None:
    handle = MockRouterHandle(server, "sk-or-v1-" + "ab" * 32)
    seen: list[str] = []
    import mockrouter.engine.admin

    real = mockrouter.engine.admin.judge

    def spy(journal, key=None, since=0.0):
        seen.append(key)
        return real(journal, key=key, since=since)

    monkeypatch.setattr(mockrouter.engine.admin, "judge", spy)
    assert isinstance(handle.verdict(key=handle.api_key), dict)
    assert seen == [handle.api_key]


def test_assert_well_behaved(server: MockRouterServer, monkeypatch: pytest.MonkeyPatch) -> None:
    handle = MockRouterHandle(server, "sk-or-v1-" + "cd" * 32)
    monkeypatch.setattr(handle, "verdict", lambda **kw: {"ok": False, "problems": ["retried a 400", "no X-Title"]})
    with pytest.raises(AssertionError, match="retried a 400\n  no X-Title"):
        handle.assert_well_behaved()
    monkeypatch.setattr(handle, "verdict", lambda **kw: {"ok": True, "problems": []})
    assert handle.assert_well_behaved()["ok"] is True
