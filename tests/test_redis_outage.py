"""Issue 11: the shared store fails or is shared. Real ``mockrouter serve`` processes, each in a process group of its
own, over a redis-server on TCP that the test starts, stops and restarts by its pid (persistence off, so a restart
is empty).

- Redis outage under ``--workers 2``: 503 envelopes with ``Retry-After`` for API and admin requests alike (one
  warning per worker, no traceback), then 200 again without a restart, and the emptied store announced (a log
  line, ``store_reset`` in ``/__mockrouter/health``, a journal marker), never a silent reset.
- Several hosts: two ``serve`` processes on one ``--redis URL`` act as one mock, and the second never wipes the
  first's state."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import AUTH, KEY
from tests.processes import free_port, serving, stop

pytestmark = [pytest.mark.socket, pytest.mark.chaos]

CHAT = "/api/v1/chat/completions"
BODY = {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "Hello there"}]}

if shutil.which("redis-server") is None:  # pragma: no cover - make test installs it
    pytest.skip("needs redis-server", allow_module_level=True)


def _redis(port: int) -> subprocess.Popen[bytes]:
    """A redis-server on loopback TCP without persistence (a restart is empty), answering PING."""
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", os.environ.get("TMPDIR", "/tmp")]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
    while True:
        try:
            import redis

            with redis.Redis(port=port, socket_timeout=2) as client:
                if client.ping():
                    return process
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise AssertionError("redis-server did not start") from None
            time.sleep(0.05)


@contextmanager
def _serve(redis_url: str, log: Path, workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``mockrouter serve --redis URL`` in a process group of its own; its URL, stopped by its pid."""
    options = ("--workers", str(workers), "--redis", redis_url)
    with serving(*options, log=log, new_session=True) as (url, process):
        yield url, process
    assert process.returncode in (0, -signal.SIGTERM), log.read_text()  # uvicorn re-raises the signal it handled


@pytest.fixture
def redis_port() -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    """A TCP port with a redis-server on it; the list holds every redis-server the test started (all stopped)."""
    port = free_port()
    servers = [_redis(port)]
    yield port, servers
    for process in servers:
        stop(process)


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "serve.log"


def _healthy(url: str) -> None:
    """A normal request answers 200 and the journal is readable."""
    with httpx.Client(base_url=url, timeout=20) as client:
        assert client.post(CHAT, json=BODY, headers=AUTH).status_code == 200
        assert client.get("/__mockrouter/requests").status_code == 200


def test_a_redis_outage_is_503_with_retry_after_then_the_reset_is_announced(redis_port, log_file):
    port, servers = redis_port
    with _serve(f"redis://127.0.0.1:{port}/0", log_file, workers=2) as (url, _):
        with httpx.Client(base_url=url, timeout=20) as client:
            account = client.get("/__mockrouter/keys", params={"key": KEY}).json()["account"]
            assert client.put("/__mockrouter/settings", json={"seed": 42}).status_code == 200
            assert client.put(f"/__mockrouter/accounts/{account}", json={"credits": 77}).status_code == 200
            assert client.post(CHAT, json=BODY, headers=AUTH).status_code == 200
            assert client.get("/__mockrouter/health").json()["store_reset"] is None

        stop(servers[0])  # the outage
        answers = []
        for _ in range(12):  # fresh connections: the kernel spreads them over both workers
            for method, path, body in (("POST", CHAT, BODY), ("GET", "/__mockrouter/health", None),
                                       ("GET", "/__mockrouter/requests", None), ("GET", "/api/v1/models", None)):  # fmt: skip
                answers.append((path, httpx.request(method, url + path, json=body, headers=AUTH, timeout=20)))
        for path, answer in answers:
            assert answer.status_code == 503, (path, answer.text)
            assert answer.headers["retry-after"] == "1"
            error = answer.json()["error"]
            assert error["code"] == 503 and "unreachable" in error["message"]

        servers.append(_redis(port))  # back, empty
        deadline, status = time.monotonic() + 30, 0
        while status != 200 and time.monotonic() < deadline:
            status = httpx.post(url + CHAT, json=BODY, headers=AUTH, timeout=20).status_code
            time.sleep(0.05)
        assert status == 200
        for _ in range(20):  # both workers came back
            _healthy(url)
        with httpx.Client(base_url=url, timeout=20) as client:
            healths = [client.get("/__mockrouter/health").json() for _ in range(5)]
            journal = client.get("/__mockrouter/requests").json()["requests"]
            settings = client.get("/__mockrouter/settings").json()
            credits = client.get(f"/__mockrouter/accounts/{account}").json()["credits"]
        # announced, not silent: the health says when, the journal has a marker, the log a line
        assert all(h["store_reset"] for h in healths), healths
        markers = [e for e in journal if e["path"] == "/__mockrouter/store-reset"]
        assert len(markers) == 1 and "found empty" in markers[0]["error"], journal
        assert settings["seed"] != 42 and credits != 77  # the fixtures' state, as announced
    text = log_file.read_text()
    assert text.count("was found empty") == 1, text
    assert 1 <= text.count("is unreachable") <= 2, text  # one warning per worker per outage
    assert "answers again" in text and "Traceback" not in text, text


