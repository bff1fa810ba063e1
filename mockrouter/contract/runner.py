"""Run schemathesis against any OpenRouter-compatible server with the contract built from ``schemas/``.

``run(...)`` drives schemathesis (examples, coverage, fuzzing incl. negative data, stateful links) over
``contract.openapi()`` at ``base_url`` or an in-process ASGI ``app``, plus ``openrouter_stream_events`` (chunk
schema per SSE event, one id, ``[DONE]`` last unless a mid-stream error ended it), ``openrouter_error_envelope``
(``error.code`` = status) and ``openrouter_generation_link`` (a completion's id feeds ``GET /generation?id=``).
Money is opt-in and bounded: ``dry_run`` sends nothing; ``max_requests`` caps every request at the transport.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import warnings
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import click

from mockrouter.contract import openapi
from mockrouter.contract import schemas as contract
from mockrouter.contract.operations import operations
from mockrouter.contract.sse import sse_data, stream_problems

# fmt: off
# (kept dense by hand: tests/test_layering.py holds every module to 500 lines)

__all__ = ["DEFAULT_MODELS", "MOCK_KEY", "BudgetExhausted", "Failure", "OperationReport", "Report", "command",
           "main_options", "run"]

#: Positive completions are steered to these (an unknown id is rightly a 400, which no schema can express).
DEFAULT_MODELS = ("openai/gpt-5-mini", "meta-llama/llama-3.3-70b-instruct")
#: The key sent to the mock when none is given (any well-formed key works unless ``--strict-keys``).
MOCK_KEY = "sk-or-v1-" + "0" * 64
#: Positive requests' max_tokens cap: real servers (money), others (more than context/credits allow is a 400/402).
REAL_MAX_TOKENS, STEER_MAX_TOKENS = 16, 1024
_COMPLETION_OPS = {op.id: op.stream for op in operations() if op.stream is not None}
_PHASES = ("examples", "coverage", "fuzzing", "stateful")

class BudgetExhausted(RuntimeError):
    """Raised instead of sending a request over ``max_requests``."""

@dataclass
class Failure:
    operation: str
    check: str
    title: str
    message: str
    curl: str
    phase: str = ""
    response: str = ""  # status and the start of the failing response's body


@dataclass
class OperationReport:
    label: str
    cases: int = 0
    failures: list[Failure] = field(default_factory=list)

@dataclass
class Report:
    target: str
    dry_run: bool = False
    max_requests: int = 0
    requests_sent: int = 0
    budget_exhausted: bool = False
    operations: dict[str, OperationReport] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    stop_reason: str = ""
    elapsed_s: float = 0.0
    bodies: dict[str, list[Any]] = field(default_factory=dict)  # positive request bodies, by operation
    modes: dict[str, int] = field(default_factory=dict)  # hooked requests by generation mode
    generations_followed: int = 0
    streams_checked: int = 0
    events_checked: int = 0

    def operation(self, label: str) -> OperationReport:
        return self.operations.setdefault(label, OperationReport(label))

    @property
    def failures(self) -> list[Failure]:
        return [f for op in self.operations.values() for f in op.failures]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors

    def render(self) -> str:
        lines = [f"mockrouter contract run against {self.target}"]
        if self.dry_run:
            lines.append(f"DRY RUN: nothing was sent. A real run sends at most {self.max_requests} requests; "
                         f"{len(self.planned)} sample requests:")
            return "\n".join(lines + [f"  {p}" for p in self.planned])
        budget = " (budget exhausted: run stopped early)" if self.budget_exhausted else ""
        modes = ", ".join(f"{n} {mode}" for mode, n in sorted(self.modes.items())) or "-"
        lines += [f"{self.requests_sent} requests (max {self.max_requests}){budget}, {self.elapsed_s:.1f}s, "
                  f"stop: {self.stop_reason or '?'}",
                  f"generated: {modes}; SSE streams checked: {self.streams_checked} ({self.events_checked} events); "
                  f"GetGeneration links followed: {self.generations_followed}"]
        width = max((len(label) for label in self.operations), default=10)
        for label, op in sorted(self.operations.items()):
            state = f"{len(op.failures)} FAILED" if op.failures else "ok"
            lines.append(f"  {label:<{width}}  {op.cases:5d} cases  {state}")
        for label, op in sorted(self.operations.items()):
            if op.failures:
                lines += ["", f"== {label}"]
                for f in op.failures:
                    lines.append(f"  - [{f.check}] {f.title} ({f.phase})")
                    lines += [f"      {text}" for text in f.message.strip().splitlines()[:12]]
                    lines += [f"      response: {f.response[:300]}"] if f.response else []
                lines += ["    first failing example:", *(f"      {t}" for t in op.failures[0].curl.splitlines())]
        lines += [f"ERROR {error}" for error in self.errors]
        verdict = "OK" if self.ok else f"FAILED: {len(self.failures)} failures, {len(self.errors)} errors"
        return "\n".join([*lines, "", verdict])

# --------------------------------------------------------------------------- per-run state, hook and checks

@dataclass
class _RunState:
    report: Report
    max_requests: int
    headers: dict[str, str]
    base_url: str | None
    models: tuple[str, ...]
    real: bool
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: Any = None  # EventStream.stop, once the engine runs

    def take(self) -> None:
        with self.lock:
            if self.report.requests_sent >= self.max_requests:
                self.report.budget_exhausted = True
                if self.stop is not None:
                    self.stop()
                raise BudgetExhausted(f"max_requests={self.max_requests} reached; request not sent")
            self.report.requests_sent += 1
            if self.report.requests_sent % 100 == 0:
                logging.getLogger("mockrouter.contract").info("%d/%d requests sent", self.report.requests_sent, self.max_requests)

    def remaining(self) -> int:
        with self.lock:
            return self.max_requests - self.report.requests_sent

_RUNS: dict[int, _RunState] = {}
_registered: list[bool] = []
_register_lock = threading.Lock()

def _state(case: Any) -> _RunState | None:
    return _RUNS.get(id(case.operation.schema))

def _operation_id(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId", ""))

def _is_positive(case: Any) -> bool:
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return bool(mode is None or getattr(mode, "is_positive", False))

def _content_type(response: Any) -> str:
    return str((response.headers.get("content-type") or [""])[0])

def _register() -> None:
    """Register the hook and the checks once per process; they act only on the schemas ``run`` owns."""
    with _register_lock:
        if _registered:
            return
        import schemathesis

        @schemathesis.hook("before_call")
        def mockrouter_contract_steer(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
            state = _state(case)
            if state is None:
                return
            _steer(state, case)
            mode = "positive" if _is_positive(case) else "negative"
            state.report.modes[mode] = state.report.modes.get(mode, 0) + 1
            if mode == "positive" and isinstance(case.body, (dict, list)):
                state.report.bodies.setdefault(case.operation.label, []).append(json.loads(json.dumps(case.body)))

        @schemathesis.check
        def openrouter_stream_events(ctx: Any, response: Any, case: Any) -> bool | None:
            state, op_id, content_type = _state(case), _operation_id(case), _content_type(response)
            if state is None or op_id not in _COMPLETION_OPS or response.status_code != 200:
                return None
            wants, is_stream = isinstance(case.body, dict) and case.body.get("stream") is True, \
                content_type.startswith("text/event-stream")
            if wants and not is_stream and content_type.startswith("application/json"):
                raise AssertionError(f"stream: true answered with {content_type}, not text/event-stream")
            if not wants and is_stream:
                raise AssertionError("a request without stream: true was answered with text/event-stream")
            if not is_stream:
                return None
            complete = not getattr(response, "stream_cut_short", False)
            problems = stream_problems(response.content, _COMPLETION_OPS[op_id], complete=complete)
            state.report.streams_checked += 1
            state.report.events_checked += sum(1 for data in sse_data(response.content) if data != "[DONE]")
            if problems:
                raise AssertionError("\n".join(problems))
            return True

        @schemathesis.check
        def openrouter_error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
            status, content_type = response.status_code, _content_type(response)
            if _state(case) is None or status < 400 or case.method.upper() == "HEAD":
                return None
            if not content_type.startswith("application/json"):
                raise AssertionError(f"error status {status} with content type {content_type!r}")
            try:
                doc = json.loads(response.content)
            except ValueError as exc:
                raise AssertionError(f"error body is not JSON: {exc}") from None
            if violations := contract.validate("error.json", doc):
                raise AssertionError("error envelope violates error.json: " + _joined(violations))
            if doc["error"].get("code") != status:
                raise AssertionError(f"error.code {doc['error'].get('code')!r} is not the HTTP status {status}")
            return True

        @schemathesis.check
        def openrouter_generation_link(ctx: Any, response: Any, case: Any) -> bool | None:
            state = _state(case)
            if state is None or _operation_id(case) not in _COMPLETION_OPS or response.status_code != 200 \
                    or not _content_type(response).startswith("application/json"):
                return None
            try:
                gid = json.loads(response.content).get("id")
            except (ValueError, AttributeError):
                return None
            if not isinstance(gid, str) or not gid or state.remaining() < 1:
                return None
            if problem := _follow_generation(state, case, gid):
                raise AssertionError(problem)
            return True
        _registered.append(True)

def _joined(violations: Sequence[contract.Violation]) -> str:
    return "; ".join(f"{v.pointer or '/'}: {v.message}" for v in violations)

def _steer(state: _RunState, case: Any) -> None:
    """Positive completion requests name known models and a sane max_tokens (tighter against real servers)."""
    if _operation_id(case) not in _COMPLETION_OPS or not isinstance(case.body, dict) or not _is_positive(case):
        return
    body, models = case.body, state.models

    def known(generated: str) -> str:
        return models[zlib.crc32(generated.encode("utf-8", "surrogatepass")) % len(models)]
    if models and isinstance(body.get("model"), str) and body["model"] not in models:
        body["model"] = known(body["model"])
    if models and isinstance(body.get("models"), list):
        body["models"] = [m if not isinstance(m, str) or m in models else known(m) for m in body["models"]]
    if state.real and isinstance(body.get("plugins"), list):  # web search is billed per request
        body["plugins"] = [p for p in body["plugins"] if not (isinstance(p, dict) and p.get("id") == "web")]
    cap = REAL_MAX_TOKENS if state.real else STEER_MAX_TOKENS
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if (numeric and value > cap) or (state.real and name == "max_tokens" and not numeric):  # type: ignore[operator]
            body[name] = cap

def _follow_generation(state: _RunState, case: Any, gid: str) -> str | None:
    """Follow the GetGeneration link; OpenRouter publishes a generation a moment after it ends (404 first)."""
    operation = case.operation.schema.find_operation_by_id("getGeneration")
    retries, response = (3 if state.real else 0), None
    for attempt in range(retries + 1):
        if state.remaining() < 1:
            return None
        response = operation.Case(query={"id": gid}).call(base_url=state.base_url, headers=dict(state.headers))
        if response.status_code != 404 or attempt == retries:
            break
        time.sleep(1.0)
    assert response is not None
    state.report.generations_followed += 1
    where = f"GET /generation?id={gid} (GetGeneration link)"
    if response.status_code != 200:
        return f"{where} answered {response.status_code}: {response.content[:300]!r}"
    try:
        doc = json.loads(response.content)
    except ValueError:
        return f"{where}: body is not JSON"
    if violations := contract.validate("generation.json", doc):
        return f"{where}: {_joined(violations)}"
    if not isinstance(doc.get("data"), dict) or doc["data"].get("id") != gid:
        return f"{where}: data.id is not the generation's id"
    return None

# --------------------------------------------------------------------------- running
def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "testserver", "::1") or host.startswith("127.")

def _schema(base_url: str | None, app: Any, config: Any, operations: Sequence[str] | None) -> Any:
    """For an app, the document it serves (``contract.openapi()``); else that document with ``servers`` set."""
    import schemathesis
    if app is not None:
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, config=config)
    else:
        doc = openapi.document()
        doc["servers"] = [{"url": str(base_url).rstrip("/")}]
        schema = schemathesis.openapi.from_dict(doc, config=config)
    if not operations:
        return schema
    wanted, known, ids = set(operations), set(), []
    for path, item in schema.raw_schema["paths"].items():
        for method, op in item.items():
            known |= {op.get("operationId"), f"{method.upper()} {path}", path}
            ids.append(str(op.get("operationId")))
    if wanted - known:
        raise click.UsageError(f"unknown operations: {', '.join(sorted(wanted - known))} "
                               f"(operationIds: {', '.join(sorted(ids))})")

    def match(ctx: Any) -> bool:
        op = ctx.operation
        return bool({op.definition.raw.get("operationId"), f"{op.method.upper()} {op.path}", op.path} & wanted)
    return schema.include(match)

def _config(base_url: str | None, headers: dict[str, str], max_examples: int, seed: int | None,
            exclude_checks: Iterable[str], phases: Iterable[str] | None) -> Any:
    import schemathesis
    chosen = set(_PHASES if phases is None else phases)
    data: dict[str, Any] = {
        "headers": headers,
        "generation": {"max-examples": max_examples, "mode": "all", "database": "none",
                       "deterministic": seed is not None},
        "max-stream-events": 10_000,
        "request-timeout": 120,
        "checks": {name: {"enabled": False} for name in exclude_checks},
        "phases": {name: {"enabled": name in chosen} for name in _PHASES},
        "suppress-health-check": ["all"],
        "continue-on-failure": True,
        # Authorization stays masked (an exact key name); max_tokens & co. are no secrets.
        "output": {"sanitization": {"sensitive-markers": ["secret", "password", "passwd", "credential", "api_key"]}},
    }
    if seed is not None:
        data["seed"] = seed
    if base_url:
        data["base-url"] = base_url.rstrip("/")
    return schemathesis.Config.from_dict(data)

def run(base_url: str | None, api_key: str | None, max_examples: int, operations: list[str] | None, dry_run: bool,
        max_requests: int, app: Any = None, *, seed: int | None = 0, models: Sequence[str] = DEFAULT_MODELS,
        exclude_checks: Iterable[str] = (), phases: Iterable[str] | None = None) -> Report:
    """Run the contract against ``base_url`` (e.g. ``https://openrouter.ai/api/v1``) or an in-process ``app``.
    ``operations``: operationIds, ``"METHOD /path"`` or paths (default: all). ``exclude_checks``: schemathesis
    checks to switch off (each one a decision to write down). ``phases``: among examples, coverage, fuzzing,
    stateful (default: all). ``seed=None``: a random, non-deterministic run.
    """
    if app is None and not base_url:
        raise ValueError("run() needs a base_url or an app")
    if max_requests < 1:
        raise ValueError("max_requests must be >= 1")
    url = None if app is not None else base_url
    real = url is not None and not _is_loopback(url)
    if real and not api_key and not dry_run:
        raise ValueError(f"{base_url} is not a local server: pass an API key (and mind --max-requests)")
    key = api_key or MOCK_KEY
    headers = {"Authorization": f"Bearer {key}"}
    report = Report(target=url or "in-process app", dry_run=dry_run, max_requests=max_requests)
    schema = _schema(url, app, _config(url, headers, max_examples, seed, exclude_checks, phases), operations)
    if dry_run:
        report.planned = _plan(schema, max_examples, key)
        return report
    _register()
    state = _RunState(report, max_requests, headers, url, tuple(models), real)
    _RUNS[id(schema)] = state
    started = time.monotonic()
    try:
        if schema.app is not None:
            schema.app = _counted_app(schema.app, state)
            _engine(schema, state)
        else:
            with _counted_http(state, str(url)):
                _engine(schema, state)
    finally:
        _RUNS.pop(id(schema), None)
        report.elapsed_s = time.monotonic() - started
    return report

def _counted_app(app: Any, state: _RunState) -> Any:
    """ASGI middleware: every HTTP request to the app under test takes one unit of the budget."""
    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            state.take()
        await app(scope, receive, send)
    return counted

@contextmanager
def _counted_http(state: _RunState, base_url: str) -> Iterator[None]:
    """Count (and cap) requests to ``base_url``'s origin at ``requests.Session.send``, the lowest level
    schemathesis uses: probes and the extra requests some checks send never pass the hooks."""
    import requests
    parts = urlsplit(base_url)
    origin, original = f"{parts.scheme}://{parts.netloc}", requests.Session.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        if str(request.url).startswith(origin):
            state.take()
        return original(self, request, **kwargs)
    requests.Session.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.Session.send = original  # type: ignore[method-assign]

def _engine(schema: Any, state: _RunState) -> None:
    from schemathesis.engine import events, from_schema
    report, seen = state.report, set[tuple[str, str, str]]()
    stream = from_schema(schema).execute()
    state.stop = stream.stop
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            _collect(report, event, seen)
        elif isinstance(event, events.NonFatalError):
            text = f"{event.label}: {event.info.format() if hasattr(event.info, 'format') else event.value}".strip()
            if not (report.budget_exhausted and "max_requests=" in text):
                report.errors.append(text)
        elif isinstance(event, events.FatalError):
            report.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            report.stop_reason = str(event.stop_reason)

def _collect(report: Report, event: Any, seen: set[tuple[str, str, str]]) -> None:
    recorder, phase = event.recorder, str(getattr(event.phase, "value", event.phase))
    for case_id, node in recorder.cases.items():
        if case_id in recorder.interactions:
            report.operation(node.value.operation.label).cases += 1
    for case_id, checks in recorder.checks.items():
        for check in (c for c in checks if c.failure_info is not None):
            node, info = recorder.cases.get(case_id), check.failure_info
            label = node.value.operation.label if node is not None else recorder.label
            answer = getattr(recorder.interactions.get(case_id), "response", None)
            excerpt = "" if answer is None else \
                f"{answer.status_code} {bytes(answer.content or b'')[:400].decode('utf-8', 'replace')}"
            failure = Failure(label, check.name, info.failure.title, info.failure.message, info.code_sample, phase,
                              excerpt)
            key = (label, check.name, failure.title)
            if (report.budget_exhausted and "max_requests=" in failure.message) or key in seen:
                continue
            seen.add(key)
            report.operation(label).failures.append(failure)

def _plan(schema: Any, max_examples: int, key: str) -> list[str]:
    """Sample requests a run sends: the document's examples, then one positive and one negative generated case
    per operation (the run draws about ``max_examples`` per operation and phase, up to ``max_requests``)."""
    from schemathesis import GenerationMode
    out = []
    for result in schema.get_all_operations():
        operation, cases = result.ok(), []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for strategy in [*schema.get_strategies_from_examples(operation),
                             *(operation.as_strategy(generation_mode=mode) for mode in GenerationMode)]:
                try:
                    cases.append(strategy.example())
                except Exception:  # a strategy that cannot draw is just not sampled
                    continue
        for case in cases:
            query = "?" + "&".join(f"{k}={v}" for k, v in case.query.items()) if case.query else ""
            out.append(f"{case.method.upper()} {case.formatted_path}{query} Authorization: Bearer {key[:12]}... "
                       f"{_body_text(case.body)}".rstrip())
    return out

def _body_text(body: Any) -> str:
    if body is None or body.__class__.__name__ == "NotSet":
        return ""
    text = repr(body[:200]) if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False, default=repr)
    return text if len(text) <= 200 else text[:197] + "..."

# --------------------------------------------------------------------------- CLI

def main_options(func: Any) -> Any:
    """The ``mockrouter contract`` options, as a decorator (used by :data:`command`)."""
    options = [
        click.option("--base-url", required=True, help="e.g. https://openrouter.ai/api/v1 (or a local mock)"),
        click.option("--api-key", default=None, envvar="OPENROUTER_API_KEY", help="bearer key (OPENROUTER_API_KEY)"),
        click.option("--max-examples", default=25, show_default=True, type=int, help="generated cases per operation"),
        click.option("--operations", multiple=True, help="operationId, 'METHOD /path' or /path (repeatable)"),
        click.option("--dry-run", is_flag=True, help="list sample requests; send nothing"),
        click.option("--max-requests", default=300, show_default=True, type=int, help="hard cap on requests sent"),
        click.option("--seed", default=0, show_default=True, type=int),
    ]
    for option in reversed(options):
        func = option(func)
    return func

@click.command("contract")
@main_options
def command(base_url: str, api_key: str | None, max_examples: int, operations: tuple[str, ...], dry_run: bool,
            max_requests: int, seed: int) -> None:
    """Check a server (the mock or OpenRouter itself) against the contract in schemas/ with schemathesis."""
    logging.basicConfig(level="INFO", format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        report = run(base_url, api_key, max_examples, list(operations) or None, dry_run, max_requests, seed=seed)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(report.render())
    raise SystemExit(0 if report.ok else 1)
# fmt: on
