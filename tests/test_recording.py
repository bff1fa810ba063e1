"""Record against a second local mockrouter as the upstream, then replay offline."""

from __future__ import annotations

import json

import httpx
import pytest
import yaml

from mockrouter import Mock, MockRouterServer, Settings
from mockrouter.fixtures import default_paths, load
from mockrouter.http.recording import Recorder
from tests.conftest import AUTH, KEY
from tests.contract_check import sse_events

pytestmark = pytest.mark.socket  # an upstream MockRouterServer behind a recording proxy


def test_record_then_replay(tmp_path):
    out = tmp_path / "rec.yaml"
    body = {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "Record me"}]}
    with MockRouterServer(Settings(time_scale=0, seed=3)) as upstream:
        recorder = Recorder(upstream.base_url, out)
        with (
            MockRouterServer(Settings(time_scale=0), app=recorder) as proxy,
            httpx.Client(base_url=proxy.base_url, headers=AUTH) as c,
        ):
            plain = c.post("/chat/completions", json=body)
            streamed = c.post("/chat/completions", json={**body, "stream": True})
            denied = c.post("/chat/completions", json={**body, "model": "openai/gpt-5"})
        assert upstream.mock.journal.count(path="/api/v1/chat/completions") == 3  # really proxied
    assert plain.status_code == 200 and denied.status_code == 403
    assert sse_events(streamed.text)[-1] == "[DONE]"
    text = out.read_text()
    assert KEY not in text and "sk-or-v1-01" in text  # redacted to a prefix
    recorded = yaml.safe_load(text)["recordings"]
    assert [r["response"]["status"] for r in recorded] == [200, 200, 403]
    assert recorded[1]["response"]["events"][-1]["data"] == "[DONE]"

    world = load([*default_paths(), out])
    with (
        MockRouterServer(
            Settings(time_scale=0, seed=99), mock=Mock(Settings(time_scale=0, seed=99), world=world)
        ) as replay,
        httpx.Client(base_url=replay.base_url, headers=AUTH) as c,
    ):
        again = c.post("/chat/completions", json=body)
        assert again.json() == plain.json()  # byte-compatible: same id, same content as recorded
        again_stream = c.post("/chat/completions", json={**body, "stream": True})
        assert sse_events(again_stream.text) == sse_events(streamed.text)
        assert c.post("/chat/completions", json={**body, "model": "openai/gpt-5"}).json() == denied.json()
        other = c.post("/chat/completions", json={**body, "messages": [{"role": "user", "content": "not recorded"}]})
        assert other.status_code == 200 and other.json()["id"] != plain.json()["id"]
        assert json.loads(json.dumps(replay.mock.journal.last.as_dict()))["stub"] is None
