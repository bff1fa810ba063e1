"""Building a served completion: the response documents, usage, the generation record and the pacing, with the
id and ``created`` left open (``mockrouter.engine.memo``). A pure function of plain values: the core serves the
result now, or again on a repeated request."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mockrouter import errors, seeding
from mockrouter.calls import DONE_PAYLOAD, SSE_DATA, SSE_END, Run, Spans, json_bytes
from mockrouter.engine import generation
from mockrouter.engine.bodies import reasoning_format, upstream_body, usage_requested
from mockrouter.engine.caching import CachePlan, write_price
from mockrouter.engine.documents import Served, chat_body, chat_chunks, stream_error_chunk, text_body, text_chunks
from mockrouter.engine.logprobs import MAX_TOP
from mockrouter.engine.memo import CREATED_MARK, ID_MARK, Admission, Lazy, Prepared, prepared_for
from mockrouter.engine.records import generation_record
from mockrouter.engine.responses import failed_event, response_doc, response_events
from mockrouter.engine.simulation import Outcome
from mockrouter.engine.usage import Usage, account, usage_block
from mockrouter.kinds import Dialect, FaultKind, Profile
from mockrouter.kinds import Outcome as JournalOutcome
from mockrouter.values import value
from mockrouter.world import Stub

__all__ = ["Job", "dumps", "prepare", "sse"]

dumps = json_bytes


def sse(doc: Any) -> bytes:
    """One ``data:`` event: a document, or its JSON already encoded (bytes)."""
    return SSE_DATA + (doc if isinstance(doc, bytes) else dumps(doc)) + SSE_END


@value
class Job:
    """What the core worked out for a completion, as plain values."""

    body: dict[str, Any]
    seed: int
    fp: str  # the request's fingerprint (seeding)
    stream: bool
    dialect: Dialect  # chat, text (legacy /completions) or responses
    stub: Stub | None
    prompt: generation.Prompt
    outcome: Outcome  # the simulation's: a served attempt, its timeline and any mid-stream error
    choices: tuple[generation.Choice, ...]
    profile: Profile
    paced: bool  # delays will be slept (time_scale > 0): draw the pacing
    account: str | None  # the caller's account (the generation record's owner)
    request: Mapping[str, Any] | None = None  # the Responses request itself (``body`` is its chat form)
    cache: CachePlan = CachePlan()  # what the prompt reads from and writes to the provider's cache

    @property
    def legacy(self) -> bool:
        return self.dialect is Dialect.TEXT


def prepare(
    job: Job, admission: Admission, *, epoch: int, replayable: bool, stamp: tuple[str, int] | None = None
) -> Prepared:
    """Everything about a served completion except its id and time (see ``mockrouter.engine.memo``), or, given
    ``stamp``, with them (a completion the memo will not keep); ``replayable``: whether nothing but a break forbids
    a replay."""
    outcome, body, profile = job.outcome, job.body, job.profile
    attempt = outcome.served
    assert attempt is not None
    model, endpoint = attempt.model, attempt.endpoint
    choices = job.choices
    if job.stub is not None and job.stub.finish_reason:
        choices = tuple(replace(c, finish_reason=job.stub.finish_reason) for c in choices)
    usage = account(
        endpoint,
        job.prompt.tokens,
        [c.completion_tokens + c.reasoning_tokens for c in choices],
        [c.reasoning_tokens for c in choices],
        cached_tokens=job.cache.cached_tokens,
        cache_write_tokens=job.cache.write_tokens,
        cache_write_price=write_price(endpoint, job.cache.write_ttl_s) if job.cache.write_tokens else None,
        media=job.prompt.media,
        is_byok=attempt.byok,
    )
    include = profile.usage_always or usage_requested(body)
    block = usage_block(usage, profile, include)
    gen_id, created = stamp or (ID_MARK, CREATED_MARK)
    served = Served(
        gen_id,
        created,
        model.id,
        endpoint.provider_name,
        endpoint.native_finish_reason,
        reasoning_format(endpoint.provider.slug),
        profile.chunk_null_fingerprint,
        min(int(body.get("top_logprobs") or 0), MAX_TOP)
        if body.get("logprobs") is True and endpoint.supports("logprobs")
        else None,
    )
    exclude = bool((body.get("reasoning") or {}).get("exclude")) or body.get("include_reasoning") is False
    timeline = outcome.timeline
    record = Lazy(
        functools.partial(generation_record, job.account, body, served, choices, usage, outcome, job.stream, job.prompt)
    )
    mid = outcome.mid_stream_error
    mid_error = errors.envelope(mid, profile.error_type)["error"] if mid is not None else None
    prepared = prepared_for(
        attempt,
        usage,
        block,
        record,
        epoch=epoch,
        admission=admission,
        seed=job.seed,
        fp=job.fp,
        id_header=profile.generation_id_header,
        break_after=timeline.break_after,
        break_kind=timeline.break_kind,
        stall_ms=timeline.stall_ms,
        replayable=replayable and timeline.break_kind is None,
        stamp=stamp,
    )
    if job.request is not None:
        return _responses(job, prepared, served, choices[0], usage_doc(usage, include), exclude, mid_error)
    if not job.stream:
        broken = mid_error is not None and timeline.break_kind == FaultKind.MID_STREAM
        if job.legacy:
            doc = text_body(served, choices, block)
        else:
            doc = chat_body(served, choices, block, exclude_reasoning=exclude, error=mid_error if broken else None)
        prepared.delay_ms = _delay_ms(timeline, choices)
        if broken:
            prepared.outcome = JournalOutcome.MID_STREAM_ERROR
        prepared.disconnect = timeline.break_kind == FaultKind.DISCONNECT
        prepared.raw = dumps(doc)
        return prepared
    chunk_usage = block if include else None
    if job.legacy:
        events = text_chunks(served, choices, chunk_usage)
    else:
        events = chat_chunks(served, choices, chunk_usage, exclude_reasoning=exclude)
    delays = _pacing(job, timeline, events)
    if mid_error is not None:
        prepared.error_event = sse(stream_error_chunk(served, mid_error, job.legacy))
    if body.get("debug", {}).get("echo_upstream_body") and not job.legacy:
        echo = {
            "id": served.id,
            "provider": served.provider,
            "model": served.model,
            "object": "chat.completion.chunk",
            "created": served.created,
            "choices": [],
            "debug": {"echo_upstream_body": upstream_body(body, model.id)},
        }
        events.insert(0, (echo, 0))
        delays.insert(1, 0.0)
    prepared.events = Spans.framed([*(d if isinstance(d, Run) else dumps(d) for d, _ in events), DONE_PAYLOAD])
    prepared.delays_ms = [*delays, 0.0]
    return prepared


def _delay_ms(timeline: Any, choices: tuple[generation.Choice, ...]) -> float:
    """How long a whole (non-streamed) answer takes: first token, the tokens at the endpoint's pace, a stall."""
    tokens = sum(c.completion_tokens + c.reasoning_tokens for c in choices)
    stall = timeline.stall_ms if timeline.break_kind == FaultKind.STALL else 0.0
    return float(timeline.ttft_ms + tokens * 1000.0 / timeline.tokens_per_second + stall)


