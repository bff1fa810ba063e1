"""The inference operations (chat, legacy text, embeddings and the Responses API), as the core runs them.

auth -> parse -> validate -> overrides -> stubs -> faults -> plan -> per-request checks -> simulate -> generate
-> account -> documents. What a completion worked out is kept (``memo``): a repeated request under the same state
epoch replays it, and both paths run the per-request checks and effects through the same two methods
(:meth:`Completions._admit_key` and :meth:`Completions._admit`), then :meth:`Completions._deliver`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from mockrouter import errors, seeding
from mockrouter.calls import Call, Reply, Stream
from mockrouter.contract.operations import Operation
from mockrouter.engine import generation
from mockrouter.engine.admission import Admissions
from mockrouter.engine.bodies import last_user_text, user_text
from mockrouter.engine.caching import CachePlan, plan_cache, prefixes, supports_explicit
from mockrouter.engine.completion import Job, prepare
from mockrouter.engine.embeddings import prepare_embeddings, prompt_tokens
from mockrouter.engine.exchange import Exchange
from mockrouter.engine.matching import Probe, nearest, select
from mockrouter.engine.memo import Admission, Memo, Prepared, Sightings, fill, fill_all, fill_record
from mockrouter.engine.planner import Plan, plan
from mockrouter.engine.responses import to_chat
from mockrouter.engine.simulation import Outcome, simulate
from mockrouter.engine.tokens import Prompt
from mockrouter.engine.usage import affordable_tokens, max_cost
from mockrouter.errors import MockRouterError
from mockrouter.faults import Fault, parse_header
from mockrouter.kinds import Dialect, Profile
from mockrouter.kinds import Outcome as JournalOutcome
from mockrouter.settings import Settings
from mockrouter.state.journal import Entry, Journal
from mockrouter.state.protocol import KeyState, State
from mockrouter.values import keep_recent
from mockrouter.world import Stub, World

__all__ = ["GENERATED_CACHE", "Completions"]

_ROUTING_KEYS = ("stream", "stream_options", "usage", "provider", "models", "route", "transforms", "plugins")
GENERATED_CACHE = 2048  # generated choices kept (from their second sighting on)
_MEMO_BODY_BYTES = 64 * 1024


class Completions(Admissions):
    """The completion operations of :class:`~mockrouter.engine.core.Mock` (which provides these attributes)."""

    settings: Settings
    world: World
    state: State
    journal: Journal
    clock: seeding.Clock
    memo: Memo
    _generated: OrderedDict[tuple[int, str, generation.Spec], tuple[generation.Choice, ...]]
    _generations_seen: Sightings
    _memoizable: bool

    @property
    def profile(self) -> Profile:
        raise NotImplementedError

    def authenticate(self, ex: Exchange) -> KeyState:
        raise NotImplementedError

    def parse_body(self, ex: Exchange) -> Any:
        raise NotImplementedError

    def validate(self, ex: Exchange, schema: str, body: Any) -> None:
        raise NotImplementedError

    def error_reply(self, exc: MockRouterError, ex: Exchange, delay_ms: float = 0.0) -> Reply:
        raise NotImplementedError

    # ------------------------------------------------------------------ the operation

    def complete(self, op: Operation, ex: Exchange) -> Reply:
        dialect = op.completion
        assert dialect is not None and op.request is not None
        embedding = dialect is Dialect.EMBEDDINGS
        ks = self.authenticate(ex)
        ex.memo_key, ex.epoch = self._memo_key(ex.call, ks, dialect), self.state.epoch
        if ex.memo_key is not None:
            prepared = self.memo.get(ex.memo_key, ex.epoch)
            if prepared is not None:
                return self._replay(ex, ks, prepared)
        body, request = self._body(ex, op.request, dialect)
        faults, seed = self._overrides(ex.call)
        stream = body.get("stream") is True and not embedding
        entry = ex.entry
        entry.model, entry.stream = body.get("model"), stream
        requested = int(body.get("max_tokens") or 0)
        stub = self._stub(ex, body, ks, stream)
        self._admit_key(ex, ks, Admission(stub, requested))

        if stub is not None and stub.fault is not None:
            faults.append(stub.fault)
        faults.extend(self.state.faults())
        active = [f for f in faults if self.state.take_fault(f)]
        if active:
            entry.faults = [f.as_dict() for f in active]
        fp = seeding.fingerprint({k: v for k, v in body.items() if k not in _ROUTING_KEYS})
        for fault in active:
            if fault.kind.answers_at_once:
                status = fault.status or 408
                err = errors.for_status(
                    status,
                    model=str(body.get("model") or ""),
                    message=fault.message,
                    metadata=fault.metadata,
                    retry_after=fault.retry_after,
                )
                return self.error_reply(err, ex, delay_ms=fault.ms or 0.0)

        snap = self.state.snapshot(ks.account)
        prompt = Prompt(prompt_tokens(body), 0, 0) if embedding else generation.count_prompt(body)
        # routing, then the simulation of its attempts, draw from one stream (seeding a generator costs more than
        # all their draws); generation has its own, so neither ever changes the text
        draws = seeding.rng(seed, fp, "routing")
        the_plan = plan(body, self.world, snap, seed, fp, prompt.tokens, draws)
        entry.attempts = [{**a.describe(), "status": "planned"} for a in the_plan.attempts]
        if the_plan.error is not None:
            raise the_plan.error
        first = the_plan.attempts[0]
        if dialect.output_modality not in first.model.output_modalities:
            raise errors.no_endpoints(first.model.id)  # no endpoint of that model serves this operation
        if body.get("cache_control") and not any(supports_explicit(e) for e in first.model.endpoints):
            raise MockRouterError(404, "No endpoints found that support cache control")
        wanted = 0
        if not embedding:
            wanted = int(body.get("max_completion_tokens") or requested) or (
                first.endpoint.max_completion_tokens or max(1, first.endpoint.context_length - prompt.tokens)
            )
        cost = float(max_cost(first.endpoint, prompt.tokens, wanted, first.byok))
        admission = Admission(
            stub, requested, first.model.variant == "free", wanted, cost, first.endpoint, prompt.tokens, first.byok
        )
        self._admit(ks, admission)

        outcome = simulate(the_plan, body, snap, draws, active, stub.latency if stub else None)
        self._journal_attempts(entry, the_plan, outcome)
        if outcome.served is None:
            assert outcome.error is not None
            return self.error_reply(outcome.error, ex, delay_ms=outcome.timeline.wait_ms)
        replayable = not active and not (stub is not None and stub.fault is not None)
        if embedding:
            keep = replayable and self.memo.keeps(ex.memo_key)
            prepared = prepare_embeddings(
                body, outcome, seed, fp, self.profile, ks.account.id, admission, epoch=ex.epoch, replayable=replayable
            )
        else:
            cache = self._prompt_cache(ks, outcome, body, prompt.tokens)
            replayable = replayable and not cache.stored  # the cache changes with every such request
            keep = replayable and self.memo.keeps(ex.memo_key)
            job = self._job(body, seed, fp, stream, dialect, stub, prompt, outcome, ks, request, cache)
            # what the memo will not keep is written with its own id and time at once: nothing to splice in later
            stamp = None if keep else (self.clock.generation_id(seed, fp), self.clock.now())
            prepared = prepare(job, admission, epoch=ex.epoch, replayable=replayable, stamp=stamp)
        prepared.facts = {
            "body": entry.body,
            "model": entry.model,
            "stream": stream,
            "near_misses": entry.near_misses,
            "attempts": entry.attempts,
        }
        if keep and prepared.replayable and ex.memo_key is not None:
            self.memo.put(ex.memo_key, prepared)
        return self._deliver(ex, ks, prepared)

    def _job(
        self,
        body: dict[str, Any],
        seed: int,
        fp: str,
        stream: bool,
        dialect: Dialect,
        stub: Stub | None,
        prompt: generation.Prompt,
        outcome: Outcome,
        ks: KeyState,
        request: dict[str, Any] | None,
        cache: CachePlan,
    ) -> Job:
        """What a chat or text completion's documents are made from: the generated choices and the request."""
        served = outcome.served
        assert served is not None
        spec = generation.Spec(
            reasoning=served.model.reasoning,
            reasoning_mandatory=served.model.reasoning_defaults.mandatory,
            reasoning_default=served.model.reasoning_defaults.default_enabled,
            default_effort=served.model.reasoning_defaults.default_effort,
            max_output_tokens=served.endpoint.max_completion_tokens,
            content=stub.content if stub else None,
            tool_calls=stub.tool_calls if stub else None,
        )
        return Job(
            body,
            seed,
            fp,
            stream,
            dialect,
            stub,
            prompt,
            outcome,
            self._generate(body, seed, spec, fp),
            self.profile,
            paced=bool(self.state.time_scale),
            account=ks.account.id,
            request=request,
            cache=cache,
        )

    def _prompt_cache(self, ks: KeyState, outcome: Outcome, body: dict[str, Any], prompt_tokens: int) -> CachePlan:
        """The serving endpoint's prompt cache: what this prompt reads and writes; the cache (and the routing that
        sticks to it) is updated at once."""
        served = outcome.served
        assert served is not None
        found = prefixes(served.endpoint, body, prompt_tokens)
        if not found:
            return CachePlan()
        account, tag = ks.account.id, served.endpoint.tag
        plan = plan_cache(found, self.state.cached_prefixes(account, tag, [p.digest for p in found]), prompt_tokens)
        self.state.cache_prefixes(account, tag, {p.digest: p.ttl_s for p in plan.stored}, served.model.id)
        return plan

    def _body(self, ex: Exchange, schema: str, dialect: Dialect) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The request body, parsed, put in the dialect's normal form and validated against its schema; for the
        Responses API, its chat form and the request itself."""
        body: dict[str, Any] = self.parse_body(ex)
        if dialect is Dialect.RESPONSES:
            self.validate(ex, schema, body)
            return to_chat(body), body
        if dialect is not Dialect.EMBEDDINGS:
            if "messages" not in body and "prompt" not in body:
                raise errors.bad_request('Input required: specify "prompt" or "messages"')
            if dialect is Dialect.CHAT and "messages" not in body and isinstance(body.get("prompt"), str):
                body = {**body, "messages": [{"role": "user", "content": body["prompt"]}]}
                body.pop("prompt")
        self.validate(ex, schema, body)
        if dialect is Dialect.TEXT and "prompt" not in body:
            body = {**body, "prompt": user_text(body)}
        return body, None

    def _replay(self, ex: Exchange, ks: KeyState, p: Prepared) -> Reply:
        """A repeated request: the journal learns what the full pipeline would have told it, then the same
        per-request checks and effects run, in the same order."""
        for name, value in p.facts.items():
            setattr(ex.entry, name, value)
        self._admit_key(ex, ks, p.admission)
        self._admit(ks, p.admission)
        return self._deliver(ex, ks, p)

    def _overrides(self, call: Call) -> tuple[list[Fault], int]:
        headers = call.headers
        faults = []
        raw = headers.get("x-mockrouter-fault")
        if raw:
            faults.append(parse_header(raw))
        seed = self.state.seed
        if headers.get("x-mockrouter-seed"):
            try:
                seed = int(headers["x-mockrouter-seed"])
            except ValueError:
                raise MockRouterError(400, "Invalid X-Mockrouter-Seed header: expected an integer") from None
        return faults, seed

    def _stub(self, ex: Exchange, body: dict[str, Any], ks: KeyState, stream: bool) -> Stub | None:
        stubs = self.state.stubs()
        if not stubs:
            return None
        probe = Probe(
            path=ex.call.path,
            model=body.get("model"),
            message=last_user_text(body),
            tools=bool(body.get("tools")),
            stream=stream,
            key=ks.key.key,
            headers=ex.call.headers,
        )
        stub, misses = select(stubs, probe, self.state.scenario_states(), self.state.stub_hit_counts())
        if stub is None:
            ex.entry.near_misses = nearest(misses)
        return stub

    def _journal_attempts(self, entry: Entry, the_plan: Plan, outcome: Outcome) -> None:
        rows = [
            {
                **f.attempt.describe(),
                "status": f.error.status,
                "error": f.error.message,
                "latency_ms": round(f.latency_ms, 3),
            }
            for f in outcome.failures
        ]
        if outcome.served is not None:
            rows.append({**outcome.served.describe(), "status": 200, "latency_ms": round(outcome.timeline.ttft_ms, 3)})
        entry.attempts = rows

    def _memo_key(self, call: Call, ks: KeyState, dialect: Dialect) -> Hashable | None:
        """What a completion's outcome depends on besides the state's epoch; ``None``: work it out every time."""
        headers = call.headers
        if not self._memoizable or len(call.body) > _MEMO_BODY_BYTES or "x-mockrouter-fault" in headers:
            return None
        if self.state.faults():
            return None
        names = self.state.stub_header_names()
        matched = tuple(headers.get(n) for n in names) if names else ()
        seed = headers.get("x-mockrouter-seed")
        return (dialect, call.body, ks.key.key, seed, self.state.seed, bool(self.state.time_scale), matched)

    # ------------------------------------------------------------------ serving

    def _deliver(self, ex: Exchange, ks: KeyState, p: Prepared) -> Reply:
        """Serve a prepared completion: the charge, a fresh id and time, the generation record, the reply."""
        entry = ex.entry
        a = p.admission
        short = self.state.charge(ks, p.cost, p.upstream_cost, most=a.max_cost if a.endpoint is not None else 0.0)
        if short is not None:  # another worker spent it since the checks: the check and debit are one step
            assert a.endpoint is not None
            raise errors.insufficient_credits(a.wanted, affordable_tokens(a.endpoint, a.prompt_tokens, short, a.byok))
        if p.stamp is None:
            gen_id, created = self.clock.generation_id(p.seed, p.fp), self.clock.now()
        else:
            gen_id, created = p.stamp
        entry.served_model, entry.provider, entry.generation_id = p.served_model, p.provider, gen_id
        entry.usage, entry.cost = p.usage, p.cost
        if p.outcome is not None:
            entry.outcome = p.outcome
        request_body = p.facts.get("body")
        # the record reads the journal's copy of the headers (credentials redacted): the request's own are let go
        record = fill_record(
            p.record, gen_id, created, entry.headers, request_body if isinstance(request_body, dict) else {}
        )
        self.state.remember(gen_id, record)
        headers = {"X-Generation-Id": gen_id} if p.id_header else {}
        scale = self.state.time_scale
        if p.raw is not None:
            on_end = self._finisher(entry, ex.call) if p.disconnect else None
            return Reply(
                200,
                None,
                headers,
                delay_ms=p.delay_ms,
                disconnect=p.disconnect,
                raw=p.raw if p.stamp else fill(p.raw, gen_id, created),
                time_scale=scale,
                on_end=on_end,
            )
        stream = Stream(
            events=p.events if p.stamp else fill_all(p.events, gen_id, created),
            delays_ms=p.delays_ms,
            time_scale=scale,
            keepalive_s=self.settings.keepalive_s,
            break_after=p.break_after,
            break_kind=p.break_kind,
            stall_ms=p.stall_ms,
            error_event=p.error_event if p.stamp or p.error_event is None else fill(p.error_event, gen_id, created),
            done_after_error=self.settings.done_after_error,
            on_end=self._finisher(entry, ex.call),
        )
        return Reply(200, headers=headers, content_type="text/event-stream", time_scale=scale, stream=stream)

    def _generate(
        self, body: dict[str, Any], seed: int, spec: generation.Spec, fp: str
    ) -> tuple[generation.Choice, ...]:
        """``generation.generate`` is a pure function of (body, seed, spec): memoized, bounded (a stub's fixed answer
        is made again: cheaper than hashing its spec to look it up)."""
        if spec.content is not None and not spec.tool_calls:
            return generation.generate(body, seed, spec, fp)
        key = (seed, fp, spec)
        cached = self._generated.get(key)
        if cached is None:
            cached = generation.generate(body, seed, spec, fp)
            if self._generations_seen.again(key):  # kept from the second sighting on, as the memo's outcomes
                keep_recent(self._generated, key, cached, GENERATED_CACHE)
        return cached

    def _finisher(self, entry: Entry, call: Call) -> Callable[[str, int, float | None], None]:
        def finish(outcome: str, sent: int, ttft_ms: float | None) -> None:
            entry.outcome = outcome
            entry.chunks = sent
            entry.ttft_ms = ttft_ms
            entry.duration_ms = round((time.monotonic() - call.arrived) * 1000, 3) if call.arrived else None
            self.journal.close(entry)
            if entry.generation_id:  # a record says ``cancelled: false`` from the start: only changes are written
                changes: dict[str, Any] = {}
                if outcome in (JournalOutcome.CANCELLED, JournalOutcome.DISCONNECTED):
                    changes["cancelled"] = True
                if outcome == JournalOutcome.MID_STREAM_ERROR:
                    changes["finish_reason"] = "error"
                if changes:
                    self.state.update_generation(entry.generation_id, **changes)

        return finish