def test_two_hosts_on_one_redis_act_as_one_mock(redis_port, tmp_path):
    port, _ = redis_port
    redis_url = f"redis://127.0.0.1:{port}/0"
    with _serve(redis_url, tmp_path / "a.log") as (a_url, _), httpx.Client(base_url=a_url, timeout=20) as a:
        account = a.get("/__mockrouter/keys", params={"key": KEY}).json()["account"]
        assert a.put(f"/__mockrouter/accounts/{account}", json={"credits": 33, "usage": 0}).status_code == 200
        assert a.put("/__mockrouter/settings", json={"seed": 42}).status_code == 200
        assert a.post(CHAT, json=BODY, headers=AUTH).status_code == 200
        # the second host joins the store: it wipes nothing the first set
        with _serve(redis_url, tmp_path / "b.log") as (b_url, _), httpx.Client(base_url=b_url, timeout=20) as b:
            assert b.get("/__mockrouter/settings").json()["seed"] == 42
            assert b.get(f"/__mockrouter/accounts/{account}").json()["credits"] == 33
            assert [e["path"] for e in b.get("/__mockrouter/requests").json()["requests"]] == [CHAT]
            # a stub set on B answers on A; a fault set on A fires on B; a scenario step on either is seen by both
            stub = {"name": "hosts", "match": {"message": "^Hello there$"}, "respond": {"content": "from B"},
                    "scenario": {"name": "walk", "requires": "start", "sets": "next"}}  # fmt: skip
            assert b.post("/__mockrouter/stubs", json=stub).status_code == 201
            assert a.put("/__mockrouter/scenarios/walk", json={"state": "start"}).status_code == 200
            answer = a.post(CHAT, json=BODY, headers=AUTH)
            assert answer.json()["choices"][0]["message"]["content"] == "from B"
            assert b.get("/__mockrouter/scenarios/walk").json()["state"] == "next"
            assert a.post("/__mockrouter/faults", json={"status": 429, "times": 1}).status_code == 201
            assert b.post(CHAT, json=BODY, headers=AUTH).status_code == 429
            assert a.post(CHAT, json=BODY, headers=AUTH).status_code == 200
            # a credit change on B is A's; usage from both hosts adds up in one account
            assert b.put(f"/__mockrouter/accounts/{account}", json={"credits": 44}).status_code == 200
            state = a.get(f"/__mockrouter/accounts/{account}").json()
            assert state["credits"] == 44 and state["usage"] > 0
            # one journal, whichever host is asked
            journal_a = a.get("/__mockrouter/requests").json()["requests"]
            journal_b = b.get("/__mockrouter/requests").json()["requests"]
            assert journal_a == journal_b and len(journal_a) == 4
            assert len({e["worker"] for e in journal_a}) == 2
            _healthy(b_url)
        _healthy(a_url)  # the first host outlives the second
