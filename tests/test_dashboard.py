"""The dashboard at ``GET /__mockrouter/`` in a real headless browser (Debian's ``chromium``).

The browser is driven over the Chrome DevTools Protocol (``--remote-debugging-port`` plus the ``websockets``
package that ``uvicorn[standard]`` already brings): no WebDriver, nothing downloaded. The test opens the page,
then sends requests and waits for the page's own polling to show them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockrouter import MockRouterServer, Settings
from mockrouter.engine.dashboard import page

KEY = "sk-or-v1-test" + "0123456789abcdef" * 3
AUTH = {"Authorization": f"Bearer {KEY}"}
CHROMIUM = os.environ.get("MOCKROUTER_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]

# What the page shows, read back from the DOM (the rows' visible text and their data attributes).
READ_ROWS = """JSON.stringify(Array.from(document.querySelectorAll('#rows tr.request')).map(tr => {
  const c = n => tr.querySelector('[data-testid="' + n + '"]');
  return {
    id: Number(tr.dataset.id), status: c('status').textContent, model: c('model').textContent,
    provider: c('provider').textContent, outcome: c('outcome').textContent, latency: c('latency').textContent,
    tokens: c('tokens').textContent, prompt: c('tokens').dataset.prompt, completion: c('tokens').dataset.completion,
    cost: c('cost').textContent, cost_value: c('cost').dataset.cost,
    attempts: Array.from(tr.querySelectorAll('.attempt')).map(a => ({
      cls: a.className, provider: a.dataset.provider, status: a.dataset.status, text: a.textContent, title: a.title})),
  };
}))"""
READ_ACCOUNTS = """JSON.stringify(Array.from(document.querySelectorAll('#accounts .account')).map(a => ({
  id: a.dataset.id, balance: a.dataset.balance, text: a.textContent})))"""


class Browser:
    """Headless chromium in its own process group, one page, spoken to over CDP."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.log = (profile.parent / "chromium.log").open("wb")
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.ids = itertools.count(1)
        self.ws: Any = None
        self.closing = contextlib.ExitStack()

    def connect(self, timeout: float = 30.0) -> None:
        from websockets.sync.client import connect

        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}: {self.output()}")
            if port_file.exists() and port_file.read_text().strip():
                port = int(port_file.read_text().split()[0])
                try:
                    targets = httpx.get(f"http://127.0.0.1:{port}/json/list", trust_env=False, timeout=5).json()
                except httpx.HTTPError:
                    targets = []
                pages = [t for t in targets if t.get("type") == "page" and t.get("webSocketDebuggerUrl")]
                if pages:
                    url = pages[0]["webSocketDebuggerUrl"]
                    self.ws = self.closing.enter_context(connect(url, max_size=None, open_timeout=10))
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"chromium's DevTools endpoint did not come up: {self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        self.log.flush()
        return (self.profile.parent / "chromium.log").read_text(errors="replace")[-2000:]

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:  # skip events until our answer
            message = json.loads(self.ws.recv(timeout=15))
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.closing.close()
        finally:
            # The browser leads its own process group (start_new_session), shared with its helpers (zygote,
            # renderer, ...): ask it to quit so it reaps them, then kill whatever of that group is left.
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._signal_group(signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.log.close()

    def _signal_group(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no {CHROMIUM}: install Debian's chromium (apt-get install -y chromium) to run the dashboard test")
    profile = tmp_path / "profile"
    profile.mkdir()
    b = Browser(profile)
    try:
        b.connect()
        yield b
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)


def hi(model: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}]}


