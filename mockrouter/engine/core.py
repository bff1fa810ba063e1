"""The core: ``Mock.handle(operation, call) -> Reply`` with no HTTP framework in sight.

chat/completions: auth -> parse -> validate -> overrides -> key limits -> stubs -> plan -> rate limits
-> credits -> simulate -> generate -> account -> render plan (JSON or SSE events) -> journal.
Every exit path records the request in the journal (``finally``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from mockrouter import errors, seeding
from mockrouter.calls import Call, Reply, Stream
from mockrouter.contract import schemas as contract
from mockrouter.engine import generation
from mockrouter.engine.auth import authenticate, bearer, user_id
from mockrouter.engine.bodies import (
    JOURNAL_BODY_BYTES,
    decode,
    journal_body,
    last_user_text,
)
from mockrouter.engine.catalogue import Catalogue
from mockrouter.engine.completion import prepare
from mockrouter.engine.matching import Probe, nearest, select
from mockrouter.engine.memo import Memo, Prepared, affordable, fill, fill_record
from mockrouter.engine.planner import Plan, plan
from mockrouter.engine.simulation import Outcome, simulate, user_text
from mockrouter.engine.usage import affordable_tokens, max_cost
from mockrouter.errors import MockRouterError
from mockrouter.faults import Fault, parse_header
from mockrouter.fixtures import load_for
from mockrouter.settings import Settings
from mockrouter.state.journal import Entry, Journal, key_digest, redact
from mockrouter.state.memory import KeyState, State
from mockrouter.world import Stub, World

__all__ = ["Mock"]

log = logging.getLogger("mockrouter")
_ROUTING_KEYS = ("stream", "stream_options", "usage", "provider", "models", "route", "transforms", "plugins")
_GENERATED_CACHE = 2048
_MEMO_BODY_BYTES = 64 * 1024


@dataclass(slots=True)
class _Ctx:
    call: Call
    entry: Entry
    ks: KeyState | None = None
    memo_key: Hashable | None = None
    epoch: int = 0  # the state's epoch as the request arrived (before its own stub hits move it on)


class Mock:
    """One mock world: settings, fixtures, runtime state, journal and clock."""

    def __init__(
        self,
        settings: Settings | None = None,
        world: World | None = None,
        state: State | None = None,
        journal: Journal | None = None,
    ) -> None:
        """``state`` and ``journal`` default to in-memory ones; several workers pass a shared store's."""
        self.settings = settings or Settings()
        self.world = world if world is not None else load_for(self.settings)
        s = self.settings
        self.state = (
            state
            if state is not None
            else State(self.world, generations_size=2 * s.journal_size, seed=s.seed, time_scale=s.time_scale)
        )
        self.journal = journal if journal is not None else Journal(s.journal_size)
        self.clock = seeding.Clock(s.clock)
        self.catalogue = Catalogue(self)
        self._generated: dict[tuple[int, str, generation.Spec], tuple[generation.Choice, ...]] = {}
        self._memo = Memo()
        self._memoizable = not any(e.reliability.outages for m in self.world.models.values() for e in m.endpoints)

    @property
    def profile(self) -> str:
        return self.settings.profile

    @property
    def seed(self) -> int:
        return self.state.seed

    @seed.setter
    def seed(self, value: int) -> None:
        self.state.update_settings(seed=value)

    @property
    def time_scale(self) -> float:
        return self.state.time_scale

    @time_scale.setter
    def time_scale(self, value: float) -> None:
        self.state.update_settings(time_scale=value)

    def reset(self, journal: bool = True) -> None:
        self.state.reset()
        self.clock.reset()
        self._memo.clear()
        if journal:
            self.journal.clear()

    # ------------------------------------------------------------------ entry point

    def handle(self, operation: str, call: Call, **params: str) -> Reply:
        self.state.begin(bearer(call.headers))
        entry = self.journal.open(
            call.method, call.path, "&".join(f"{k}={v}" for k, v in call.query.items()), dict(call.headers)
        )
        ctx = _Ctx(call, entry)
        reply: Reply | None = None
        try:
            recorded = self._recorded(call, entry) if self.world.recordings else None
            if recorded is not None:
                reply = recorded
            elif operation in ("chat", "completions"):
                reply = self._complete(ctx, legacy=operation == "completions")
            else:
                reply = self.catalogue.handle(operation, ctx, **params)
        except MockRouterError as exc:
            reply = self.error_reply(exc, ctx)
        except Exception:
            log.exception("internal error answering %s %s", call.method, call.path)
            reply = self.error_reply(MockRouterError.of(500), ctx)
        finally:
            if reply is None:
                reply = self.error_reply(MockRouterError.of(500), ctx)
            self._close_entry(entry, reply, call)
        return reply

    def _recorded(self, call: Call, entry: Entry) -> Reply | None:
        from mockrouter.http.recording import find_recording, replay_reply

        body = journal_body(call.body) if call.body else None
        rec = find_recording(self.world.recordings, call.method, call.path, body)
        if rec is None:
            return None
        entry.stub = f"recording:{rec.get('name', '?')}"
        reply = replay_reply(rec, self.time_scale, self.settings.keepalive_s)
        if reply.stream is not None:
            reply.stream.on_end = self._finisher(entry, call)
        return reply

    def _close_entry(self, entry: Entry, reply: Reply, call: Call) -> None:
        entry.status = reply.status
        if entry.body is None and call.body:
            entry.body = journal_body(call.body)
        if reply.status >= 400 and entry.outcome == "pending":
            entry.outcome = "invalid" if entry.violations else "error"
        if reply.stream is None and reply.on_end is None:
            if entry.outcome == "pending":
                entry.outcome = "ok"
            waited = reply.delay_ms * reply.time_scale
            entry.duration_ms = round((time.monotonic() - call.arrived) * 1000 + waited, 3) if call.arrived else None
            self.journal.close(entry)

    def error_reply(self, exc: MockRouterError, ctx: _Ctx, delay_ms: float = 0.0) -> Reply:
        ctx.entry.error = exc.message
        if "retry-after" in {k.lower() for k in exc.headers}:
            ctx.entry.retry_after = next(v for k, v in exc.headers.items() if k.lower() == "retry-after")
        return Reply(
            exc.status, self.error_body(exc, ctx.ks), dict(exc.headers), delay_ms=delay_ms, time_scale=self.time_scale
        )

    def error_body(self, exc: MockRouterError, ks: KeyState | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"message": exc.message, "code": exc.status}
        metadata = dict(exc.metadata) if exc.metadata else None
        if self.profile != "launch":
            metadata = metadata or {}
            metadata.setdefault(
                "error_type", (exc.metadata or {}).get("error_type") or errors.ERROR_TYPES.get(exc.status, "unmapped")
            )
        elif metadata is not None:
            metadata.pop("error_type", None)
        if metadata is not None:
            error["metadata"] = metadata
        body: dict[str, Any] = {"error": error}
        if ks is not None and exc.with_user:
            body["user_id"] = user_id(ks.account.id)
        return body

    # ------------------------------------------------------------------ shared steps

    def authenticate(self, ctx: _Ctx) -> KeyState:
        ks = authenticate(ctx.call.headers, self.state, self.profile, self.settings.strict_keys)
        ctx.ks = ks
        ctx.entry.key = redact(ks.key.key)
        ctx.entry.key_hash = key_digest(ks.key.key)
        ctx.entry.account = ks.account.id
        return ks

    def parse_body(self, ctx: _Ctx) -> dict[str, Any]:
        call = ctx.call
        if call.body_too_large or len(call.body) > self.settings.max_body_bytes:
            ctx.entry.body = {"truncated": True, "bytes": len(call.body)}
            raise MockRouterError(413, "Request payload too large", {"max_bytes": self.settings.max_body_bytes})
        try:
            body = decode(call.body)
        except MockRouterError:
            ctx.entry.body = journal_body(call.body)
            raise
        # the journal keeps the parsed body itself (the pipeline never changes a body in place)
        ctx.entry.body = body if len(call.body) <= JOURNAL_BODY_BYTES else journal_body(call.body)
        return body

    def validate(self, ctx: _Ctx, kind: str, body: dict[str, Any]) -> None:
        try:
            if contract.is_valid(kind, body):
                return
            violations = contract.validate(kind, body)
        except RecursionError:
            raise errors.bad_request("Invalid request: nested too deeply") from None
        if violations:
            ctx.entry.violations = [v.as_dict() for v in violations]
            first = violations[0]
            where = first.pointer or "body"
            raise errors.bad_request(f"Invalid request: {where}: {first.message}", violations=ctx.entry.violations)

    def overrides(self, ctx: _Ctx) -> tuple[list[Fault], int]:
        headers = ctx.call.headers
        faults = []
        raw = headers.get("x-mockrouter-fault")
        if raw:
            faults.append(parse_header(raw))
        seed = self.seed
        if headers.get("x-mockrouter-seed"):
            try:
                seed = int(headers["x-mockrouter-seed"])
            except ValueError:
                raise MockRouterError(400, "Invalid X-Mockrouter-Seed header: expected an integer") from None
        return faults, seed

    # ------------------------------------------------------------------ completions

    def _complete(self, ctx: _Ctx, legacy: bool) -> Reply:
        ks = self.authenticate(ctx)
        ctx.memo_key, ctx.epoch = self._memo_key(ctx.call, ks, legacy), self.state.epoch
        if ctx.memo_key is not None:
            prepared = self._memo.get(ctx.memo_key, ctx.epoch)
            if prepared is not None and affordable(ks.account.balance, ks.limit_remaining, prepared.max_cost):
                return self._deliver(ctx, ks, prepared)
        body = self.parse_body(ctx)
        faults, seed = self.overrides(ctx)
        if "messages" not in body and "prompt" not in body:
            raise errors.bad_request('Input required: specify "prompt" or "messages"')
        if not legacy and "messages" not in body and isinstance(body.get("prompt"), str):
            body = {**body, "messages": [{"role": "user", "content": body["prompt"]}]}
            body.pop("prompt")
        self.validate(ctx, "completion-request.json" if legacy else "chat-completion-request.json", body)
        if legacy and "prompt" not in body:
            body = {**body, "prompt": user_text(body)}
        stream = body.get("stream") is True
        entry = ctx.entry
        entry.model, entry.stream = body.get("model"), stream
        if ks.key.management:
            raise MockRouterError(403, "Management keys cannot be used for inference. Create an API key instead.")
        remaining = ks.limit_remaining
        if remaining is not None and remaining <= 0:
            raise errors.key_limit_exceeded()
        if ks.account.balance < 0:
            raise errors.insufficient_credits(int(body.get("max_tokens") or 0), 0)

        # stubs and faults
        stub = self._stub(ctx, body, ks, stream)
        if stub is not None and stub.fault is not None:
            faults.append(stub.fault)
        faults.extend(self.state.faults())
        active = [f for f in faults if self.state.take_fault(f)]
        entry.faults = [f.as_dict() for f in active]
        fp = seeding.fingerprint({k: v for k, v in body.items() if k not in _ROUTING_KEYS})
        for fault in active:
            if fault.kind in ("error", "timeout"):
                status = fault.status or 408
                err = errors.for_status(status, model=str(body.get("model") or ""), message=fault.message,
                                        metadata=fault.metadata, retry_after=fault.retry_after)  # fmt: skip
                return self.error_reply(err, ctx, delay_ms=fault.ms or 0.0)

        # routing
        snap = self.state.snapshot(ks.account)
        prompt = generation.count_prompt(body)
        the_plan = plan(body, self.world, snap, seed, fp, prompt.tokens)
        entry.attempts = [{**a.describe(), "status": "planned"} for a in the_plan.attempts]
        if the_plan.error is not None:
            raise the_plan.error
        first = the_plan.attempts[0]
        if first.model.variant == "free":
            self._free_limits(ks)
        requested = int(body.get("max_completion_tokens") or body.get("max_tokens") or 0)
        wanted = (
            requested or first.endpoint.max_completion_tokens or max(1, first.endpoint.context_length - prompt.tokens)
        )
        cost = max_cost(first.endpoint, prompt.tokens, wanted, first.byok)
        if cost > 0 and float(cost) > ks.account.balance:
            raise errors.insufficient_credits(
                wanted, affordable_tokens(first.endpoint, prompt.tokens, ks.account.balance, first.byok)
            )
        if remaining is not None and float(cost) > remaining:
            raise errors.insufficient_credits(
                wanted, affordable_tokens(first.endpoint, prompt.tokens, remaining, first.byok), key_capped=True
            )

        outcome = simulate(
            the_plan, body, snap, seeding.rng(seed, fp, "simulation"), active, stub.latency if stub else None
        )
        self._journal_attempts(entry, the_plan, outcome)
        if outcome.served is None:
            assert outcome.error is not None
            return self.error_reply(outcome.error, ctx, delay_ms=outcome.timeline.wait_ms)
        prepared = prepare(
            self, ctx, body, seed, stub, outcome, prompt, stream, legacy, fp, free=first.model.variant == "free",
            max_cost=float(cost), replayable=not active and not (stub is not None and stub.fault is not None),
        )  # fmt: skip
        if prepared.replayable and ctx.memo_key is not None:
            self._memo.put(ctx.memo_key, prepared)
        return self._deliver(ctx, ks, prepared, counted=True)

    def _stub(self, ctx: _Ctx, body: dict[str, Any], ks: KeyState, stream: bool) -> Stub | None:
        stubs = self.state.stubs()
        if not stubs:
            return None
        probe = Probe(
            path=ctx.call.path,
            model=body.get("model"),
            message=last_user_text(body),
            tools=bool(body.get("tools")),
            stream=stream,
            key=ks.key.key,
            headers=ctx.call.headers,
        )
        stub, misses = select(stubs, probe, self.state.scenario_states(), self.state.stub_hit_counts())
        if stub is None:
            ctx.entry.near_misses = nearest(misses)
            return None
        ctx.entry.stub = stub.name
        self.state.stub_hit(stub)
        return stub

    def _free_limits(self, ks: KeyState) -> None:
        d = self.world.defaults
        per_day = d.free_requests_per_day or (1000 if ks.account.purchased else 50)
        now = time.time()
        over = self.state.free_request(ks.account, d.free_requests_per_minute, per_day, now)
        if over is None:
            return
        window, limit = over
        if window == "day":
            reset = (int(now // 86_400) + 1) * 86_400
        else:
            reset = (int(now // 60) + 1) * 60
        raise errors.rate_limited_free(window, limit, reset * 1000, max(1, int(reset - now)))

    def _journal_attempts(self, entry: Entry, the_plan: Plan, outcome: Outcome) -> None:
        rows = []
        for f in outcome.failures:
            rows.append({**f.attempt.describe(), "status": f.error.status, "error": f.error.message,
                         "latency_ms": round(f.latency_ms, 3)})  # fmt: skip
        if outcome.served is not None:
            rows.append({**outcome.served.describe(), "status": 200, "latency_ms": round(outcome.timeline.ttft_ms, 3)})
        entry.attempts = rows

    def _memo_key(self, call: Call, ks: KeyState, legacy: bool) -> Hashable | None:
        """What a completion's outcome depends on besides the state's epoch; ``None``: work it out every time."""
        headers = call.headers
        if not self._memoizable or len(call.body) > _MEMO_BODY_BYTES or "x-mockrouter-fault" in headers:
            return None
        if self.state.faults():
            return None
        names = self.state.stub_header_names()
        matched = tuple(headers.get(n) for n in names) if names else ()
        return (
            legacy,
            call.body,
            ks.key.key,
            headers.get("x-mockrouter-seed"),
            self.seed,
            bool(self.time_scale),
            matched,
        )

    def _deliver(self, ctx: _Ctx, ks: KeyState, p: Prepared, counted: bool = False) -> Reply:
        """Serve a prepared completion: per-request checks and effects, a fresh id and time, the reply."""
        entry = ctx.entry
        if not counted:  # what the full pipeline does before planning
            entry.body, entry.model, entry.stream = p.body, p.model, p.stream
            entry.near_misses, entry.attempts = p.near_misses, p.attempts
            if p.stub is not None:
                entry.stub = p.stub.name
                self.state.stub_hit(p.stub)
            if p.free:
                self._free_limits(ks)
        self.state.charge(ks, p.cost, p.upstream_cost)
        gen_id = self.clock.generation_id(p.seed, p.fp)
        created = self.clock.now()
        entry.served_model, entry.provider, entry.generation_id = p.served_model, p.provider, gen_id
        entry.usage, entry.cost = p.usage, p.cost
        if p.outcome is not None:
            entry.outcome = p.outcome
        self.state.remember(gen_id, fill_record(p.record, gen_id, created, ctx.call.headers, p.body or {}))
        headers = {"X-Generation-Id": gen_id} if p.id_header else {}
        if p.raw is not None:
            disconnect = p.disconnect
            return Reply(200, None, headers, delay_ms=p.delay_ms, disconnect=disconnect, raw=fill(p.raw, gen_id, created),
                         time_scale=self.time_scale, on_end=self._finisher(entry, ctx.call) if disconnect else None)  # fmt: skip
        return Reply(
            200,
            headers=headers,
            content_type="text/event-stream",
            time_scale=self.time_scale,
            stream=Stream(
                events=[fill(e, gen_id, created) for e in p.events],
                delays_ms=p.delays_ms,
                time_scale=self.time_scale,
                keepalive_s=self.settings.keepalive_s,
                break_after=p.break_after,
                break_kind=p.break_kind,
                stall_ms=p.stall_ms,
                error_event=fill(p.error_event, gen_id, created) if p.error_event is not None else None,
                done_after_error=self.settings.done_after_error,
                on_end=self._finisher(entry, ctx.call),
            ),
        )

    def _generate(
        self, body: dict[str, Any], seed: int, spec: generation.Spec, fp: str
    ) -> tuple[generation.Choice, ...]:
        """``generation.generate`` is a pure function of (body, seed, spec): memoized, bounded."""
        key = (seed, fp, spec)
        cached = self._generated.get(key)
        if cached is None:
            cached = generation.generate(body, seed, spec)
            self._generated[key] = cached
            if len(self._generated) > _GENERATED_CACHE:
                self._generated.pop(next(iter(self._generated)))
        return cached

    def _finisher(self, entry: Entry, call: Call) -> Callable[[str, int, float | None], None]:
        def finish(outcome: str, sent: int, ttft_ms: float | None) -> None:
            entry.outcome = outcome
            entry.chunks = sent
            entry.ttft_ms = ttft_ms
            entry.duration_ms = round((time.monotonic() - call.arrived) * 1000, 3) if call.arrived else None
            self.journal.close(entry)
            if entry.generation_id:
                changes: dict[str, Any] = {"cancelled": outcome in ("cancelled", "disconnected")}
                if outcome == "mid_stream_error":
                    changes["finish_reason"] = "error"
                self.state.update_generation(entry.generation_id, **changes)

        return finish
