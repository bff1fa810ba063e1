"""``make bench``: the mock against a bare Starlette baseline on this machine, written to ``bench/RESULTS.md``.

What it does (all on 127.0.0.1; every process it starts it stops again by its own pid):

1. pins itself and the load generator (``wrk``, one thread, closed loop) to core 0 and each server to core 1;
2. starts ``mockrouter serve --time-scale 0`` and ``bench/baseline.py`` (same uvicorn settings; bodies captured from
   the mock so sizes and SSE event counts match), installs a 50-word stub, lifts the bench key's credit;
3. warms both up, then measures them in interleaved rounds (the order flips every round): non-streaming chat
   completions at c=16 and c=64, 50-chunk streams at c=64, ``GET /models`` at c=64; ratio = median mock / median
   baseline of the same run;
   The headline loads send every request a different prompt (a counter in the user message: bench/distinct.lua),
   so no memo of identical requests is what they measure; the same-prompt loads are kept beside them, labelled;
4. profiles the mock with py-spy (when installed) under the chat and stream loads;
5. TTFT accuracy: a mock at time_scale 1 with a stub of ``ttft_ms: 100``; an asyncio client measures the time to the
   first ``data:`` line at c=64 and c=256 (client side), and the journal's ``ttft_ms`` (server side);
6. cold start: spawn -> first 200 on ``/api/v1/models``;
7. RSS: VmRSS idle and every 25,000 requests up to 100,000 (4 chats : 1 stream, distinct prompts) on a fresh mock.

Options: ``--rounds``, ``--duration`` (s per measurement), ``--quick`` (1 round of 3 s, smaller counts, for a smoke
test), ``--out``. Needs ``wrk`` (``apt-get install -y wrk``) and, for the profile, ``py-spy`` in the venv.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import compileall
import contextlib
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
KEY = "sk-or-v1-bench0000000000000000000000000000000000000000000000000000000000"
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
CHAT_PATH = "/api/v1/chat/completions"
MODELS_PATH = "/api/v1/models"
CHAT_BODY = '{"model":"openai/gpt-5-mini","messages":[{"role":"user","content":"Hello"}]}'
STREAM_BODY = '{"model":"openai/gpt-5-chat","messages":[{"role":"user","content":"Hello"}],"stream":true}'
WORDS = " ".join(f"w{i}" for i in range(50))  # 50 content pieces: "w0", " w1", ..., " w49"
STUB_50 = {"name": "bench50", "match": {"model": "openai/gpt-5-chat"}, "respond": {"content": WORDS}}
TTFT_CONTENT = "Hello from the bench."  # short: the TTFT run measures timing, not stream throughput
STUB_TTFT = {
    "name": "bench-ttft",
    "match": {"model": "openai/gpt-5-chat"},
    "respond": {"content": TTFT_CONTENT, "latency": {"ttft_ms": 100, "tokens_per_second": 1000000}},
}
TTFT_MS = 100.0


@dataclass
class Scenario:
    key: str
    label: str
    path: str
    conns: int
    script: str | None
    target: float | None  # the ratio the issue asks for; None: shown, not judged
    script_args: tuple[str, ...] = ()  # passed to the script (wrk ... URL -- args)


SCENARIOS = [
    # the headline: every request a different prompt (no memo answers it)
    Scenario("chat64d", "chat completion, non-streaming, distinct prompts, c=64", CHAT_PATH, 64, "distinct.lua", 0.50),
    Scenario("stream64d", "50-chunk stream (time_scale 0), distinct prompts, c=64", CHAT_PATH, 64, "distinct.lua",
             1.50, ("stream",)),
    # an agent loop's request: a 22-message conversation (~20 KB), different each time (no target: what a long
    # prompt costs beside a short one)
    Scenario("chat64long", "chat completion, non-streaming, distinct 22-message conversations (~20 KB), c=64",
             CHAT_PATH, 64, "distinct.lua", None, ("long",)),
    # the same prompt again and again: the memo of worked-out completions answers after the first
    Scenario("chat16", "chat completion, non-streaming, same prompt (memo), c=16", CHAT_PATH, 16, "chat.lua", 0.60),
    Scenario("chat64", "chat completion, non-streaming, same prompt (memo), c=64", CHAT_PATH, 64, "chat.lua", 0.90),
    Scenario("stream64", "50-chunk stream (time_scale 0), same prompt (memo), c=64", CHAT_PATH, 64, "stream.lua",
             0.50),
    Scenario("models64", "GET /models, c=64", MODELS_PATH, 64, None, 0.95),
]
# issue 14's other targets: cold start, and the TTFT p99 (ms over the 100 ms asked) "unchanged or better" than the
# +3.4 / +15.5 ms it started from, never early
COLD_START_MS = 250.0
TTFT_P99_MS = {64: 3.4, 256: 15.5}
#: bench/hollow.py's engines and the load each is measured under
HOLLOW_LOADS = {"constant": "chat64", "skeleton": "chat64d"}


# ---------------------------------------------------------------------------------------------------- processes

LOAD_CPU, SERVER_CPU = "0", "1"
PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def pin(cmd: list[str], cpu: str) -> list[str]:
    return ["taskset", "-c", cpu, *cmd] if PINNED else cmd


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """A server process (pinned to the server core), stopped by its own pid."""

    def __init__(self, name: str, cmd: list[str], port: int, logdir: Path) -> None:
        self.name, self.port = name, port
        self.log = (logdir / f"{name}.log").open("wb")
        self.spawned = time.perf_counter()
        self.proc = subprocess.Popen(pin(cmd, SERVER_CPU), stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        self.pid = self.proc.pid  # taskset execs the command: same pid

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Poll GET /api/v1/models until 200; seconds since spawn."""
        deadline = self.spawned + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log.name}")
            try:
                status, _ = request(self.port, "GET", MODELS_PATH, timeout=2.0)
                if status == 200:
                    return time.perf_counter() - self.spawned
            except OSError:
                pass
            time.sleep(0.002)
        raise RuntimeError(f"{self.name} not ready after {timeout} s; see {self.log.name}")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """user + system CPU time of the server so far (immune to other tenants stealing the core)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def mock_server(name: str, logdir: Path, time_scale: float, *extra: str) -> Server:
    port = free_port()
    cmd = [str(BIN / "mockrouter"), "serve", "--port", str(port), "--time-scale", str(time_scale)]
    return Server(name, [*cmd, "--log-level", "warning", *extra], port, logdir)


def baseline_server(logdir: Path, bodies: Path | None) -> Server:
    port = free_port()
    cmd = [sys.executable, str(BENCH / "baseline.py"), "--port", str(port)]
    return Server("baseline", cmd + (["--bodies", str(bodies)] if bodies else []), port, logdir)


def request(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
            timeout: float = 10.0) -> tuple[int, bytes]:  # fmt: skip
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        data = body if body is None or isinstance(body, (bytes, str)) else json.dumps(body)
        conn.request(method, path, body=data, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def prepare_mock(server: Server, stub: dict[str, Any]) -> None:
    """Install the stub and give the bench key's account credit that 100,000s of requests will not use up."""
    status, out = request(server.port, "POST", "/__mockrouter/stubs", stub)
    assert status == 201, (status, out)
    status, out = request(server.port, "PUT", "/__mockrouter/keys", {"key": KEY, "credits": 1e12})
    assert status == 200, (status, out)


