"""The README's examples run: the first-screen snippet, the fixture example, the override headers and the
pytest plugin example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mockrouter.faults import parse_header
from mockrouter.fixtures import default_paths, load

pytest_plugins = ["pytester"]
README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_first_screen_has_the_two_commands():
    first = README[: README.index("## Endpoints")]
    assert "make serve" in first and "make test" in first
    assert blocks("python")[0] in first


@pytest.mark.socket
def test_first_snippet_runs(live):
    code = blocks("python")[0].replace("http://127.0.0.1:8000/api/v1", live.base_url)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    entry = live.mock.journal.last
    assert entry.status == 200 and entry.header("x-title") == "Example"


def test_fixture_example_loads(tmp_path):
    (example,) = [b for b in blocks("yaml") if "stubs:" in b]
    path = tmp_path / "example.yaml"
    path.write_text(example)
    world = load([*default_paths(), path])
    assert {s.name for s in world.stubs} >= {"flaky-once", "then-fine"}
    assert yaml.safe_load(example)["keys"][0]["limit"] == 1.5


def test_override_header_examples_parse():
    values = re.findall(r"`X-Mockrouter-Fault: ([^`]+)`", README)
    assert len(values) >= 5
    for value in values:
        for one in value.split(" / "):
            parse_header(one.strip())


@pytest.mark.socket  # the plugin's session server, in a pytest subprocess
def test_plugin_example_passes(pytester):
    (example,) = [b for b in blocks("python") if "def test_" in b]
    pytester.makepyfile(test_example=example)
    result = pytester.runpytest_subprocess("-p", "mockrouter", "-q")
    result.assert_outcomes(passed=3)


def test_the_endpoint_table_lists_every_operation_of_the_registry():
    from mockrouter.contract.operations import Surface, operations

    table = README[README.index("## Endpoints") : README.index("## Profiles")]
    missing = [f"{op.method} {op.path}" for op in operations(Surface.API) if f"`{op.path}`" not in table]
    assert missing == []


def test_limits_and_guarantees_state_the_code_s_numbers_and_names():
    """The section's numbers are the ``Settings`` defaults and its names ``SECRET_NAMES``, so the copy cannot drift."""
    from mockrouter import Settings
    from mockrouter.state.journal import SECRET_NAMES

    section = README[README.index("## Limits and guarantees") :].split("\n## ", 1)[0]
    defaults = Settings()
    for name, unit, size in (("max_header_bytes", "KiB", 1024), ("max_body_bytes", "MiB", 1024 * 1024)):
        found = re.search(rf"`{name}` = (\d+) bytes \((\d+) {unit}\)", section)
        assert found, name
        assert int(found[1]) == getattr(defaults, name) == int(found[2]) * size
    redacted = section[section.index("**Redacted**") :]
    named = set(re.findall(r"`([a-z-]+)`", redacted[: redacted.index("SECRET_NAMES")]))
    assert named == SECRET_NAMES
