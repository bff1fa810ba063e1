"""The contract run's own schemathesis hook and checks, and the per-run state they share.

Registered once per process, they act only on the schemas ``run`` owns (``RUNS``, by schema id):

* the ``before_call`` hook steers positive completions to known models and a sane ``max_tokens`` (tighter against
  real servers; no billed web search there), and counts cases by generation mode;
* ``openrouter_stream_events``: ``stream: true`` is answered with SSE and only then; each event is a chunk of the
  operation's schema, one id, ``[DONE]`` last unless a mid-stream error ended it;
* ``openrouter_error_envelope``: an error status carries JSON valid against ``error.json`` with ``error.code`` = status;
* ``openrouter_generation_link``: a completion's id feeds ``GET /generation?id=``, which answers that generation.

``RunState.take`` spends one unit of ``max_requests`` per request sent, raising ``BudgetExhausted`` at the cap.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mockrouter.contract import schemas as contract
from mockrouter.contract.defaults import (
    COMPLETION_OPS,
    EMBEDDING_MODELS,
    REAL_MAX_TOKENS,
    STEER_MAX_TOKENS,
    STEERED_OPS,
)
from mockrouter.contract.report import Report
from mockrouter.contract.sse import sse_data, stream_problems
from mockrouter.kinds import Dialect

__all__ = ["RUNS", "BudgetExhausted", "RunState", "register"]


class BudgetExhausted(RuntimeError):
    """Raised instead of sending a request over ``max_requests``."""


@dataclass
class RunState:
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
                logging.getLogger("mockrouter.contract").info(
                    "%d/%d requests sent", self.report.requests_sent, self.max_requests
                )

    def remaining(self) -> int:
        with self.lock:
            return self.max_requests - self.report.requests_sent


#: The runs under way, by ``id()`` of their schemathesis schema.
RUNS: dict[int, RunState] = {}
_registered: list[bool] = []
_register_lock = threading.Lock()


def _state(case: Any) -> RunState | None:
    return RUNS.get(id(case.operation.schema))


def _operation_id(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId", ""))


def _is_positive(case: Any) -> bool:
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return bool(mode is None or getattr(mode, "is_positive", False))


def _content_type(response: Any) -> str:
    return str((response.headers.get("content-type") or [""])[0])


def register() -> None:
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
            if state is None or op_id not in COMPLETION_OPS or response.status_code != 200:
                return None
            wants = isinstance(case.body, dict) and case.body.get("stream") is True
            is_stream = content_type.startswith("text/event-stream")
            if wants and not is_stream and content_type.startswith("application/json"):
                raise AssertionError(f"stream: true answered with {content_type}, not text/event-stream")
            if not wants and is_stream:
                raise AssertionError("a request without stream: true was answered with text/event-stream")
            if not is_stream:
                return None
            complete = not getattr(response, "stream_cut_short", False)
            done = STEERED_OPS.get(op_id) is not Dialect.RESPONSES  # typed Responses events end without [DONE]
            problems = stream_problems(response.content, COMPLETION_OPS[op_id], complete=complete, done=done)
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
            if (
                state is None
                or _operation_id(case) not in COMPLETION_OPS
                or response.status_code != 200
                or not _content_type(response).startswith("application/json")
            ):
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


def _steer(state: RunState, case: Any) -> None:
    """Positive completion requests name known models and a sane max_tokens (tighter against real servers)."""
    dialect = STEERED_OPS.get(_operation_id(case))
    if dialect is None or not isinstance(case.body, dict) or not _is_positive(case):
        return
    body = case.body
    models = tuple(EMBEDDING_MODELS) if dialect is Dialect.EMBEDDINGS else state.models

    def known(generated: str) -> str:
        return models[zlib.crc32(generated.encode("utf-8", "surrogatepass")) % len(models)]

    if models and isinstance(body.get("model"), str) and body["model"] not in models:
        body["model"] = known(body["model"])
    if models and isinstance(body.get("models"), list):
        body["models"] = [m if not isinstance(m, str) or m in models else known(m) for m in body["models"]]
    size = EMBEDDING_MODELS.get(str(body.get("model"))) if dialect is Dialect.EMBEDDINGS else None
    if size is not None and isinstance(body.get("dimensions"), int | float) and body["dimensions"] > size:
        body["dimensions"] = size  # more than the model's own size is rightly a 400
    if state.real and isinstance(body.get("plugins"), list):  # web search is billed per request
        body["plugins"] = [p for p in body["plugins"] if not (isinstance(p, dict) and p.get("id") == "web")]
    cap = REAL_MAX_TOKENS if state.real else STEER_MAX_TOKENS
    for name in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
        value = body.get(name)
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if (numeric and value > cap) or (state.real and name == "max_tokens" and not numeric):  # type: ignore[operator]
            body[name] = cap


def _follow_generation(state: RunState, case: Any, gid: str) -> str | None:
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