def _pacing(job: Job, timeline: Any, events: Sequence[tuple[Any, int]]) -> list[float]:
    """The delay before each event (the first: the time to first token), for events carrying ``tokens`` (a
    :class:`Run` stands for its events, each carrying its tokens)."""
    if not job.paced:  # nothing will sleep: skip drawing the pacing
        return [0.0] * sum(len(d) if isinstance(d, Run) else 1 for d, _ in events)
    tokens = [n for d, n in events for _ in range(len(d) if isinstance(d, Run) else 1)]
    rnd = seeding.rng(job.seed, job.fp, "timing")
    return [timeline.ttft_ms, *timeline.delays(tokens[1:], rnd)] if tokens else []


def _responses(
    job: Job,
    prepared: Prepared,
    served: Served,
    choice: generation.Choice,
    usage: dict[str, Any],
    exclude: bool,
    mid_error: dict[str, Any] | None,
) -> Prepared:
    """A Responses API answer: the Response object, or its typed events (no ``[DONE]``: the stream just ends)."""
    assert job.request is not None
    timeline = job.outcome.timeline
    broken = mid_error is not None and timeline.break_kind == FaultKind.MID_STREAM
    salt = f"{job.seed}:{job.fp}"
    if not job.stream:
        error = mid_error if broken else None
        doc = response_doc(
            served,
            job.request,
            choice,
            usage,
            exclude_reasoning=exclude,
            status="failed" if broken else None,
            error=error,
            salt=salt,
        )
        prepared.delay_ms = _delay_ms(timeline, (choice,))
        if broken:
            prepared.outcome = JournalOutcome.MID_STREAM_ERROR
        prepared.disconnect = timeline.break_kind == FaultKind.DISCONNECT
        prepared.raw = dumps(doc)
        return prepared
    events = response_events(served, job.request, choice, usage, exclude_reasoning=exclude, salt=salt)
    if mid_error is not None:
        at = timeline.break_after if timeline.break_after is not None else len(events)
        prepared.error_event = named_sse(failed_event(served, job.request, mid_error, at))
    prepared.events = [named_sse(doc) for doc, _ in events]
    prepared.delays_ms = _pacing(job, timeline, events)
    return prepared


def usage_doc(u: Usage, include_cost: bool) -> dict[str, Any]:
    """The Responses API's ``usage``: input/output tokens, with OpenRouter's cost (always in the current API)."""
    doc: dict[str, Any] = {
        "input_tokens": u.prompt_tokens,
        "input_tokens_details": {"cached_tokens": u.cached_tokens},
        "output_tokens": u.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        "total_tokens": u.total_tokens,
    }
    if include_cost:
        doc.update(
            {
                "cost": u.cost,
                "is_byok": u.is_byok,
                "cost_details": {
                    "upstream_inference_cost": u.upstream_cost,
                    "upstream_inference_input_cost": float(u.prompt_cost),
                    "upstream_inference_output_cost": float(u.completion_cost),
                },
            }
        )
    return doc


def named_sse(doc: Mapping[str, Any]) -> bytes:
    """One typed event: ``event: <type>`` then its JSON ``data``."""
    return b"event: " + str(doc["type"]).encode() + b"\n" + sse(doc)
