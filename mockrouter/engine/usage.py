"""Accounting: token counts, cost from the serving endpoint's pricing, BYOK fees, affordability.

Cost (USD) = uncached prompt tokens x ``prompt`` + cached tokens x ``input_cache_read`` (``prompt`` when
absent) + reasoning tokens x ``internal_reasoning`` (``completion`` when zero or absent) + other
completion tokens x ``completion`` + ``request`` + media parts x ``image``. A BYOK request is charged
the 5% fee; ``cost_details.upstream_inference_cost`` is what the provider charged the user's own key.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from mockrouter.kinds import Profile
from mockrouter.values import Recent, value
from mockrouter.world import Endpoint

__all__ = ["BYOK_FEE", "Usage", "account", "affordable_tokens", "max_cost", "usage_block"]

BYOK_FEE = Decimal("0.05")
_Q = Decimal("1e-12")
#: the figures of the last requests, by their inputs
_ACCOUNTED: Recent[Usage] = Recent(64)
_BLOCKS: Recent[dict[str, Any]] = Recent(64)


@value
class Usage:
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    cached_tokens: int
    media: int
    list_cost: Decimal  # what the request costs at the endpoint's prices
    prompt_cost: Decimal
    completion_cost: Decimal
    is_byok: bool
    cache_write_tokens: int = 0
    cache_saving: Decimal = Decimal(0)  # what reading the cache saved, less what writing it cost extra

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> float:
        """What OpenRouter charges from credits."""
        return float((self.list_cost * BYOK_FEE if self.is_byok else self.list_cost).quantize(_Q))

    @property
    def upstream_cost(self) -> float | None:
        return float(self.list_cost.quantize(_Q)) if self.is_byok else None


def account(
    endpoint: Endpoint,
    prompt_tokens: int,
    completion_tokens: Sequence[int],
    reasoning_tokens: Sequence[int],
    *,
    cached_tokens: int = 0,
    cache_write_tokens: int = 0,
    cache_write_price: Decimal | None = None,
    media: int = 0,
    is_byok: bool = False,
) -> Usage:
    """Usage of a completion; ``completion_tokens`` per choice include that choice's reasoning tokens. The last few
    figures are remembered (requests alike in size, a stub's fixed answer, count alike; the decimal arithmetic
    costs more than the lookup); few, since what a cache holds slows every request down."""
    key = (
        id(endpoint),
        prompt_tokens,
        tuple(completion_tokens),
        tuple(reasoning_tokens),
        cached_tokens,
        cache_write_tokens,
        cache_write_price,
        media,
        is_byok,
    )
    hit = _ACCOUNTED.get(key, endpoint)
    if hit is not None:
        return hit
    return _ACCOUNTED.put(
        key,
        _account(
            endpoint,
            prompt_tokens,
            completion_tokens,
            reasoning_tokens,
            cached_tokens,
            cache_write_tokens,
            cache_write_price,
            media,
            is_byok,
        ),
        endpoint,
    )


def _account(
    endpoint: Endpoint,
    prompt_tokens: int,
    completion_tokens: Sequence[int],
    reasoning_tokens: Sequence[int],
    cached_tokens: int,
    cache_write_tokens: int,
    cache_write_price: Decimal | None,
    media: int,
    is_byok: bool,
) -> Usage:
    prompt_price, completion_price = endpoint.price("prompt"), endpoint.price("completion")
    cache_price = (
        Decimal(endpoint.pricing["input_cache_read"]) if "input_cache_read" in endpoint.pricing else prompt_price
    )
    reasoning_price = endpoint.price("internal_reasoning") or completion_price
    cached = min(cached_tokens, prompt_tokens)
    written = min(cache_write_tokens, prompt_tokens - cached)
    written_price = cache_write_price if cache_write_price is not None else prompt_price
    prompt_cost = (
        (prompt_tokens - cached - written) * prompt_price
        + cached * cache_price
        + written * written_price
        + endpoint.price("request")
        + media * endpoint.price("image")
    )
    saving = cached * (prompt_price - cache_price) - written * (written_price - prompt_price)
    completion = sum(completion_tokens)
    reasoning = sum(reasoning_tokens)
    completion_cost = (completion - reasoning) * completion_price + reasoning * reasoning_price
    return Usage(
        prompt_tokens,
        completion,
        reasoning,
        cached,
        media,
        prompt_cost + completion_cost,
        prompt_cost,
        completion_cost,
        is_byok,
        written,
        saving,
    )


def usage_block(u: Usage, profile: Profile, include_cost: bool) -> dict[str, Any]:
    """The ``usage`` object; cost fields only when ``include_cost`` (always in the current API). Shared by the
    requests that account alike (:func:`account` gives them the same :class:`Usage`): never changed once made."""
    key = (id(u), id(profile), include_cost)
    hit = _BLOCKS.get(key, u, profile)
    return hit if hit is not None else _BLOCKS.put(key, _usage_block(u, profile, include_cost), u, profile)


def _usage_block(u: Usage, profile: Profile, include_cost: bool) -> dict[str, Any]:
    block: dict[str, Any] = {
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.total_tokens,
    }
    if include_cost:
        block["cost"] = u.cost
        block["is_byok"] = u.is_byok
    block["prompt_tokens_details"] = {"cached_tokens": u.cached_tokens}
    if include_cost:
        if not profile.usage_details:
            block["cost_details"] = {"upstream_inference_cost": u.upstream_cost}
        else:
            details = {"cache_write_tokens": u.cache_write_tokens, "audio_tokens": 0, "video_tokens": 0}
            block["prompt_tokens_details"].update(details)
            block["cost_details"] = {
                "upstream_inference_cost": u.upstream_cost,
                "upstream_inference_prompt_cost": float(u.prompt_cost.quantize(_Q)),
                "upstream_inference_completions_cost": float(u.completion_cost.quantize(_Q)),
            }
    block["completion_tokens_details"] = {"reasoning_tokens": u.reasoning_tokens}
    if profile.usage_details:
        block["completion_tokens_details"].update({"image_tokens": 0, "audio_tokens": 0})
    return block


def max_cost(endpoint: Endpoint, prompt_tokens: int, max_tokens: int, is_byok: bool = False) -> Decimal:
    """The most a request can cost (prompt plus ``max_tokens`` of output)."""
    cost = (
        prompt_tokens * endpoint.price("prompt") + max_tokens * endpoint.price("completion") + endpoint.price("request")
    )
    return cost * BYOK_FEE if is_byok else cost


def affordable_tokens(endpoint: Endpoint, prompt_tokens: int, balance: float, is_byok: bool = False) -> int:
    """How many output tokens ``balance`` can pay for after the prompt (OpenRouter's 402 "can only afford N")."""
    price = endpoint.price("completion") * (BYOK_FEE if is_byok else 1)
    left = Decimal(str(balance)) - max_cost(endpoint, prompt_tokens, 0, is_byok)
    if price <= 0:
        return 0 if left < 0 else 2**31 - 1
    return max(0, int((left / price).to_integral_value(ROUND_FLOOR)))
