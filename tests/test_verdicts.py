"""Client verdicts from the journal: a well-behaved client (the openai SDK) and a naive one."""

from __future__ import annotations

import httpx
import openai
import pytest

from mockrouter.engine.verdicts import judge
from tests.conftest import KEY

pytestmark = pytest.mark.socket  # real clients against the session's live server

MSG = [{"role": "user", "content": "Hi"}]
IDENTITY = {"HTTP-Referer": "https://example.app", "X-Title": "Example"}


def add_fault(live, **fault: object) -> None:
    """Through the admin API, as a test suite driving the mock from outside would."""
    r = httpx.post(f"{live.url}/__mockrouter/faults", json=fault)
    assert r.status_code == 201, r.text


def test_openai_sdk_is_well_behaved(live):
    add_fault(live, status=429, retry_after=1, times=2, id="v1")
    client = openai.OpenAI(base_url=live.base_url, api_key=KEY, default_headers=IDENTITY, max_retries=2)
    client.chat.completions.create(model="openai/gpt-5-mini", messages=MSG)
    verdict = httpx.get(f"{live.url}/__mockrouter/verdict").json()
    assert verdict["ok"], verdict["problems"]
    assert verdict["requests"] == 3 and verdict["max_attempts"] == 3
    assert all(r["gap_s"] >= 0.95 for r in verdict["retries"])


def test_naive_client_is_caught(live):
    add_fault(live, status=429, retry_after=2, times=3, id="v2")
    with httpx.Client(base_url=live.base_url, headers={"Authorization": f"Bearer {KEY}"}) as c:
        for _ in range(3):
            c.post("/chat/completions", json={"model": "openai/gpt-5-mini", "messages": MSG})
        for _ in range(2):
            c.post("/chat/completions", json={"model": "acme/fake", "messages": MSG})
    verdict = judge(live.mock.journal, key=KEY)
    assert not verdict["ok"]
    problems = "\n".join(verdict["problems"])
    assert "that said Retry-After: 2" in problems
    assert "retried a 400 (acme/fake is not a valid model ID), which must not be retried unchanged" in problems
    assert "no request sent HTTP-Referer" in problems
    assert verdict["backoff"] in ("flat", "growing")
