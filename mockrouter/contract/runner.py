"""Run schemathesis against any OpenRouter-compatible server with the contract built from ``schemas/``.

``run(...)`` drives schemathesis (examples, coverage, fuzzing incl. negative data, stateful links) over
``contract.openapi.document()`` at ``base_url`` or an in-process ASGI ``app``, plus ``openrouter_stream_events`` (chunk
schema per SSE event, one id, ``[DONE]`` last unless a mid-stream error ended it), ``openrouter_error_envelope``
(``error.code`` = status) and ``openrouter_generation_link`` (a completion's id feeds ``GET /generation?id=``).
Money is opt-in and bounded: ``dry_run`` sends nothing; ``max_requests`` caps every request at the transport.

The pieces: :mod:`~mockrouter.contract.checks` (the hook, the checks and the request budget),
:mod:`~mockrouter.contract.report` (what a run found), :mod:`~mockrouter.contract.defaults` (models, caps, phases
and schemathesis' fixed settings, from ``schemas/contract-run/defaults.yaml``).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import click

from mockrouter.contract import openapi
from mockrouter.contract.checks import RUNS, BudgetExhausted, RunState, register
from mockrouter.contract.defaults import DEFAULT_MODELS, MOCK_KEY, PHASES, schemathesis_settings
from mockrouter.contract.operations import operations as registry
from mockrouter.contract.report import Failure, OperationReport, Report
from mockrouter.contract.sse import sse_data, stream_problems

__all__ = [
    "DEFAULT_MODELS",
    "MOCK_KEY",
    "BudgetExhausted",
    "Failure",
    "OperationReport",
    "Report",
    "command",
    "main_options",
    "not_applicable",
    "run",
    "sse_data",
    "stream_problems",
]


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "testserver", "::1") or host.startswith("127.")


def _schema(base_url: str | None, app: Any, config: Any, operations: Sequence[str] | None) -> Any:
    """For an app, the document it serves (``contract.openapi.document()``); else that document with ``servers`` set."""
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
        raise click.UsageError(
            f"unknown operations: {', '.join(sorted(wanted - known))} (operationIds: {', '.join(sorted(ids))})"
        )

    def match(ctx: Any) -> bool:
        op = ctx.operation
        return bool({op.definition.raw.get("operationId"), f"{op.method.upper()} {op.path}", op.path} & wanted)

    return schema.include(match)


def _config(
    base_url: str | None,
    headers: dict[str, str],
    max_examples: int,
    seed: int | None,
    exclude_checks: Iterable[str],
    phases: Iterable[str] | None,
) -> Any:
    import schemathesis

    chosen = set(PHASES if phases is None else phases)
    data: dict[str, Any] = {
        "headers": headers,
        "generation": {
            "max-examples": max_examples,
            "mode": "all",
            "database": "none",
            "deterministic": seed is not None,
        },
        "checks": {name: {"enabled": False} for name in exclude_checks},
        "phases": {name: {"enabled": name in chosen} for name in PHASES},
        **schemathesis_settings(),
    }
    if seed is not None:
        data["seed"] = seed
    if base_url:
        data["base-url"] = base_url.rstrip("/")
    return schemathesis.Config.from_dict(data)


def run(
    base_url: str | None,
    api_key: str | None,
    max_examples: int,
    operations: list[str] | None,
    dry_run: bool,
    max_requests: int,
    app: Any = None,
    *,
    seed: int | None = 0,
    models: Sequence[str] = DEFAULT_MODELS,
    exclude_checks: Iterable[str] = (),
    phases: Iterable[str] | None = None,
) -> Report:
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
    if url is not None and not real and not dry_run:
        report.not_applicable = not_applicable(url)
    if operations and not _linked(operations) and (phases is None or "stateful" in phases):
        phases = [p for p in (PHASES if phases is None else phases) if p != "stateful"]
        report.not_applicable["stateful"] = "no OpenAPI link joins the selected operations"
    exclude_checks = [*exclude_checks, *report.not_applicable]
    schema = _schema(url, app, _config(url, headers, max_examples, seed, exclude_checks, phases), operations)
    if dry_run:
        report.planned = _plan(schema, max_examples, key)
        return report
    register()
    state = RunState(report, max_requests, headers, url, tuple(models), real)
    RUNS[id(schema)] = state
    started = time.monotonic()
    try:
        if schema.app is not None:
            schema.app = _counted_app(schema.app, state)
            _engine(schema, state)
        else:
            with _counted_http(state, str(url)):
                _engine(schema, state)
    finally:
        RUNS.pop(id(schema), None)
        report.elapsed_s = time.monotonic() - started
    return report


def _linked(selected: Iterable[str]) -> bool:
    """Whether an OpenAPI link joins two of the selected operations (else the stateful phase has nothing to do)."""
    wanted = set(selected)
    ids = {op.id for op in registry() if {op.id, f"{op.method} {op.path}", op.path} & wanted}
    return any(link[0] in ids for op in registry() if op.id in ids for link in op.links.values())


def not_applicable(base_url: str) -> dict[str, str]:
    """Checks that cannot apply to the server at ``base_url``, with the reason. A mockrouter says in its admin
    health document whether it is in any-key mode (``strict_keys: false``, the default): it then accepts any
    well-formed key by design, so schemathesis' ``ignored_auth`` would fail on the mock's documented behaviour."""
    parts = urlsplit(base_url)
    health = f"{parts.scheme}://{parts.netloc}/__mockrouter/health"
    try:
        with urllib.request.urlopen(health, timeout=5) as answer:
            doc = json.loads(answer.read())
    except (OSError, ValueError):
        return {}  # not a mockrouter (or no admin surface): every check applies
    if isinstance(doc, dict) and doc.get("strict_keys") is False:
        return {
            "ignored_auth": f"a mockrouter in any-key mode ({health}: strict_keys false) accepts any well-formed "
            "key by design; serve it with --strict-keys to check authentication"
        }
    return {}


def _counted_app(app: Any, state: RunState) -> Any:
    """ASGI middleware: every HTTP request to the app under test takes one unit of the budget."""

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            state.take()
        await app(scope, receive, send)

    return counted


@contextmanager
def _counted_http(state: RunState, base_url: str) -> Iterator[None]:
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


def _engine(schema: Any, state: RunState) -> None:
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
            excerpt = (
                ""
                if answer is None
                else f"{answer.status_code} {bytes(answer.content or b'')[:400].decode('utf-8', 'replace')}"
            )
            failure = Failure(
                label, check.name, info.failure.title, info.failure.message, info.code_sample, phase, excerpt
            )
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
            for strategy in [
                *schema.get_strategies_from_examples(operation),
                *(operation.as_strategy(generation_mode=mode) for mode in GenerationMode),
            ]:
                try:
                    cases.append(strategy.example())
                except Exception:  # a strategy that cannot draw is just not sampled
                    continue
        for case in cases:
            query = "?" + "&".join(f"{k}={v}" for k, v in case.query.items()) if case.query else ""
            out.append(
                f"{case.method.upper()} {case.formatted_path}{query} Authorization: Bearer {key[:12]}... "
                f"{_body_text(case.body)}".rstrip()
            )
    return out


def _body_text(body: Any) -> str:
    if body is None or body.__class__.__name__ == "NotSet":
        return ""
    text = repr(body[:200]) if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False, default=repr)
    return text if len(text) <= 200 else text[:197] + "..."


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
def command(
    base_url: str,
    api_key: str | None,
    max_examples: int,
    operations: tuple[str, ...],
    dry_run: bool,
    max_requests: int,
    seed: int,
) -> None:
    """Check a server (the mock or OpenRouter itself) against the contract in schemas/ with schemathesis."""
    logging.basicConfig(level="INFO", format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        report = run(base_url, api_key, max_examples, list(operations) or None, dry_run, max_requests, seed=seed)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(report.render())
    raise SystemExit(0 if report.ok else 1)