def wait_for(read: Any, ok: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_page_is_self_contained() -> None:
    html = page()
    assert html.startswith("<!doctype html>")
    for external in ("http:", "https:", "//", "src=", "@import"):
        assert external not in html.replace("data:,", ""), external
    assert 'rel="icon" href="data:,"' in html  # or the browser asks for /favicon.ico, and that lands in the journal


@pytest.mark.socket
def test_dashboard_shows_the_journal_live(browser: Browser) -> None:
    with MockRouterServer(Settings(time_scale=0)) as server, httpx.Client(trust_env=False, timeout=30) as http:
        admin = server.url + "/__mockrouter"
        browser.send("Page.enable")
        browser.send("Page.navigate", url=admin + "/")
        polled = wait_for(lambda: browser.evaluate("Number(document.body && document.body.dataset.polls || 0)"), bool)
        assert polled, f"the page never polled the admin API: {browser.output()}"
        assert browser.evaluate(READ_ROWS) == "[]"
        assert browser.evaluate("document.getElementById('verdict').textContent")  # a verdict or "n/a", never blank

        chat = server.base_url + "/chat/completions"
        ok = http.post(chat, headers=AUTH, json=hi("openai/gpt-5-mini"))
        assert ok.status_code == 200, ok.text
        # (a glob: the admin API checks an exact model id against the stub's own inline world, which has no models)
        stub = {"name": "down", "match": {"model": "openai/gpt-5-mini*"},
                "respond": {"fault": {"kind": "outage", "status": 503}}, "times": 1}  # fmt: skip
        assert http.post(admin + "/stubs", json=stub).status_code == 201
        failover = http.post(chat, headers=AUTH, json=hi("openai/gpt-5-mini"))
        assert failover.status_code == 200, failover.text
        forbidden = http.post(chat, headers=AUTH, json=hi("openai/gpt-5"))  # no BYOK key for a BYOK-only model
        assert forbidden.status_code == 403, forbidden.text

        journal = {e["id"]: e for e in http.get(admin + "/requests").json()["requests"]}
        completions = sorted(i for i, e in journal.items() if e["path"].endswith("/chat/completions"))
        assert len(completions) == 3, journal
        first, second, third = (journal[i] for i in completions)

        rows = json.loads(wait_for(lambda: browser.evaluate(READ_ROWS), lambda v: len(json.loads(v)) >= 3))
        assert len(rows) == 3, f"the page shows {rows}"
        assert [r["id"] for r in rows] == [third["id"], second["id"], first["id"]]  # newest first
        shown = {r["id"]: r for r in rows}

        for entry in (first, second):  # the successes: model, provider, tokens and cost as journaled
            row = shown[entry["id"]]
            assert row["status"] == "200"
            assert row["model"].startswith("openai/gpt-5-mini")
            assert row["provider"] == entry["provider"]
            usage = entry["usage"]
            assert row["prompt"] == str(usage["prompt_tokens"]) and row["completion"] == str(usage["completion_tokens"])
            assert row["tokens"] == f"{usage['prompt_tokens']} / {usage['completion_tokens']}"
            assert float(row["cost_value"]) == pytest.approx(entry["cost"])
            assert row["cost"] == f"${entry['cost']:.6f}"
            assert row["latency"].endswith("ms") or row["latency"].endswith(" s")
            served = [a for a in row["attempts"] if "served" in a["cls"].split()]
            assert len(served) == 1 and served[0]["provider"] == entry["provider"] and served[0]["status"] == "200"

        # the failover: a failed attempt with its 503 (and why), then the one that served
        attempts = shown[second["id"]]["attempts"]
        failed = [a for a in attempts if "failed" in a["cls"].split()]
        assert failed and failed[0]["status"] == "503" and "503" in failed[0]["text"], attempts
        journaled_failure = next(a for a in second["attempts"] if a["status"] == 503)
        assert failed[0]["provider"] == journaled_failure["provider"]
        assert failed[0]["title"] == journaled_failure["error"]
        assert "served" in attempts[-1]["cls"].split() and attempts[-1]["provider"] == second["provider"]
        assert failed[0]["provider"] != attempts[-1]["provider"]

        # the refused one: 403, no attempt served, no cost
        row = shown[third["id"]]
        assert row["status"] == "403" and row["model"] == "openai/gpt-5"
        assert not [a for a in row["attempts"] if "served" in a["cls"].split()]
        assert row["cost"] == "" and row["tokens"] == ""
        selector = f'tr.request[data-id="{third["id"]}"] .status'
        status_class = browser.evaluate(f"document.querySelector({json.dumps(selector)}).className")
        assert "s4xx" in status_class.split()

        # the header: the account's balance, as the admin API reports it
        balances = {a["id"]: a["balance"] for a in http.get(admin + "/accounts").json()["accounts"]}
        assert balances

        def shown_balances(v: str) -> dict[str, float]:
            return {a["id"]: float(a["balance"]) for a in json.loads(v)}

        accounts_json = wait_for(lambda: browser.evaluate(READ_ACCOUNTS), lambda v: shown_balances(v) == balances)
        assert shown_balances(accounts_json) == balances
        accounts = json.loads(accounts_json)
        for a in accounts:
            assert f"${balances[a['id']]:.4f}" in a["text"]

        # the other inference operations show their own token counts
        response = http.post(server.base_url + "/responses", headers=AUTH, json={"model": "openai/gpt-5-mini", "input": "hi"})
        embedded = http.post(server.base_url + "/embeddings", headers=AUTH,
                             json={"model": "openai/text-embedding-3-small", "input": "hi there"})  # fmt: skip
        assert response.status_code == embedded.status_code == 200
        rows = json.loads(wait_for(lambda: browser.evaluate(READ_ROWS), lambda v: len(json.loads(v)) >= 5))
        by_route = {r["id"]: r for r in rows}
        journal = {e["id"]: e for e in http.get(admin + "/requests").json()["requests"]}
        r_entry = next(e for e in journal.values() if e["path"].endswith("/responses"))
        e_entry = next(e for e in journal.values() if e["path"].endswith("/embeddings"))
        usage = r_entry["usage"]
        assert by_route[r_entry["id"]]["tokens"] == f"{usage['prompt_tokens']} / {usage['completion_tokens']}"  # journal: one shape
        assert by_route[e_entry["id"]]["tokens"] == f"{e_entry['usage']['prompt_tokens']} / 0"
