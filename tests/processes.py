"""Real processes for the tests of several workers and hosts: a free port, a stop by pid (never by name), and a
``mockrouter serve`` that is up (its health answers) before the test goes on and is stopped after it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["free_port", "per_worker", "serving", "stop"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    """Stop one process by its pid, waiting up to ``timeout`` for it (then killing it, and saying so)."""
    if process.poll() is None:
        os.kill(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError(f"process {process.pid} did not stop within {timeout} s") from None


@contextmanager
def serving(
    *options: str, log: Path, start_timeout: float = 60.0, stop_timeout: float = 30.0, new_session: bool = False
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``mockrouter serve --time-scale 0 --log-level warning *options`` on a free port (a process group of its own
    with ``new_session``): its URL and process, once ``/__mockrouter/health`` answers; SIGTERM after."""
    port = free_port()
    args = [sys.executable, "-m", "mockrouter", "serve", "--port", str(port), "--time-scale", "0",
            "--log-level", "warning", *options]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=new_session)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                if httpx.get(f"{url}/__mockrouter/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"mockrouter serve {' '.join(options)} did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield url, process
    finally:
        stop(process, timeout=stop_timeout)


@contextmanager
def per_worker(url: str, attempts: int, timeout: float) -> Iterator[dict[int, httpx.Client]]:
    """One keep-alive client per worker of a two-worker serve, keyed by the worker's pid (``/__mockrouter/health``
    names it): new connections until the kernel has handed one to each worker, at most ``attempts``."""
    found: dict[int, httpx.Client] = {}
    try:
        for _ in range(attempts):
            client = httpx.Client(base_url=url, limits=httpx.Limits(max_connections=1), timeout=timeout)
            pid = client.get("/__mockrouter/health").json()["worker"]
            if pid in found:
                client.close()
                continue
            found[pid] = client
            if len(found) == 2:
                break
        assert len(found) == 2, "no connection ever reached a second worker"
        yield found
    finally:
        for client in found.values():
            client.close()