# ---------------------------------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    rps: float
    requests: int
    non2xx: int
    errors: int
    p50_ms: float | None
    p99_ms: float | None
    cpu_us: float | None = None  # server CPU time per request


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def wrk_command(sc: Scenario, seconds: int, port: int, *options: str) -> list[str]:
    """wrk running a scenario's load for ``seconds`` against ``port``, pinned to the load core."""
    cmd = ["wrk", "-t1", f"-c{sc.conns}", f"-d{seconds}s", *options, "--timeout", "5s"]
    cmd += ["-s", str(BENCH / sc.script)] if sc.script else []
    cmd.append(f"http://{HOST}:{port}{sc.path}")
    return pin(cmd + (["--", *sc.script_args] if sc.script_args else []), LOAD_CPU)


def wrk(server: Server, sc: Scenario, duration: int) -> WrkResult:
    port = server.port
    cpu0 = server.cpu_seconds()
    out = subprocess.run(wrk_command(sc, duration, port, "--latency"), capture_output=True, text=True, check=True,
                         timeout=duration + 30).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    count = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    cpu_us = (server.cpu_seconds() - cpu0) * 1e6 / count if count else None
    return WrkResult(
        rps, count, int(non2xx.group(1)) if non2xx else 0, sum(int(g) for g in errs.groups()) if errs else 0,
        _ms(lat["50"]) if "50" in lat else None, _ms(lat["99"]) if "99" in lat else None, cpu_us,
    )  # fmt: skip


def soak(port: int, count: int, conns: int = 64) -> tuple[int, int]:
    env = {**os.environ, "BENCH_MAX_REQUESTS": str(count)}
    cmd = ["wrk", "-t1", f"-c{conns}", "-d600s", "--timeout", "5s", "-s", str(BENCH / "soak.lua")]
    out = subprocess.run(pin([*cmd, f"http://{HOST}:{port}{CHAT_PATH}"], LOAD_CPU), capture_output=True, text=True,
                         env=env, timeout=660).stdout  # fmt: skip
    m = re.search(r"BENCH_DONE requests=(\d+) non2xx=(\d+)", out)
    if not m:
        raise RuntimeError(f"soak did not finish: {out[-500:]}")
    return int(m.group(1)), int(m.group(2))


# ---------------------------------------------------------------------------------------------------- TTFT client


_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux


