"""The CLI (uvicorn style: ``server.run`` patched, driven with CliRunner); every option is an env var."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner

from mockrouter import cli
from mockrouter.settings import Settings


@pytest.fixture
def ran(monkeypatch):
    calls: list[Settings] = []
    monkeypatch.setattr(cli.server, "run", calls.append)
    return calls


def test_serve_builds_settings(ran):
    result = CliRunner().invoke(cli.main, ["serve", "--port", "9001", "--seed", "7", "--time-scale", "0.5", "--scenario",
                                           "byok-missing", "--profile", "launch", "--strict-keys", "--clock", "1754612345"])  # fmt: skip
    assert result.exit_code == 0, result.output
    (settings,) = ran
    assert settings == Settings(port=9001, seed=7, time_scale=0.5, scenarios=("byok-missing",), profile="launch",
                                strict_keys=True, clock=1754612345)  # fmt: skip


def test_every_option_is_an_environment_variable(ran):
    env = {"MOCKROUTER_PORT": "9002", "MOCKROUTER_SEED": "3", "MOCKROUTER_TIME_SCALE": "0", "MOCKROUTER_PROFILE": "launch",
           "MOCKROUTER_SCENARIOS": "slow-ttft", "MOCKROUTER_JOURNAL_SIZE": "5", "MOCKROUTER_ADMIN_TOKEN": "t"}  # fmt: skip
    result = CliRunner().invoke(cli.main, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    s = ran[0]
    assert (s.port, s.seed, s.time_scale, s.profile, s.scenarios, s.journal_size, s.admin_token) == (
        9002, 3, 0.0, "launch", ("slow-ttft",), 5, "t")  # fmt: skip
    assert Settings.from_env(env).port == 9002


def test_serve_reports_bad_scenario_cleanly(monkeypatch):
    def boom(settings):
        from mockrouter.fixtures import load_for

        load_for(settings)

    monkeypatch.setattr(cli.server, "run", boom)
    result = CliRunner().invoke(cli.main, ["serve", "--scenario", "no-such-thing"])
    assert result.exit_code == 1 and "unknown scenario 'no-such-thing'" in result.output


def test_openapi_command():
    result = CliRunner().invoke(cli.main, ["openapi"])
    doc = json.loads(result.output)
    assert doc["openapi"] == "3.1.0" and "/chat/completions" in doc["paths"]
    assert not any(p.startswith("/__mockrouter") for p in doc["paths"])


def test_request_log_line(client, caplog):
    from tests.conftest import chat

    with caplog.at_level(logging.INFO, logger="mockrouter.access"):
        chat(client)
    line = caplog.records[-1].getMessage()
    assert line.startswith("POST /api/v1/chat/completions 200 ok openai/gpt-5-mini->openai/gpt-5-mini@")
    assert "$0." in line


def test_workers_and_redis_options(ran):
    result = CliRunner().invoke(cli.main, ["serve", "--workers", "2", "--redis", "unix:///tmp/r.sock"])
    assert result.exit_code == 0, result.output
    assert (ran[0].workers, ran[0].redis) == (2, "unix:///tmp/r.sock")
    env = {"MOCKROUTER_WORKERS": "3", "MOCKROUTER_REDIS": "redis://127.0.0.1:6390/2"}
    assert CliRunner().invoke(cli.main, ["serve"], env=env).exit_code == 0
    assert (ran[1].workers, ran[1].redis) == (3, "redis://127.0.0.1:6390/2")
    assert Settings.from_env(env).redis == "redis://127.0.0.1:6390/2"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--workers", "0"], {}, "workers must be >= 1"),
        (["--workers", "2"], {"PATH": "/nonexistent"}, "redis-server is not installed"),
        pytest.param(  # connects to port 1 (refused)
            ["--workers", "2", "--redis", "redis://127.0.0.1:1/0"],
            {},
            "cannot reach Redis at redis://127.0.0.1:1/0",
            marks=pytest.mark.socket,
        ),
    ],
)
def test_several_workers_without_a_store_fail_clearly(monkeypatch, args, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli.main, ["serve", "--log-level", "warning", *args])
    assert result.exit_code == 1 and message in result.output, result.output
