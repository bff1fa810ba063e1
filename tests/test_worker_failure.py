"""Issue 11 item 1: under ``mockrouter serve --workers 2`` one worker's crash takes nothing down. A worker
killed under load is replaced (one log line), the other keeps serving meanwhile, and since the state lives in
Redis the journal and credits from before the kill are intact. A worker that cannot start still stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockrouter import Settings
from tests.conftest import AUTH, KEY
from tests.processes import per_worker, serving

CHAT = "/api/v1/chat/completions"
BODY = {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "Hello there"}]}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """``serve --workers 2`` with its own private redis-server; the URL, its log and the process."""
    log = tmp_path / "serve.log"
    with serving("--workers", "2", "--journal-size", "100000", log=log) as (url, process):
        yield url, log, process
    assert process.returncode == 0, log.read_text()


@pytest.mark.chaos
@pytest.mark.socket
def test_a_killed_worker_is_replaced_and_nothing_is_lost(served):
    url, log, _ = served
    with per_worker(url, attempts=200, timeout=20) as clients:
        _killed_under_load(url, log, clients)


def _killed_under_load(url: str, log: Path, clients: dict[int, httpx.Client]) -> None:
    (victim, doomed), (survivor, kept) = clients.items()
    account = kept.get("/__mockrouter/keys", params={"key": KEY}).json()["account"]
    assert kept.put(f"/__mockrouter/accounts/{account}", json={"credits": 50, "usage": 0}).status_code == 200
    for client in (doomed, kept) * 5:
        assert client.post(CHAT, json=BODY, headers=AUTH).status_code == 200
    before = {e["id"]: e for e in kept.get("/__mockrouter/requests").json()["requests"]}
    usage_before = kept.get(f"/__mockrouter/accounts/{account}").json()["usage"]
    assert len(before) == 10 and usage_before > 0

    # load from fresh connections (the kernel spreads them over both workers), and the survivor's own connection
    results: list[tuple[float, int]] = []  # (time, status; 0 for a connection error)
    on_survivor: list[int] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                status = httpx.post(url + CHAT, json=BODY, headers=AUTH, timeout=20).status_code
            except httpx.HTTPError:
                status = 0
            results.append((time.monotonic(), status))

    def survive() -> None:
        while not stop.is_set():
            try:
                on_survivor.append(kept.post(CHAT, json=BODY, headers=AUTH).status_code)
            except httpx.HTTPError:
                on_survivor.append(0)

    threads = [threading.Thread(target=load) for _ in range(3)] + [threading.Thread(target=survive)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        replacement = None
        deadline = killed + 60
        while replacement is None and time.monotonic() < deadline:
            try:
                pid = httpx.get(url + "/__mockrouter/health", timeout=5).json()["worker"]
            except httpx.HTTPError:
                time.sleep(0.05)
                continue
            replacement = pid if pid not in clients else None
        assert replacement is not None, "no new worker answered"
        time.sleep(max(1.0, killed + 5 - time.monotonic()))  # and keep answering, 3 s after the kill and later
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert on_survivor and set(on_survivor) == {200}  # the survivor served throughout
    after = [status for at, status in results if at > killed + 3]
    assert len(after) > 5
    assert set(after) == {200}, results  # every request answered 200 within 3 s of the kill
    replaced = [line for line in log.read_text().splitlines() if "starting another" in line]
    assert len(replaced) == 1 and str(victim) in replaced[0], log.read_text()
    # the state lives in Redis: the journal and credits from before the kill are intact
    now = {e["id"]: e for e in kept.get("/__mockrouter/requests").json()["requests"]}
    assert all(now.get(i) == entry for i, entry in before.items())
    state = kept.get(f"/__mockrouter/accounts/{account}").json()
    assert state["credits"] == 50 and state["usage"] > usage_before
    with httpx.Client(base_url=url, timeout=20) as fresh:
        assert {fresh.get("/__mockrouter/health").json()["worker"] for _ in range(40)} <= {survivor, replacement}


@pytest.mark.socket  # it binds the port it reserves
def test_a_worker_that_cannot_start_stops_every_worker(monkeypatch):
    """A worker that ends before it serves is a bad start (a broken store, a port in use): replacing it would
    only loop, so the supervisor stops the others and says why."""
    from mockrouter.http import server
    from mockrouter.world import World

    def broken(settings: Settings, world: World, shared: object, ready: object) -> None:
        sys.exit(3)

    monkeypatch.setattr(server, "_worker", broken)
    with pytest.raises(ValueError, match="could not start"):
        server._supervise(Settings(port=0, workers=2), World.__new__(World))
