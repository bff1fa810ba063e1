"""Admin writes are validated against their declared schemas before anything is stored (the same schema as the
fixtures for faults and stubs): a bad write answers 400 with OpenRouter's envelope and the JSON pointers, and
changes nothing, so the next chat completion and the journal keep answering 200. The ``X-Mockrouter-Fault`` header
goes through the same schema."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mockrouter import Mock, Settings, create_app

AUTH = {"Authorization": "Bearer sk-or-v1-admin-validation"}
CHAT = {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}

#: (method, path, raw body): each malformed in its own way
MALFORMED = [
    ("POST", "/__mockrouter/faults", b'{"status": 503, "times": "x"}'),
    ("POST", "/__mockrouter/faults", b'{"status": 503, "retry_after": NaN}'),
    ("POST", "/__mockrouter/faults", b'{"status": 503, "retry_after": 1e400}'),
    ("POST", "/__mockrouter/faults", b'{"status": 503, "ms": -1}'),
    ("POST", "/__mockrouter/faults", b'{"kind": "melt", "status": 503}'),
    ("POST", "/__mockrouter/faults", b'{"kind": "stall"}'),
    ("POST", "/__mockrouter/faults", b'{"kind": "error"}'),
    ("POST", "/__mockrouter/faults", b'{"status": 200}'),
    ("POST", "/__mockrouter/faults", b'{"status": 503, "colour": "red"}'),
    ("POST", "/__mockrouter/faults", b"[1, 2]"),
    ("POST", "/__mockrouter/faults", b'"status=503"'),
    ("POST", "/__mockrouter/faults", b"{not json"),
    ("PUT", "/__mockrouter/keys", b'{"key": "sk-or-v1-admin-validation", "limit": "abc"}'),
    ("PUT", "/__mockrouter/keys", b'{"key": "sk-or-v1-admin-validation", "disabled": "yes"}'),
    ("PUT", "/__mockrouter/keys", b'{"key": "sk-or-v1-admin-validation", "credits": -5}'),
    # issue 11 item 7: loose types that once passed (a truthy string disabled a key, a string became a set of letters)
    ("PUT", "/__mockrouter/keys", b'{"key": "sk-or-v1-admin-validation", "disabled": "no"}'),
    ("PUT", "/__mockrouter/keys", b'{"key": "sk-or-v1-admin-validation", "management": "yes"}'),
    ("PATCH", "/__mockrouter/keys", b'{"key": "sk-or-v1-admin-validation", "disabled": "no"}'),
    ("PATCH", "/__mockrouter/keys", b'{"key": "sk-or-v1-admin-validation", "management": "yes"}'),
    ("PATCH", "/__mockrouter/keys", b'{"key": "sk-or-v1-admin-validation", "credits": -5}'),
    ("PUT", "/__mockrouter/accounts/default", b'{"credits": -5}'),
    ("PUT", "/__mockrouter/settings", b'{"down": ["openai", 5]}'),
    ("PUT", "/__mockrouter/keys", b"null"),
    ("PUT", "/__mockrouter/settings", b'{"time_scale": NaN}'),
    ("PUT", "/__mockrouter/settings", b'{"time_scale": Infinity}'),
    ("PUT", "/__mockrouter/settings", b'{"time_scale": -1}'),
    ("PUT", "/__mockrouter/settings", b'{"seed": 1.5}'),
    ("PUT", "/__mockrouter/settings", b'{"seed": "7"}'),
    ("PUT", "/__mockrouter/settings", b'{"down": "openai"}'),
    ("PUT", "/__mockrouter/settings", b"[]"),
    ("PUT", "/__mockrouter/settings", b"42"),
    ("PUT", "/__mockrouter/accounts/default", b'{"credits": "lots"}'),
    ("PUT", "/__mockrouter/accounts/default", b'{"byok": {"openai": {"status": "maybe"}}}'),
    ("PUT", "/__mockrouter/accounts/default", b'"credits"'),
    ("PUT", "/__mockrouter/scenarios/s", b'{"state": 3}'),
    ("PUT", "/__mockrouter/scenarios/s", b"{}"),
    ("POST", "/__mockrouter/stubs", b'{"name": "s", "priority": "high"}'),
    ("POST", "/__mockrouter/stubs", b'[{"name": "s"}, {"nom": "t"}]'),
    ("POST", "/__mockrouter/stubs", b"true"),
]


@pytest.fixture
def mock():
    return Mock(Settings(time_scale=0))


def _snapshot(client: TestClient) -> tuple:
    return tuple(
        client.get(path, params=params).json()
        for path, params in (
            ("/__mockrouter/faults", None),
            ("/__mockrouter/settings", None),
            ("/__mockrouter/keys", {"key": AUTH["Authorization"][7:]}),
            ("/__mockrouter/accounts", None),
            ("/__mockrouter/scenarios", None),
            ("/__mockrouter/stubs", None),
        )
    )


@pytest.mark.chaos
@pytest.mark.parametrize(("method", "path", "raw"), MALFORMED, ids=[f"{m} {p} {r[:40]!r}" for m, p, r in MALFORMED])
def test_a_malformed_admin_write_is_refused_and_changes_nothing(mock, method, path, raw):
    with TestClient(create_app(mock=mock)) as client:
        client.post("/api/v1/chat/completions", json=CHAT, headers=AUTH)  # the key and its account exist
        before = _snapshot(client)
        r = client.request(method, path, content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["code"] == 400 and error["message"]
        assert error["metadata"]["error_type"] == "invalid_request"
        if b"{not" not in raw and b"NaN" not in raw and b"Infinity" not in raw and b"1e400" not in raw:
            assert error["metadata"]["violations"], "schema violations come with their JSON pointers"
            assert all("pointer" in v for v in error["metadata"]["violations"])
        assert _snapshot(client) == before
        assert client.post("/api/v1/chat/completions", json=CHAT, headers=AUTH).status_code == 200
        assert client.get("/__mockrouter/requests").status_code == 200
        assert client.get("/__mockrouter/health").status_code == 200


@pytest.mark.chaos
@pytest.mark.parametrize(
    "header",
    ["status=429; retry-after=inf", "status=429; retry-after=nan", "stall=inf; after=1", "ttft=nan",
     "status=429; retry-after=-1", "status=429; retry-after=1e400", "kind=stall", "status=99", "times=0; status=500"],
)  # fmt: skip
def test_a_malformed_fault_header_is_a_400_and_the_journal_stays_readable(mock, header):
    with TestClient(create_app(mock=mock)) as client:
        r = client.post("/api/v1/chat/completions", json=CHAT, headers={**AUTH, "X-Mockrouter-Fault": header})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["message"].startswith("Invalid X-Mockrouter-Fault header")
        assert client.get("/__mockrouter/requests").status_code == 200
        assert client.post("/api/v1/chat/completions", json=CHAT, headers=AUTH).status_code == 200


def test_good_admin_writes_still_work(mock):
    with TestClient(create_app(mock=mock)) as client:
        assert client.post("/__mockrouter/faults", json={"status": 503, "times": 1, "id": "once"}).status_code == 201
        assert client.post("/api/v1/chat/completions", json=CHAT, headers=AUTH).status_code == 503
        assert client.post("/api/v1/chat/completions", json=CHAT, headers=AUTH).status_code == 200
        r = client.put("/__mockrouter/settings", json={"seed": 7, "time_scale": 0, "down": []})
        assert r.status_code == 200 and r.json()["seed"] == 7
        r = client.patch("/__mockrouter/keys", json={"key": AUTH["Authorization"][7:], "limit": 1.5})
        assert r.status_code == 200 and r.json()["limit"] == 1.5
        assert client.put("/__mockrouter/scenarios/s", json={"state": "two"}).json() == {"name": "s", "state": "two"}
        assert client.put("/__mockrouter/settings", content=b"").status_code == 200  # an empty body changes nothing