class _KeepAlive:
    """A keep-alive connection that sends one streaming request at a time and notes when the first ``data:`` line
    arrived: the kernel's receive timestamp of the segment that carried it (``SO_TIMESTAMPNS``), so the client's own
    event loop lag is not charged to the server, and when this client's loop saw it (``seen``). The response ends
    at the chunked terminator (SSE) or after Content-Length bytes (errors)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        self.loop, self.sock = loop, sock
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.done: asyncio.Future[tuple[int | None, int | None, bool]] | None = None
        self.buf = b""
        self.arrival: int | None = None
        self.seen: int | None = None
        self.lost = False
        loop.add_reader(sock.fileno(), self._readable)

    def send(self, payload: bytes) -> asyncio.Future[tuple[int | None, int | None, bool]]:
        self.done = self.loop.create_future()
        self.buf, self.arrival, self.seen = b"", None, None
        if self.sock.send(payload) != len(payload):  # a few hundred bytes into an empty socket buffer
            self._lose()
        return self.done

    def _readable(self) -> None:
        try:
            data, ancillary, _, _ = self.sock.recvmsg(1 << 16, socket.CMSG_SPACE(16))
        except BlockingIOError:
            return
        except OSError:
            data, ancillary = b"", []
        if not data:
            self._lose()
            return
        self.buf += data
        if self.arrival is None and b"\ndata:" in self.buf:
            self.seen = time.time_ns()
            stamps = [
                struct.unpack("qq", d[:16])
                for lv, ty, d in ancillary
                if lv == socket.SOL_SOCKET and ty == _SO_TIMESTAMPNS
            ]
            self.arrival = stamps[0][0] * 1_000_000_000 + stamps[0][1] if stamps else self.seen
        head, sep, body = self.buf.partition(b"\r\n\r\n")
        if not sep or self.done is None or self.done.done():
            return
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        if (length and len(body) >= int(length.group(1))) or self.buf.endswith(b"\r\n0\r\n\r\n"):
            self.done.set_result((self.arrival, self.seen, head.startswith(b"HTTP/1.1 200")))

    def _lose(self) -> None:
        self.lost = True
        if self.done is not None and not self.done.done():
            self.done.set_result((None, None, False))
        self.close()

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self.loop.remove_reader(self.sock.fileno())
            self.sock.close()


@dataclass
class TtftSamples:
    arrival: list[float]  # ms from writing the request to the kernel's receive time of the first data: line
    seen: list[float]  # ms to when the client's event loop saw it
    failed: int


async def _ttft_run(port: int, conns: int, total: int) -> TtftSamples:
    body = STREAM_BODY.encode()
    payload = (
        f"POST {CHAT_PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    loop = asyncio.get_running_loop()
    out = TtftSamples([], [], 0)
    left = total

    async def worker() -> None:
        nonlocal left
        conn: _KeepAlive | None = None
        while left > 0:
            left -= 1
            if conn is None or conn.lost:
                sock = socket.socket()
                sock.setblocking(False)
                await loop.sock_connect(sock, (HOST, port))
                conn = _KeepAlive(loop, sock)
            t0 = time.time_ns()
            arrival, seen, good = await conn.send(payload)
            if arrival is None or seen is None or not good:
                out.failed += 1
            else:
                out.arrival.append((arrival - t0) / 1e6)
                out.seen.append((seen - t0) / 1e6)
        if conn is not None:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(conns)))
    return out


def ttft_client(port: int, conns: int, total: int) -> TtftSamples:
    try:
        import uvloop

        return uvloop.run(_ttft_run(port, conns, total))  # type: ignore[no-any-return]
    except ImportError:
        return asyncio.run(_ttft_run(port, conns, total))


def server_ttfts(port: int) -> list[float]:
    status, out = request(port, "GET", "/__mockrouter/requests?limit=100000", timeout=30)
    assert status == 200, status
    return [e["ttft_ms"] for e in json.loads(out)["requests"] if e.get("ttft_ms") is not None and e.get("stream")]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100.0 * len(ordered) + 0.5)) - 1))]


# ---------------------------------------------------------------------------------------------------- profile


def profile(server: Server, sc: Scenario, seconds: int, outdir: Path) -> Path | None:
    spy = BIN / "py-spy"
    if not spy.exists():
        return None
    raw = outdir / f"profile-{sc.key}.txt"
    load = subprocess.Popen(wrk_command(sc, seconds + 3, server.port), stdout=subprocess.DEVNULL)
    try:
        time.sleep(1)
        subprocess.run(pin([str(spy), "record", "-p", str(server.pid), "-d", str(seconds), "-r", "250", "-f", "raw",
                            "-o", str(raw)], LOAD_CPU), capture_output=True, check=True, timeout=seconds + 30)  # fmt: skip
    finally:
        load.wait(timeout=seconds + 30)
    return raw


_SITE = re.compile(r"\(/.*?/(?:site-packages|lib/python3\.\d+)/")


def top_entries(raw: Path, n: int = 15) -> tuple[int, list[tuple[float, str]], list[tuple[float, str]]]:
    """(samples, top self-time frames, top inclusive frames inside the request path)."""
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        k = int(count)
        total += k
        frames = [_SITE.sub("(", re.sub(r":\d+\)$", ")", f)).replace(str(ROOT) + "/", "") for f in stack.split(";")]
        own[frames[-1]] += k
        for f in set(frames):
            incl[f] += k
    # inclusive: the mock's own frames and the libraries it calls, not the server/framework frames above them
    framework = (
        "starlette/",
        "uvicorn/",
        "asyncio/",
        "click/",
        "<module>",
        "mockrouter/cli.py",
        "mockrouter/server.py",
    )
    top_incl = [(c * 100.0 / total, f) for f, c in incl.most_common() if not any(x in f for x in framework)][:n]
    return total, [(c * 100.0 / total, f) for f, c in own.most_common(n)], top_incl


# ---------------------------------------------------------------------------------------------------- report


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def ok(flag: bool) -> str:
    return "PASS" if flag else "**FAIL**"


def machine_notes() -> list[str]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = []
    for pkg in ("starlette", "uvicorn", "uvloop", "httptools"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{pkg} {metadata.version(pkg)}")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0:1]
    load = os.getloadavg()
    return [
        f"- CPU: {os.cpu_count()} cores ({model or platform.machine()}), shared machine; load average at start "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
        f"- {platform.system()} {platform.release()}; Python {platform.python_version()}; {', '.join(versions)}",
        f"- load generator: {(wrk_version or ['wrk'])[0].split(' Copyright')[0]}, 1 thread, closed loop"
        + (f", pinned to core {LOAD_CPU}; servers pinned to core {SERVER_CPU}" if PINNED else ", NOT pinned"),
    ]


@dataclass
class Report:
    args: argparse.Namespace
    started: datetime.datetime
    notes: list[str]
    sse: dict[str, int] = field(default_factory=dict)
    rounds: dict[str, dict[str, list[WrkResult]]] = field(default_factory=dict)
    ttft: dict[int, dict[str, Any]] = field(default_factory=dict)
    floor: dict[int, TtftSamples] = field(default_factory=dict)  # the same client against bench/floor.py
    cold: dict[str, list[float]] = field(default_factory=dict)
    #: bench/hollow.py's runs by engine (constant: same-prompt chat load; skeleton: distinct-prompt chat load)
    hollow: dict[str, list[WrkResult]] = field(default_factory=dict)
    rss: list[tuple[int, int]] = field(default_factory=list)
    soak_non2xx: int = 0
    profiles: dict[str, tuple[int, list[tuple[float, str]], list[tuple[float, str]]]] = field(default_factory=dict)
    elapsed: float = 0.0

    def hollow_figures(self, engine: str) -> tuple[Scenario, list[WrkResult], float, float, float, float]:
        """bench/hollow.py's runs with one engine: (load, runs, ratio to the baseline's rounds of that load, median
        req/s, median server CPU us a request, the whole mock's median CPU us a request under that load)."""
        runs = self.hollow[engine]
        sc = next(s for s in SCENARIOS if s.key == HOLLOW_LOADS[engine])
        _, baseline, _ = self.throughput(sc)
        h = med([r.rps for r in runs])
        hc = med([r.cpu_us for r in runs if r.cpu_us is not None])
        mc = med([r.cpu_us for r in self.rounds[sc.key]["mock"] if r.cpu_us is not None])
        return sc, runs, h / baseline, h, hc, mc

    def throughput(self, sc: Scenario) -> tuple[float, float, float]:
        m = med([r.rps for r in self.rounds[sc.key]["mock"]])
        b = med([r.rps for r in self.rounds[sc.key]["baseline"]])
        return m, b, m / b if b else float("nan")

    def verdicts(self) -> list[tuple[str, bool]]:
        out = []
        for sc in SCENARIOS:
            _, _, ratio = self.throughput(sc)
            if sc.target is not None:
                out.append((f"{sc.label}: >= {sc.target:.2f}x baseline", ratio >= sc.target))
        for conns, limit in TTFT_P99_MS.items():
            t = self.ttft.get(conns)
            if t:
                out.append((f"TTFT 100 ms at c={conns}: never early", t["never_early"]))
                out.append((f"TTFT 100 ms at c={conns}: p99 <= +{limit:.1f} ms", t["p99"] - TTFT_MS <= limit))
        if self.cold.get("mock"):
            out.append((f"cold start to first 200 <= {COLD_START_MS:.0f} ms", med(self.cold["mock"]) <= COLD_START_MS))
        if self.rss:
            last = self.rss[-1][1] / 1024
            out.append((f"RSS after {self.rss[-1][0]:,} requests <= 80 MiB", last <= 80.0))
            out.append(("RSS flat (growth over the second half <= 2 MiB)", self.flat_growth() <= 2.0))
        return out

    def flat_growth(self) -> float:
        half = [kib for n, kib in self.rss if n >= self.rss[-1][0] // 2]
        return (self.rss[-1][1] - half[0]) / 1024 if half else float("nan")

    def markdown(self) -> str:
        a = self.args
        lines = [
            "# mockrouter benchmark",
            "",
            f"Run {self.started:%Y-%m-%d %H:%M} UTC by `make bench` (`bench/run.py`), {self.elapsed:.0f} s in all. "
            f"Mock: `mockrouter serve --time-scale 0`, one worker (uvloop, httptools, access log off). Baseline: "
            f"`bench/baseline.py`, a bare Starlette app with the same routes and uvicorn settings returning fixed "
            f"bodies captured from the mock (same sizes; the SSE stream replayed one event per ASGI message).",
            "",
            "## Machine",
            "",
            *self.notes,
            "",
            "## Throughput (ratio = median of the mock's rounds / median of the baseline's, same run)",
            "",
            f"{a.rounds} interleaved rounds of {a.duration} s per server and load (order flipped each round), after "
            f"{a.warmup} s of warm-up each. Stream: {self.sse.get('data', '?')} `data:` events per response "
            f"({self.sse.get('content', '?')} content chunks + finish chunk + usage chunk + `[DONE]`) and "
            f"{self.sse.get('comments', '?')} `: OPENROUTER PROCESSING` comment, {self.sse.get('bytes', '?')} bytes.",
            "",
            "Server CPU us/req is the server process's user+system CPU time over the run divided by the requests "
            "served: unlike req/s it is barely moved by other tenants of a shared machine, so its ratio (baseline / "
            "mock) is a cross-check on the throughput ratio; the targets are judged on req/s.",
            "",
            "| load | mock req/s | baseline req/s | ratio | target | result | mock rounds | baseline rounds "
            "| per-round ratios | server CPU us/req mock / baseline (ratio) | mock p50 / p99 ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for sc in SCENARIOS:
            m, b, ratio = self.throughput(sc)
            mr, br = self.rounds[sc.key]["mock"], self.rounds[sc.key]["baseline"]
            p50 = med([r.p50_ms for r in mr if r.p50_ms is not None])
            p99 = med([r.p99_ms for r in mr if r.p99_ms is not None])
            errs = sum(r.non2xx + r.errors for r in mr + br)
            per_round = " / ".join(f"{x.rps / y.rps:.3f}" for x, y in zip(mr, br, strict=False))
            mc = med([r.cpu_us for r in mr if r.cpu_us is not None])
            bc = med([r.cpu_us for r in br if r.cpu_us is not None])
            target, verdict = (
                ("(shown)", "") if sc.target is None else (f">= {sc.target:.2f}x", ok(ratio >= sc.target))
            )
            lines.append(
                f"| {sc.label} | {m:,.0f} | {b:,.0f} | {ratio:.3f}x | {target} | {verdict} "
                f"| {' / '.join(f'{r.rps:,.0f}' for r in mr)} | {' / '.join(f'{r.rps:,.0f}' for r in br)} "
                f"| {per_round} | {mc:.0f} / {bc:.0f} ({bc / mc:.2f}x) | {p50:.1f} / {p99:.1f} | {errs} |"
            )
        if "constant" in self.hollow:
            sc, runs, ratio, h, hc, mc = self.hollow_figures("constant")
            bc = med([r.cpu_us for r in self.rounds[sc.key]["baseline"] if r.cpu_us is not None])
            lines += ["", f"Where the time goes: `bench/hollow.py` is the mock's own app and server (routes, rendering, "
                      f"the uvicorn protocol) with the engine replaced by a constant answer (the captured chat body), "
                      f"under the {sc.label} load, after the rounds above: {h:,.0f} req/s ("
                      f"{' / '.join(f'{r.rps:,.0f}' for r in runs)}), {ratio:.2f}x the baseline, {hc:.0f} us "
                      f"of server CPU a request against the baseline's {bc:.0f}. The rest of the mock's {mc:.0f} us "
                      f"is its engine: auth, journal, memo, accounting, documents (and, for distinct prompts, "
                      f"planning, simulation and generation)."]  # fmt: skip
        if "skeleton" in self.hollow:
            sc, runs, ratio, h, hc, mc = self.hollow_figures("skeleton")
            lines += ["", f"A floor under the distinct-prompt figure: `bench/hollow.py --engine skeleton` answers a "
                      f"completion with only the steps every completion takes, each the mock's own code (the key "
                      f"checked, a journal entry, the body parsed and validated, its fingerprint, the generated "
                      f"choices, the prompt counted, the document with a plain usage block, encoded), and no "
                      f"routing, simulation, accounting, prompt cache, memo, stubs, credits or generation record. "
                      f"Under the {sc.label} load, after the rounds above: {h:,.0f} req/s ("
                      f"{' / '.join(f'{r.rps:,.0f}' for r in runs)}), {ratio:.3f}x the baseline's rounds of that "
                      f"load, {hc:.0f} us of server CPU a request (the whole mock: {mc:.0f})."]  # fmt: skip
        lines += ["", "## Time to first token (stub `ttft_ms: 100`, time_scale 1, streaming)", "",
                  "Client: time from writing the request to the arrival of the first `data:` line, taken from the "
                  "kernel's receive timestamp of the segment that carried it (`SO_TIMESTAMPNS`), so the load "
                  "generator's own event-loop lag is not charged to the server (uvloop, keep-alive connections, "
                  "closed loop, core 0). *Seen*: when the client's loop got round to it (shown, not judged). Stub "
                  "content is a short sentence (TTFT, not stream size). Server: the journal's `ttft_ms` (the "
                  "request's first bytes parsed to the first event written). Values are minus 100 ms.",
                  "", "| concurrency | requests | client min | client p50 | client p99 | client max | seen p99 "
                  "| server min | server p50 | server p99 | early | result |", "| ---: | ---: | ---: | ---: | ---: "
                  "| ---: | ---: | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
        for conns, limit in TTFT_P99_MS.items():
            t = self.ttft.get(conns)
            if not t:
                continue
            c, s = t["client"], t["server"]
            verdict = t["never_early"] and t["p99"] - TTFT_MS <= limit
            lines.append(
                f"| {conns} | {len(c)} (failed {t['failed']}) | {min(c) - TTFT_MS:+.2f} | {pct(c, 50) - TTFT_MS:+.2f} "
                f"| {pct(c, 99) - TTFT_MS:+.2f} | {max(c) - TTFT_MS:+.2f} | {pct(t['seen'], 99) - TTFT_MS:+.2f} | "
                + (f"{min(s) - TTFT_MS:+.2f} | {pct(s, 50) - TTFT_MS:+.2f} | {pct(s, 99) - TTFT_MS:+.2f}" if s
                   else "- | - | -")
                + f" | {t['early']} | {ok(verdict)} (p99 <= +{limit:.1f} ms, none early) |"
            )  # fmt: skip
        if self.floor:
            lines += ["", "The measurement's floor on this machine: the same client, pinned the same way, against "
                      "`bench/floor.py` (a raw uvloop protocol with no framework that writes the first `data:` event "
                      "exactly 100 ms after the request's bytes arrived). What it shows is the client's, the kernel's "
                      "and the timer's share, not a server's; the targets above are judged on the mock's own numbers.",
                      "", "| concurrency | requests | floor client p50 | floor client p99 | floor client max "
                      "| floor seen p99 |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
            for conns, f in sorted(self.floor.items()):
                c = f.arrival
                lines.append(f"| {conns} | {len(c)} | {pct(c, 50) - TTFT_MS:+.2f} | {pct(c, 99) - TTFT_MS:+.2f} "
                             f"| {max(c) - TTFT_MS:+.2f} | {pct(f.seen, 99) - TTFT_MS:+.2f} |")  # fmt: skip
        lines += ["", "## Cold start and memory", ""]
        if self.cold:
            lines.append("The package's bytecode is compiled beforehand, as `pip install` does.")
            lines.append("")
            lines.append("| | runs (ms) | median | target | result |")
            lines.append("| --- | --- | ---: | --- | --- |")
            for name in ("mock", "baseline"):
                runs = self.cold.get(name, [])
                target = f"<= {COLD_START_MS:.0f} ms" if name == "mock" else "(reference)"
                result = ok(med(runs) <= COLD_START_MS) if name == "mock" else ""
                lines.append(f"| {name}: spawn -> first 200 on /api/v1/models | "
                             f"{' / '.join(f'{x:.0f}' for x in runs)} | {med(runs):.0f} ms | {target} | {result} |")  # fmt: skip
        if self.rss:
            lines += ["", "Mock RSS (VmRSS), fresh process, time_scale 0, 4 non-streaming chats : 1 stream, every request a "
                      "different prompt (bench/soak.lua), c=64 "
                      f"({self.soak_non2xx} non-2xx):", "", "| requests | RSS MiB |", "| ---: | ---: |"]  # fmt: skip
            lines += [f"| {n:,} {'(idle)' if n == 0 else ''} | {kib / 1024:.1f} |" for n, kib in self.rss]
            lines += ["", f"Growth over the second half: {self.flat_growth():+.1f} MiB. "
                      f"Target: <= 80 MiB after 100,000 requests, and flat: "
                      f"{ok(self.rss[-1][1] / 1024 <= 80 and self.flat_growth() <= 2.0)}."]  # fmt: skip
        lines += ["", "## Targets", "", "| target | result |", "| --- | --- |"]
        lines += [f"| {name} | {ok(flag)} |" for name, flag in self.verdicts()]
        if self.profiles:
            lines += ["", "## Profile (py-spy, 250 Hz, mock under load)", ""]
            for key, (samples, own, incl) in self.profiles.items():
                sc = next(s for s in SCENARIOS if s.key == key)
                lines += [f"### {sc.label} ({samples} samples)", "", "Top self time:", "", "| % | frame |",
                          "| ---: | --- |"]  # fmt: skip
                lines += [f"| {p:.1f} | `{f}` |" for p, f in own]
                lines += ["", "Top inclusive (starlette/uvicorn/asyncio frames left out):", "", "| % | frame |",
                          "| ---: | --- |"]  # fmt: skip
                lines += [f"| {p:.1f} | `{f}` |" for p, f in incl]
                lines.append("")
        before = BENCH / "PROFILE_BEFORE.md"
        if before.exists():  # the frozen "before" of the hot-path work, to compare with the profile above
            lines += ["", "## Profile before the hot-path work (commit 5010a9a, 0.16x-0.18x non-streaming)", "",
                      *before.read_text().splitlines()[1:]]  # fmt: skip
        return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------------- phases


def capture(mock: Server, outdir: Path) -> dict[str, int]:
    """Save the mock's actual responses for the baseline to replay; count the SSE events."""
    bodies = outdir / "bodies"
    bodies.mkdir(exist_ok=True)
    status, chat = request(mock.port, "POST", CHAT_PATH, CHAT_BODY, AUTH)
    assert status == 200, (status, chat[:300])
    status, models = request(mock.port, "GET", MODELS_PATH)
    assert status == 200, status
    status, sse = request(mock.port, "POST", CHAT_PATH, STREAM_BODY, AUTH)
    assert status == 200, (status, sse[:300])
    (bodies / "chat.json").write_bytes(chat)
    (bodies / "models.json").write_bytes(models)
    (bodies / "stream.sse").write_bytes(sse)
    events = [e for e in sse.split(b"\n\n") if e]
    data = [e for e in events if e.startswith(b"data:")]
    content = sum(1 for e in data if e != b"data: [DONE]" and json.loads(e[5:])["choices"]
                  and json.loads(e[5:])["choices"][0]["delta"].get("content"))  # fmt: skip
    return {"data": len(data), "content": content, "comments": len(events) - len(data), "bytes": len(sse)}


def throughput(report: Report, mock: Server, base: Server) -> None:
    a = report.args
    servers = {"mock": mock, "baseline": base}
    for sc in SCENARIOS:
        report.rounds[sc.key] = {"mock": [], "baseline": []}
        for name in servers:
            wrk(servers[name], sc, a.warmup)
    for r in range(a.rounds):
        for sc in SCENARIOS:
            order = ["mock", "baseline"] if r % 2 == 0 else ["baseline", "mock"]
            for name in order:
                res = wrk(servers[name], sc, a.duration)
                report.rounds[sc.key][name].append(res)
                print(f"  round {r + 1} {sc.key:9} {name:8} {res.rps:10,.0f} req/s {res.cpu_us or 0:8.1f} CPU us/req"
                      + (f"  ({res.non2xx} non-2xx, {res.errors} socket errors)" if res.non2xx or res.errors else ""),
                      flush=True)  # fmt: skip


def hollow_layer(report: Report, logdir: Path, engine: str = "constant") -> None:
    """The mock's HTTP layer with a hollowed engine (bench/hollow.py): a constant answer under the same-prompt chat
    load, or the skeleton of a completion under the distinct-prompt one."""
    port = free_port()
    cmd = [sys.executable, str(BENCH / "hollow.py"), "--port", str(port), "--body", str(logdir / "bodies" / "chat.json"),
           "--engine", engine]  # fmt: skip
    server = Server(f"hollow-{engine}", cmd, port, logdir)
    sc = next(s for s in SCENARIOS if s.key == HOLLOW_LOADS[engine])
    try:
        server.wait_ready()
        wrk(server, sc, report.args.warmup)
        runs = [wrk(server, sc, report.args.duration) for _ in range(report.args.rounds)]
        report.hollow[engine] = runs
        print(f"  hollow ({engine}): {' / '.join(f'{r.rps:,.0f}' for r in runs)} req/s", flush=True)
    finally:
        server.stop()


def ttft(report: Report, logdir: Path) -> None:
    a = report.args
    mock = mock_server("mock-ttft", logdir, 1.0, "--journal-size", str(max(a.ttft_requests, 1000) + 1000))
    try:
        mock.wait_ready()
        prepare_mock(mock, STUB_TTFT)
        ttft_client(mock.port, 16, 200)  # warm-up
        for conns in (64, 256):
            request(mock.port, "DELETE", "/__mockrouter/requests")
            got = ttft_client(mock.port, conns, a.ttft_requests)
            client, failed, server = got.arrival, got.failed, server_ttfts(mock.port)
            early = sum(1 for x in client if x < TTFT_MS) + sum(1 for x in server if x < TTFT_MS)
            report.ttft[conns] = {"client": client, "seen": got.seen, "server": server, "failed": failed,
                                  "early": early, "never_early": early == 0 and bool(client), "p99": pct(client, 99)}  # fmt: skip
            print(
                f"  c={conns}: client min {min(client):.2f} p50 {pct(client, 50):.2f} p99 {pct(client, 99):.2f} ms;"
                f" server min {min(server) if server else float('nan'):.2f} ms; failed {failed}",
                flush=True,
            )
    finally:
        mock.stop()
    port = free_port()
    floor = Server("floor", [sys.executable, str(BENCH / "floor.py"), "--port", str(port)], port, logdir)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("bench/floor.py did not start")
            time.sleep(0.01)
        ttft_client(port, 16, 200)  # warm-up
        for conns in (64, 256):
            report.floor[conns] = got = ttft_client(port, conns, a.ttft_requests)
            print(f"  floor c={conns}: arrival p50 {pct(got.arrival, 50):.2f} p99 {pct(got.arrival, 99):.2f} ms; "
                  f"seen p99 {pct(got.seen, 99):.2f} ms", flush=True)  # fmt: skip
    finally:
        floor.stop()


def cold_start(report: Report, logdir: Path, runs: int) -> None:
    for name in ("mock", "baseline"):
        report.cold[name] = []
        for i in range(runs):
            server = mock_server(f"cold-{i}", logdir, 0) if name == "mock" else baseline_server(logdir, None)
            try:
                report.cold[name].append(server.wait_ready() * 1000.0)
            finally:
                server.stop()
        print(f"  {name}: {' / '.join(f'{x:.0f}' for x in report.cold[name])} ms", flush=True)


def memory(report: Report, logdir: Path, total: int, steps: int) -> None:
    mock = mock_server("mock-rss", logdir, 0)
    try:
        mock.wait_ready()
        time.sleep(1.0)
        report.rss.append((0, mock.rss_kib()))
        prepare_mock(mock, STUB_50)
        done = 0
        for step in range(steps):
            want = total * (step + 1) // steps - done
            n, bad = soak(mock.port, want)
            done += n
            report.soak_non2xx += bad
            time.sleep(0.5)
            report.rss.append((done, mock.rss_kib()))
            print(f"  {done:,} requests: {report.rss[-1][1] / 1024:.1f} MiB", flush=True)
    finally:
        mock.stop()


@contextlib.contextmanager
def running(*servers: Server) -> Iterator[None]:
    try:
        yield
    finally:
        for s in servers:
            s.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description="mockrouter vs a bare Starlette baseline")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server and load")
    parser.add_argument("--ttft-requests", type=int, default=2000)
    parser.add_argument("--rss-requests", type=int, default=100_000)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--profile-seconds", type=int, default=6)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 round of 3 s, small counts")
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--keep", type=Path, default=None, help="keep logs and raw profiles in this directory")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 3, 1
        args.ttft_requests, args.rss_requests, args.cold_runs, args.profile_seconds = 500, 10_000, 1, 3
    if shutil.which("wrk") is None:
        print("bench needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 2
    if PINNED:
        os.sched_setaffinity(0, {int(LOAD_CPU)})
    else:
        print("warning: fewer than 2 cores or no taskset: not pinning", file=sys.stderr)

    # every server reads the package's bytecode, as an installed one does (pip compiles on install): with
    # PYTHONDONTWRITEBYTECODE set, each start would otherwise compile ~60 modules, which the cold start would measure
    compileall.compile_dir(str(ROOT / "mockrouter"), quiet=1)
    started = time.monotonic()
    report = Report(args, datetime.datetime.now(datetime.UTC), machine_notes())
    workdir = Path(tempfile.mkdtemp(prefix="mockrouter-bench-")) if args.keep is None else args.keep
    workdir.mkdir(parents=True, exist_ok=True)

    print("throughput: starting the mock and the baseline", flush=True)
    mock = mock_server("mock", workdir, 0)
    with running(mock):
        mock.wait_ready()
        prepare_mock(mock, STUB_50)
        report.sse = capture(mock, workdir)
        print(f"  stream: {report.sse}", flush=True)
        base = baseline_server(workdir, workdir / "bodies")
        with running(base):
            base.wait_ready()
            throughput(report, mock, base)
        for engine in HOLLOW_LOADS:
            hollow_layer(report, workdir, engine)
        if not args.no_profile:
            for key in ("chat64d", "stream64d"):  # the distinct-prompt path: what the headline measures
                sc = next(s for s in SCENARIOS if s.key == key)
                raw = profile(mock, sc, args.profile_seconds, workdir)
                if raw is None:
                    print("  (no py-spy in the venv: no profile)", flush=True)
                    break
                report.profiles[key] = top_entries(raw)
    print("ttft", flush=True)
    ttft(report, workdir)
    print("cold start", flush=True)
    cold_start(report, workdir, args.cold_runs)
    print("memory", flush=True)
    memory(report, workdir, args.rss_requests, 4)

    report.elapsed = time.monotonic() - started
    args.out.write_text(report.markdown())
    print(f"\nwrote {args.out} ({report.elapsed:.0f} s); logs and raw profiles in {workdir}")
    for name, flag in report.verdicts():
        print(f"  {'PASS' if flag else 'FAIL'}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
