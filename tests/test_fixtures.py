"""Fixture loading: typed world, merging, and errors that name the file and the JSON pointer."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mockrouter.cli import main
from mockrouter.errors import FixtureError
from mockrouter.fixtures import default_paths, load
from mockrouter.resources import scenario_path


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "pointer", "fragment"),
    [
        ("models:\n  - id: a/b\n    context_length: -5\n", "/models/0/context_length", "less than the minimum"),
        (
            "models:\n  - {id: a/b, context_length: 10, pricing: {prompt: 0.1}}\n",
            "/models/0/pricing/prompt",
            "is not of type 'string'",
        ),
        ("stubs:\n  - name: x\n    respond: {latency: {ttft_ms: -5}}\n", "/stubs/0/respond/latency/ttft_ms", "minimum"),
        ("bogus: 1\n", "/", "Additional properties"),
        ("keys: [{key: sk-or-v1-12345678, account: nope}]\n", "/keys/0/account", "unknown account"),
        (
            "models:\n  - {id: a/b, context_length: 10, endpoints: [{provider: ghost}]}\n",
            "/models/0/endpoints/0/provider",
            "unknown provider",
        ),
        ("stubs:\n  - {name: s, match: {model: acme/none}}\n", "/stubs/0/match/model", "unknown model"),
        ("stubs:\n  - {name: s, respond: {fault: {kind: stall}}}\n", "/stubs/0/respond/fault", "'ms' is a required property"),
        ("models: [\n", "/", "not valid YAML"),
    ],
)
def test_errors_name_file_and_pointer(tmp_path, text, pointer, fragment):
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(FixtureError) as info:
        load([*default_paths(), path])
    assert info.value.file == str(path)
    assert info.value.pointer == pointer
    assert fragment in info.value.message
    assert str(info.value).startswith(f"{path}: {pointer}: ")


def test_merge_by_key(tmp_path):
    path = write(
        tmp_path,
        "over.yaml",
        "models:\n  - id: openai/gpt-5-mini\n    endpoints:\n      - {provider: openai, reliability: {down: true}}\n",
    )
    world = load([*default_paths(), path])
    endpoints = {e.provider.slug: e for e in world.models["openai/gpt-5-mini"].endpoints}
    assert endpoints["openai"].reliability.down and not endpoints["azure"].reliability.down
    assert endpoints["openai"].max_completion_tokens == 128000  # untouched fields kept
    assert len(world.models) == len(load(default_paths()).models)


def test_every_shipped_scenario_loads():
    for name in ("byok-missing", "credits-exhausted", "key-limit", "rate-limited-free-model", "provider-down-fallback",
                 "model-fallback", "all-providers-down", "mid-stream-error", "stream-stall", "disconnect",
                 "moderation-flagged", "slow-ttft"):  # fmt: skip
        load([*default_paths(), scenario_path(name)])
    with pytest.raises(FileNotFoundError, match="shipped scenarios: all-providers-down"):
        scenario_path("nope")


def test_check_fixtures_cli(tmp_path):
    bad = write(tmp_path, "bad.yaml", "models:\n  - id: a/b\n    context_length: -5\n")
    good = write(tmp_path, "good.yaml", "defaults: {credits: 3}\n")
    result = CliRunner().invoke(main, ["check-fixtures", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"ok    {good}" in result.output
    assert f"error {bad}: /models/0/context_length: -5 is less than the minimum of 1" in result.output
    assert CliRunner().invoke(main, ["check-fixtures", str(good)]).exit_code == 0


def test_bad_fixture_fails_at_start_up_not_request_time(tmp_path):
    from mockrouter import Settings, create_app

    bad = write(tmp_path, "bad.yaml", "models:\n  - {id: a/b, context_length: 10, endpoints: [{provider: ghost}]}\n")
    with pytest.raises(FixtureError, match=r"bad\.yaml: /models/0/endpoints/0/provider: unknown provider 'ghost'$"):
        create_app(Settings(fixtures=(str(bad),)))
