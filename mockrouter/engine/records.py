"""A generation's record: what ``GET /generation?id=`` answers about a served completion (a pure function of the
completion's outcome; ``memo.fill_record`` lays the id, the time and the request's headers over it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mockrouter.engine.documents import Served
from mockrouter.engine.generation import Choice, Prompt
from mockrouter.engine.simulation import Outcome
from mockrouter.engine.usage import Usage

__all__ = ["ERA_B_FIELDS", "generation_record", "self_router"]


def generation_record(
    account: str | None,
    body: dict[str, Any],
    served: Served,
    choices: Sequence[Choice],
    usage: Usage,
    outcome: Outcome,
    stream: bool,
    prompt: Prompt,
    api_type: str = "completions",
) -> dict[str, Any]:
    """The record's template: ``memo.fill_record`` adds the id, the time and the request's headers."""
    attempt = outcome.served
    assert attempt is not None
    latency = round(outcome.timeline.ttft_ms)
    gen_time = round(
        sum(c.completion_tokens + c.reasoning_tokens for c in choices) * 1000 / outcome.timeline.tokens_per_second
    )
    responses = [
        {
            "id": None,
            "endpoint_id": f.attempt.endpoint.tag,
            "model_permaslug": f.attempt.model.canonical_slug,
            "provider_name": f.attempt.provider,
            "status": f.error.status,
            "latency": round(f.latency_ms),
            "is_byok": f.attempt.byok,
        }
        for f in outcome.failures
    ] + [
        {
            "id": f"chatcmpl-{served.id[-20:]}",
            "endpoint_id": attempt.endpoint.tag,
            "model_permaslug": attempt.model.canonical_slug,
            "provider_name": attempt.provider,
            "status": 200,
            "latency": latency,
            "is_byok": attempt.byok,
        }
    ]
    prompt_in = body.get("prompt")
    return {
        "_account": account,
        # what GET /generation/content serves (part of the shared template: nothing more per request)
        "_input": {"messages": body.get("messages") or []}
        if prompt_in is None
        else {"prompt": prompt_in if isinstance(prompt_in, str) else "\n".join(map(str, prompt_in))},
        "_output": {
            "completion": choices[0].content if choices else None,
            "reasoning": choices[0].reasoning if choices else None,
        },
        "id": served.id,
        "upstream_id": f"chatcmpl-{served.id[-20:]}",
        "total_cost": usage.cost,
        "cache_discount": float(usage.cache_saving) if usage.cached_tokens or usage.cache_write_tokens else None,
        "upstream_inference_cost": usage.upstream_cost,
        "created_at": None,
        "model": served.model,
        "app_id": None,
        "streamed": stream,
        "cancelled": False,
        "provider_name": served.provider,
        "latency": latency,
        "moderation_latency": None,
        "generation_time": gen_time,
        "finish_reason": choices[0].finish_reason if choices else None,
        "native_finish_reason": served.native_finish_reason
        if choices and choices[0].finish_reason == "stop"
        else (choices[0].finish_reason if choices else None),
        "tokens_prompt": usage.prompt_tokens,
        "tokens_completion": usage.completion_tokens,
        "native_tokens_prompt": usage.prompt_tokens,
        "native_tokens_completion": usage.completion_tokens,
        "native_tokens_completion_images": 0,
        "native_tokens_reasoning": usage.reasoning_tokens,
        "native_tokens_cached": usage.cached_tokens,
        "num_media_prompt": prompt.media or None,
        "num_input_audio_prompt": prompt.audio_parts or None,
        "num_media_completion": 0,
        "num_search_results": 0,
        "origin": "",
        "usage": usage.cost,
        "is_byok": usage.is_byok,
        "external_user": body.get("user"),
        "api_type": api_type,
        # Era B
        "router": self_router(body),
        "provider_responses": responses,
        "http_referer": None,
        "user_agent": None,
        "app_title": None,
        "service_tier": None,
        "data_region": "global",
        "session_id": None,
        "request_id": None,
        "num_fetches": 0,
        "web_search_engine": None,
        "preset_id": None,
        "workspace_id": None,
        "response_cache_source_id": None,
    }


def self_router(body: dict[str, Any]) -> str | None:
    return "openrouter/auto" if (body.get("model") or "openrouter/auto") == "openrouter/auto" else None


ERA_B_FIELDS = (
    "router",
    "provider_responses",
    "http_referer",
    "user_agent",
    "app_title",
    "service_tier",
    "data_region",
    "session_id",
    "request_id",
    "num_fetches",
    "web_search_engine",
    "preset_id",
    "workspace_id",
    "response_cache_source_id",
)
