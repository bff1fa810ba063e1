"""The sample project's own tests: they use the ``mockrouter`` fixture the plugin provides."""

from __future__ import annotations

import openai
import pytest
from app_under_test import OutOfCredits, ask


def test_answers_with_the_stubbed_content(mockrouter):
    mockrouter.stub(model="openai/gpt-5-mini", message="capital of France", content="Paris.")
    assert ask("What is the capital of France?", base_url=mockrouter.base_url, api_key=mockrouter.api_key) == "Paris."
    assert mockrouter.count(path="/api/v1/chat/completions", status=200) == 1


def test_generates_an_answer_without_a_stub(mockrouter):
    assert ask("Hello", base_url=mockrouter.base_url, api_key=mockrouter.api_key)
    assert len(mockrouter.requests) == 1


def test_rides_out_rate_limits(mockrouter):
    mockrouter.fail_next(429, times=2, retry_after=0)
    assert ask("Hello", base_url=mockrouter.base_url, api_key=mockrouter.api_key)
    assert [e.status for e in mockrouter.requests] == [429, 429, 200]


def test_gives_up_after_the_retry_budget(mockrouter):
    mockrouter.fail_next(503, times=None)
    with pytest.raises(openai.InternalServerError):  # 503
        ask("Hello", base_url=mockrouter.base_url, api_key=mockrouter.api_key, max_retries=1)
    assert len(mockrouter.requests) == 2


def test_reports_out_of_credits(mockrouter):
    mockrouter.set_credits(0.0001)
    with pytest.raises(OutOfCredits):
        ask("Hello", base_url=mockrouter.base_url, api_key=mockrouter.api_key)
    assert [e.status for e in mockrouter.requests] == [402]
