"""Simulating each planned attempt: outages, error rates, BYOK key trouble, moderation, injected faults
and latency. Pure and seeded: it returns an :class:`Outcome` with a :class:`Timeline` and never sleeps
(``rendering`` is the only module that waits or breaks a stream).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockrouter import errors
from mockrouter.engine.bodies import user_text
from mockrouter.engine.planner import Attempt, Plan
from mockrouter.errors import MockRouterError
from mockrouter.faults import Fault
from mockrouter.kinds import FaultKind
from mockrouter.state.protocol import Snapshot
from mockrouter.values import value
from mockrouter.world import Latency

__all__ = ["Failure", "Outcome", "Timeline", "simulate"]

_Z90 = 1.2815515655446004


@dataclass(frozen=True, slots=True)
class Failure:
    attempt: Attempt
    error: MockRouterError
    latency_ms: float


@value
class Timeline:
    """When things happen, in unscaled milliseconds."""

    ttft_ms: float = 0.0
    tokens_per_second: float = 80.0
    jitter: float = 0.0
    break_after: int | None = None  # chunks delivered before the break
    break_kind: FaultKind | None = None  # MID_STREAM, STALL or DISCONNECT
    stall_ms: float = 0.0
    wait_ms: float = 0.0  # time before an error answer (failed attempts, timeouts)

    def delays(self, tokens: Sequence[int], rnd: random.Random) -> list[float]:
        """Delay before each chunk after the first, in ms, for chunks of ``tokens`` tokens each."""
        per_token = 1000.0 / self.tokens_per_second
        out = []
        for n in tokens:
            factor = 1.0 + self.jitter * rnd.gauss(0.0, 1.0) if self.jitter else 1.0
            out.append(max(0.0, per_token * n * factor))
        return out


@value
class Outcome:
    served: Attempt | None
    failures: tuple[Failure, ...] = ()
    error: MockRouterError | None = None
    timeline: Timeline = Timeline()
    mid_stream_error: MockRouterError | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)


def _ttft(latency: Latency, rnd: random.Random) -> float:
    if latency.ttft_p90_ms and latency.ttft_p90_ms > latency.ttft_ms > 0:
        sigma = math.log(latency.ttft_p90_ms / latency.ttft_ms) / _Z90
        return latency.ttft_ms * math.exp(rnd.gauss(0.0, sigma))
    return latency.ttft_ms


def _targets(fault: Fault, attempt: Attempt, first: Attempt) -> bool:
    if fault.provider is None:
        return attempt is first
    ref = fault.provider.lower()
    e = attempt.endpoint
    return ref in (e.tag.lower(), e.provider.slug, e.provider.name.lower())


def _attempt_error(
    attempt: Attempt,
    first: Attempt,
    body: Mapping[str, Any],
    snap: Snapshot,
    faults: Iterable[Fault],
    rnd: random.Random,
) -> MockRouterError | None:
    e, model = attempt.endpoint, attempt.model
    r = e.reliability
    name = e.provider_name
    for fault in faults:
        if fault.kind in (FaultKind.OUTAGE, FaultKind.PROVIDER_ERROR) and _targets(fault, attempt, first):
            status = fault.status or (503 if fault.kind is FaultKind.OUTAGE else 502)
            err = errors.provider_error(
                status, name, model=model.id, is_byok=attempt.byok, retry_after=fault.retry_after, message=fault.message
            )
            return err
    outage = next((o for o in r.outages if o.start_s <= snap.elapsed_s < o.end_s), None)
    if r.down or outage or e.provider.slug in snap.down or e.tag in snap.down:
        status = outage.status if outage else r.down_status
        return errors.provider_error(status, name, model=model.id, is_byok=attempt.byok, retry_after=r.retry_after_s)
    if attempt.byok:
        key = snap.byok.get(e.provider.slug)
        if key is not None and key.status == "invalid":
            return errors.provider_error(
                401,
                name,
                {"error": {"message": "Incorrect API key provided.", "code": "invalid_api_key"}},
                model=model.id,
                is_byok=True,
                message="Provider returned error",
            )
        if key is not None and key.status == "rate_limited":
            return errors.provider_error(
                429,
                name,
                f"{model.id} is rate-limited on your {name} key.",
                model=model.id,
                is_byok=True,
                retry_after=r.retry_after_s,
            )
    for status, rate in sorted(r.error_rates.items()):
        if rate and rnd.random() < rate:
            return errors.provider_error(
                status, name, model=model.id, is_byok=attempt.byok, retry_after=r.retry_after_s
            )
    if e.moderation is not None:  # the user's text is read only for an endpoint that moderates
        text = user_text(body)
        lowered = text.lower()
        if any(word.lower() in lowered for word in e.moderation.flag):
            return errors.moderation_flagged(model.id, name, list(e.moderation.reasons), text)
    return None


def simulate(
    plan: Plan,
    body: Mapping[str, Any],
    snap: Snapshot,
    rnd: random.Random,
    faults: Sequence[Fault] = (),
    latency: Latency | None = None,
) -> Outcome:
    """Try each attempt in order until one serves; failures before the first token fail over."""
    if not plan.attempts:
        return Outcome(None, error=plan.error)
    first = plan.attempts[0]
    failures: list[Failure] = []
    waited = 0.0
    for attempt in plan.attempts:
        lat = latency or attempt.endpoint.latency
        err = _attempt_error(attempt, first, body, snap, faults, rnd)
        if err is not None:
            spent = min(_ttft(lat, rnd), 250.0) * 0.5
            failures.append(Failure(attempt, err, spent))
            waited += spent
            continue
        ttft = waited + _ttft(lat, rnd)
        break_after = break_kind = None
        stall = 0.0
        mid: MockRouterError | None = None
        for fault in faults:
            if fault.kind is FaultKind.SLOW_TTFT:
                ttft = waited + (fault.ms or 0.0)
            elif fault.kind.breaks_stream:
                break_after, break_kind, stall = fault.after_chunks or 0, fault.kind, fault.ms or 0.0
                if fault.kind is FaultKind.MID_STREAM:
                    mid = _mid_stream(fault.status or 502, attempt, fault.message)
        if break_kind is None and attempt.endpoint.reliability.mid_stream_error_rate:
            if rnd.random() < attempt.endpoint.reliability.mid_stream_error_rate:
                break_after, break_kind = rnd.randint(1, 8), FaultKind.MID_STREAM
                mid = _mid_stream(502, attempt, None)
        timeline = Timeline(ttft, lat.tokens_per_second, lat.jitter, break_after, break_kind, stall, waited)
        return Outcome(attempt, tuple(failures), None, timeline, mid)
    return Outcome(None, tuple(failures), failures[-1].error, Timeline(wait_ms=waited))


def _mid_stream(status: int, attempt: Attempt, message: str | None) -> MockRouterError:
    name = attempt.endpoint.provider_name
    raw = f"{name} closed the stream unexpectedly"
    return MockRouterError(
        status,
        message or f"Upstream error from {name}: {raw}",
        {"provider_name": name, "raw": raw, "is_byok": attempt.byok},
    )
