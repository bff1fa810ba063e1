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
