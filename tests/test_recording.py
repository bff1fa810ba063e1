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


def test_typed_events_and_embeddings_are_recorded_and_replayed(tmp_path):
    """The Responses API's typed events keep their ``event:`` names through record and replay; embeddings too."""
    out = tmp_path / "rec.yaml"
    streamed_body = {"model": "openai/gpt-5-mini", "input": "Record me", "stream": True}
    embed_body = {"model": "openai/text-embedding-3-small", "input": ["a", "b"]}
    with MockRouterServer(Settings(time_scale=0, seed=3)) as upstream:
        with (
            MockRouterServer(Settings(time_scale=0), app=Recorder(upstream.base_url, out)) as proxy,
            httpx.Client(base_url=proxy.base_url, headers=AUTH) as c,
        ):
            streamed = c.post("/responses", json=streamed_body)
            embedded = c.post("/embeddings", json=embed_body)
    recorded = yaml.safe_load(out.read_text())["recordings"]
    names = [e.get("event") for e in recorded[0]["response"]["events"]]
    assert names[0] == "response.created" and names[-1] == "response.completed"
    world = load([*default_paths(), out])
    with (
        MockRouterServer(Settings(time_scale=0), mock=Mock(Settings(time_scale=0, seed=99), world=world)) as replay,
        httpx.Client(base_url=replay.base_url, headers=AUTH) as c,
    ):
        again = c.post("/responses", json=streamed_body)
        assert [b for b in again.text.split("\n\n") if b.startswith("event:")] == [
            b for b in streamed.text.split("\n\n") if b.startswith("event:")
        ]
        assert c.post("/embeddings", json=embed_body).json() == embedded.json()
