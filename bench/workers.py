"""``make bench`` (after ``run.py``): non-streaming chat completions with one worker in memory, one worker over
Redis and two workers over Redis; writes the "Several workers" section of ``bench/RESULTS.md``.

Same request and load generator as ``run.py`` (``chat.lua``: ``openai/gpt-5-mini``, wrk with one thread, closed loop,
c=64), and its helpers, imported. Nothing is pinned here: two workers need both cores, so wrk, redis-server and the
workers all share the machine's cores, and the figures say what this machine does, not what N cores would. Each
server has its own private ``redis-server`` (unix socket, no persistence). Servers warm up, then measure in
interleaved rounds (the order turns each round); the figure is the median of the rounds. CPU us/req counts every
process of the configuration (the mock, its workers and its redis-server) over the requests served.

Options: ``--rounds`` (3), ``--duration`` (s per measurement, 5), ``--warmup`` (s, 2), ``--out``. About 70 s.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import re
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run

from mockrouter.state.redis_server import RedisServer

START, END = "<!-- workers:start -->", "<!-- workers:end -->"
CHAT64 = next(sc for sc in run.SCENARIOS if sc.key == "chat64")


@dataclass
class Config:
    key: str
    label: str
    workers: int
    redis: bool
    rounds: list[run.WrkResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.rounds)


CONFIGS = [
    Config("memory", "1 worker, in memory", 1, False),
    Config("redis1", "1 worker, Redis", 1, True),
    Config("redis2", "2 workers, Redis", 2, True),
]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (the workers)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return [pid, *children]


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@contextlib.contextmanager
def serving(config: Config, workdir: Path) -> Iterator[tuple[run.Server, list[int]]]:
    with contextlib.ExitStack() as stack:
        extra = ["--workers", str(config.workers)]
        redis_pids = []
        if config.redis:
            store = stack.enter_context(RedisServer())
            assert store.process is not None
            extra += ["--redis", store.url]
            redis_pids = [store.process.pid]
        server = run.mock_server(config.key, workdir, 0, *extra)
        stack.callback(server.stop)
        server.wait_ready()
        run.prepare_mock(server, run.STUB_50)
        yield server, process_tree(server.pid) + redis_pids


def measure(config: Config, server: run.Server, pids: list[int], duration: int) -> run.WrkResult:
    cpu = cpu_seconds(pids)
    result = run.wrk(server, CHAT64, duration)
    result.cpu_us = (cpu_seconds(pids) - cpu) * 1e6 / result.requests if result.requests else None
    return result


def section(configs: list[Config], args: argparse.Namespace, elapsed: float, notes: list[str]) -> str:
    base = configs[0].rps
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START,
        "## Several workers",
        "",
        f"Run {when} by `make bench` (`bench/workers.py`), {elapsed:.0f} s. Load: `{CHAT64.label}` (the same"
        f" `chat.lua` request as above), {args.rounds} interleaved rounds of {args.duration} s after {args.warmup} s of"
        " warm-up; median of the rounds. `mockrouter serve --time-scale 0 --workers N [--redis URL]`, each Redis"
        " configuration with its own private redis-server on a unix socket.",
        "",
        f"**Nothing is pinned**: this machine has {os.cpu_count()} cores, and wrk (one thread), redis-server and the"
        " workers share them, so two workers cannot get a core each. CPU us/req = user + system time of the mock's"
        " processes and its redis-server per request served.",
        "",
        *notes,
        "",
        "| configuration | req/s | vs 1 worker in memory | rounds | CPU us/req | p50 / p99 ms | errors |",
        "| --- | ---: | ---: | --- | ---: | --- | ---: |",
    ]
    for c in configs:
        mid = sorted(c.rounds, key=lambda r: r.rps)[len(c.rounds) // 2]
        cpu = statistics.median(r.cpu_us or 0.0 for r in c.rounds)
        errors = sum(r.non2xx + r.errors for r in c.rounds)
        lines.append(
            f"| {c.label} | {c.rps:,.0f} | {c.rps / base:.2f}x | {' / '.join(f'{r.rps:,.0f}' for r in c.rounds)} |"
            f" {cpu:.0f} | {mid.p50_ms or 0:.1f} / {mid.p99_ms or 0:.1f} | {errors} |"
        )
    lines += ["", END]
    return "\n".join(lines) + "\n"


def write(out: Path, text: str) -> None:
    """Replace the section between the markers, or append it."""
    old = out.read_text() if out.exists() else ""
    found = re.search(re.escape(START) + r".*?" + re.escape(END) + r"\n?", old, re.S)
    new = old[: found.start()] + text + old[found.end() :] if found else old.rstrip() + "\n\n" + text
    out.write_text(new)


def main() -> int:
    parser = argparse.ArgumentParser(description="mockrouter with one and two workers")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--out", type=Path, default=run.BENCH / "RESULTS.md")
    args = parser.parse_args()
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            print(f"bench/workers.py needs {tool}: apt-get install -y {tool}", file=sys.stderr)
            return 2
    run.PINNED = False  # two workers need both cores: nothing is pinned (wrk included)
    started = time.monotonic()
    workdir = Path(run.tempfile.mkdtemp(prefix="mockrouter-bench-workers-"))
    with contextlib.ExitStack() as stack:
        servers = {c.key: stack.enter_context(serving(c, workdir)) for c in CONFIGS}
        for c in CONFIGS:
            server, pids = servers[c.key]
            run.wrk(server, CHAT64, args.warmup)
        for r in range(args.rounds):
            for c in CONFIGS if r % 2 == 0 else CONFIGS[::-1]:
                server, pids = servers[c.key]
                result = measure(c, server, pids, args.duration)
                c.rounds.append(result)
                print(f"  round {r + 1} {c.label:22} {result.rps:8,.0f} req/s {result.cpu_us or 0:7.0f} CPU us/req"
                      + (f" ({result.non2xx} non-2xx, {result.errors} errors)" if result.non2xx or result.errors else ""),
                      flush=True)  # fmt: skip
    notes = [line for line in run.machine_notes() if not line.startswith("- load generator")]
    write(args.out, section(CONFIGS, args, time.monotonic() - started, notes))
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"wrote the 'Several workers' section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
