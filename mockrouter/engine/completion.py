"""Building a served completion: the response documents, usage, the generation record and the pacing, with the
id and ``created`` left open (``mockrouter.engine.memo``). ``Mock._deliver`` then serves it, now or on a repeat."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mockrouter import seeding
from mockrouter.engine import generation
from mockrouter.engine.bodies import reasoning_format, upstream_body, usage_requested
from mockrouter.engine.documents import Served, chat_body, chat_chunks, stream_error_chunk, text_body, text_chunks
from mockrouter.engine.memo import CREATED_MARK, ID_MARK, Prepared
from mockrouter.engine.simulation import Outcome
from mockrouter.engine.usage import account, usage_block
from mockrouter.world import Stub

if TYPE_CHECKING:
    from mockrouter.engine.core import Mock, _Ctx

__all__ = ["dumps", "prepare", "sse"]

_JSON_SEPARATORS = (",", ":")


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=_JSON_SEPARATORS, ensure_ascii=False).encode()


def sse(doc: Any) -> bytes:
    return b"data: " + dumps(doc) + b"\n\n"


def prepare(
    mock: Mock,
    ctx: _Ctx,
    body: dict[str, Any],
    seed: int,
    stub: Stub | None,
    outcome: Outcome,
    prompt: generation.Prompt,
    stream: bool,
    legacy: bool,
    fp: str,
    *,
    free: bool,
    max_cost: float,
    replayable: bool,
) -> Prepared:
    """Everything about a served completion except its id and time (see ``mockrouter.engine.memo``); ``free`` and
    ``max_cost`` are what delivering it checks, ``replayable`` whether nothing but a break forbids a replay."""
    attempt = outcome.served
    assert attempt is not None
    model, endpoint = attempt.model, attempt.endpoint
    spec = generation.Spec(
        reasoning=model.reasoning,
        max_output_tokens=endpoint.max_completion_tokens,
        content=stub.content if stub else None,
        tool_calls=stub.tool_calls if stub else None,
    )
    choices = mock._generate(body, seed, spec, fp)
    if stub is not None and stub.finish_reason:
        choices = tuple(replace(c, finish_reason=stub.finish_reason) for c in choices)
    usage = account(
        endpoint, prompt.tokens, [c.completion_tokens + c.reasoning_tokens for c in choices],
        [c.reasoning_tokens for c in choices], media=prompt.media, is_byok=attempt.byok,
    )  # fmt: skip
    include = mock.profile != "launch" or usage_requested(body)
    block = usage_block(usage, mock.profile, include)
    served = Served(ID_MARK, CREATED_MARK, model.id, endpoint.provider_name, endpoint.native_finish_reason,
                    reasoning_format(endpoint.provider.slug))  # fmt: skip
    entry = ctx.entry
    exclude = bool((body.get("reasoning") or {}).get("exclude")) or body.get("include_reasoning") is False
    timeline = outcome.timeline
    record = mock.catalogue.generation_record(ctx, body, served, choices, usage, outcome, stream, prompt)
    mid = outcome.mid_stream_error
    prepared = Prepared(
        epoch=ctx.epoch, body=entry.body, model=entry.model, stream=stream, stub=stub, near_misses=entry.near_misses,
        attempts=entry.attempts, free=free, max_cost=max_cost, cost=usage.cost,
        upstream_cost=usage.upstream_cost or 0.0, served_model=model.id, provider=endpoint.provider_name,
        usage=block, record=record, seed=seed, fp=fp, id_header=mock.profile != "launch",
        break_after=timeline.break_after, break_kind=timeline.break_kind, stall_ms=timeline.stall_ms,
        replayable=replayable and timeline.break_kind is None,
    )  # fmt: skip
    if not stream:
        doc = text_body(served, choices, block) if legacy else chat_body(
            served, choices, block, exclude_reasoning=exclude,
            error=mock.error_body(mid)["error"] if mid is not None and timeline.break_kind == "mid_stream" else None,
        )  # fmt: skip
        tokens = sum(c.completion_tokens + c.reasoning_tokens for c in choices)
        prepared.delay_ms = (
            timeline.ttft_ms
            + tokens * 1000.0 / timeline.tokens_per_second
            + (timeline.stall_ms if timeline.break_kind == "stall" else 0.0)
        )
        if mid is not None and timeline.break_kind == "mid_stream":
            prepared.outcome = "mid_stream_error"
        prepared.disconnect = timeline.break_kind == "disconnect"
        prepared.raw = dumps(doc)
        return prepared
    include_chunk = mock.profile != "launch" or usage_requested(body)
    events = text_chunks(served, choices, block if include_chunk else None) if legacy else chat_chunks(
        served, choices, block if include_chunk else None, mock.profile, exclude_reasoning=exclude)  # fmt: skip
    if mock.time_scale:
        rnd = seeding.rng(seed, fp, "timing")
        delays = [timeline.ttft_ms, *timeline.delays([n for _, n in events[1:]], rnd)] if events else []
    else:  # nothing will sleep: skip drawing the pacing
        delays = [0.0] * len(events)
    if mid is not None:
        prepared.error_event = sse(stream_error_chunk(served, mock.error_body(mid)["error"], legacy))
    if body.get("debug", {}).get("echo_upstream_body") and not legacy:
        echo = {"id": served.id, "provider": served.provider, "model": served.model, "object": "chat.completion.chunk",
                "created": served.created, "choices": [], "debug": {"echo_upstream_body": upstream_body(body, model.id)}}  # fmt: skip
        events.insert(0, (echo, 0))
        delays.insert(1, 0.0)
    prepared.events = [sse(doc) for doc, _ in events] + [b"data: [DONE]\n\n"]
    prepared.delays_ms = [*delays, 0.0]
    return prepared
