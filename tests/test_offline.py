"""Offline guarantee: serving the whole shipped scenario set opens no outbound connection."""

from __future__ import annotations

import json
import socket

import pytest

from mockrouter import Mock, Settings
from mockrouter.resources import data_dir
from tests.conftest import chat, make_client

SCENARIOS = sorted(p.stem for p in (data_dir("fixtures") / "scenarios").glob("*.yaml"))


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"outbound connection attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_opens_no_socket(no_network, scenario):
    mock = Mock(Settings(time_scale=0, scenarios=(scenario,)))
    cut = 0
    with make_client(mock) as c:
        image = {"type": "image_url", "image_url": {"url": "https://example.org/boardwalk.jpg"}}
        pdf = {"type": "file", "file": {"filename": "a.pdf", "file_data": "https://example.org/a.pdf"}}
        for model in ("openai/gpt-5", "openai/gpt-5-mini", "meta-llama/llama-3.3-70b-instruct", "anthropic/claude-sonnet-4",
                      "openai/gpt-4o-mini", "deepseek/deepseek-r1:free", "openrouter/auto"):  # fmt: skip
            for stream in (False, True):
                try:
                    chat(
                        c,
                        model=model,
                        stream=stream,
                        messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}, image, pdf]}],
                    )
                except json.JSONDecodeError:
                    # The disconnect scenario cuts a non-streamed body half-way: the contract hook on the
                    # client (tests.contract_check) cannot parse what arrived. Nothing else may fail.
                    assert scenario == "disconnect" and not stream, (scenario, model, stream)
                    assert mock.journal.last is not None and mock.journal.last.outcome == "disconnected"
                    cut += 1
        for path in ("/api/v1/models", "/api/v1/providers", "/api/v1/models/openai/gpt-5/endpoints"):
            assert c.get(path).status_code == 200
    assert (cut > 0) == (scenario == "disconnect")
    assert no_network == []
