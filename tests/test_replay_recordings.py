"""Real OpenRouter exchanges (fixtures/recordings/) replayed through the mock: served byte-compatible."""

from __future__ import annotations

import json

import pytest
import yaml

from mockrouter import Mock, Settings
from mockrouter.fixtures import default_paths, world_from
from mockrouter.resources import data_dir
from tests.conftest import make_client
from tests.contract_check import sse_events

RECORDINGS = [
    pytest.param(rec, id=f"{path.stem}:{i}")
    for path in sorted((data_dir("fixtures") / "recordings").glob("*.yaml"))
    for i, rec in enumerate(yaml.safe_load(path.read_text())["recordings"])
]


@pytest.mark.parametrize("recording", RECORDINGS)
def test_replay_is_byte_compatible(recording):
    world = world_from({"recordings": [recording]}, base=default_paths())
    with make_client(Mock(Settings(time_scale=0), world=world)) as c:
        req, resp = recording["request"], recording["response"]
        r = c.request(req["method"], req["path"], content=json.dumps(req.get("body")).encode() if "body" in req else None,
                      headers={"Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == resp["status"]
        if "events" in resp:
            assert r.headers["content-type"].startswith("text/event-stream")
            assert sse_events(r.text) == [e["data"] for e in resp["events"]]
        else:
            assert r.headers["content-type"].startswith("application/json")
            assert r.json() == resp["body"]
            for name, value in (resp.get("headers") or {}).items():
                if name.lower() != "content-type":
                    assert r.headers[name] == value
