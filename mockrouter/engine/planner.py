"""Choosing who serves a request: a pure function from (request, world, account snapshot, seed) to a
:class:`Plan`, an ordered list of provider attempts across the requested models.

Rules (contract §9): BYOK endpoints first (within what ``order``/``only``/``ignore``/``allow_fallbacks``
allow: a BYOK key never adds a provider the request ruled out); then ``provider.order`` (disables load balancing) or
``provider.sort`` / ``:nitro`` / ``:floor``, else load balancing among stable endpoints weighted by the
inverse square of price (seeded), unstable ones last. ``allow_fallbacks: false`` keeps only the primary
(or the ``order`` list). Filters: ``only``, ``ignore``, ``quantizations``, ``data_collection``, ``zdr``,
``max_price``, ``require_parameters``, tools, context length. Models from ``models[]`` follow in order.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import field
from decimal import Decimal
from typing import Any

from mockrouter import errors, seeding
from mockrouter.engine.tokens import count_prompt
from mockrouter.errors import MockRouterError
from mockrouter.seeding import derive
from mockrouter.state.protocol import Snapshot
from mockrouter.values import value
from mockrouter.world import Endpoint, Model, World

__all__ = ["AUTO", "Attempt", "Plan", "plan", "resolve"]

AUTO = "openrouter/auto"
ROUTING_VARIANTS = ("nitro", "floor", "online", "thinking", "extended", "exacto")
#: request fields that ``require_parameters`` turns into hard filters
PARAMETERS = tuple(
    "temperature top_p top_k min_p top_a frequency_penalty presence_penalty repetition_penalty max_tokens logit_bias "
    "logprobs top_logprobs seed response_format stop tools tool_choice parallel_tool_calls include_reasoning reasoning "
    "max_completion_tokens verbosity reasoning_effort".split()
)
_ALIASES = {"max_completion_tokens": "max_tokens", "reasoning_effort": "reasoning"}


@value
class Attempt:
    model: Model
    endpoint: Endpoint
    byok: bool = False

    @property
    def provider(self) -> str:
        return self.endpoint.provider_name

    def describe(self) -> dict[str, Any]:
        return {"model": self.model.id, "provider": self.provider, "tag": self.endpoint.tag, "byok": self.byok}


@value
class Plan:
    requested: str
    attempts: tuple[Attempt, ...] = ()
    #: models that could not be planned at all, with their error, in request order
    model_errors: tuple[tuple[str, MockRouterError], ...] = ()
    router: str | None = None
    strategy: str = "load-balance"
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def error(self) -> MockRouterError | None:
        """The error to answer with when nothing can be attempted (the last model's)."""
        if self.attempts:
            return None
        return self.model_errors[-1][1] if self.model_errors else errors.no_endpoints(self.requested)


def _split(model_id: str) -> tuple[str, str | None]:
    base, _, variant = model_id.partition(":")
    return (base, variant) if variant in ROUTING_VARIANTS else (model_id, None)


def resolve(model_id: str, world: World) -> tuple[Model, str | None]:
    """A model id (with a routing variant such as ``:nitro``) -> (catalogue model, variant)."""
    base, variant = _split(model_id)
    model = world.models.get(base)
    if model is None:
        raise errors.invalid_model(model_id)
    return model, variant


def _price(e: Endpoint) -> float:
    return e.unit_price


def _stable(e: Endpoint, snap: Snapshot) -> bool:
    r = e.reliability
    if r.down or e.status < 0 or (snap.down and (e.provider.slug in snap.down or e.tag in snap.down)):
        return False
    return not r.outages or not any(o.start_s <= snap.elapsed_s < o.end_s for o in r.outages)


def _refs(values: Sequence[str] | None) -> list[str]:
    return [v.lower() for v in values or ()]


def _matches(e: Endpoint, ref: str) -> bool:
    """Provider refs match by slug, tag or display name; a base slug matches all its variants."""
    return ref in (e.tag.lower(), e.provider.slug, e.provider.name.lower()) or e.tag.lower().startswith(ref + "/")


def _filter(model: Model, body: Mapping[str, Any], snap: Snapshot, prompt_tokens: int) -> list[tuple[Endpoint, bool]]:
    prefs: Mapping[str, Any] = body.get("provider") or {}
    byok = snap.byok
    if model.byok_required and not any(e.byok and e.provider.slug in byok for e in model.endpoints):
        raise errors.byok_required(model.byok_required)
    candidates: list[tuple[Endpoint, bool]] = []
    for e in model.endpoints:
        key = byok.get(e.provider.slug) if e.byok else None
        if key is not None:
            candidates.append((e, True))
        if e.shared and not model.byok_required and not (key is not None and key.always_use):
            candidates.append((e, False))
    if not candidates:
        raise errors.no_endpoints(model.id)
    if prefs:
        candidates = _preferred(model, prefs, candidates)
    if body.get("tools") or body.get("tool_choice") not in (None, "none"):
        tooled = [(e, b) for e, b in candidates if e.supports("tools")]
        if not tooled:
            raise errors.no_tool_endpoints()
        candidates = tooled
    if prefs and prefs.get("require_parameters"):
        wanted = {_ALIASES.get(p, p) for p in PARAMETERS if body.get(p) is not None}
        candidates = [(e, b) for e, b in candidates if all(e.supports(p) for p in wanted)]
        if not candidates:
            raise errors.MockRouterError(
                404, f"No endpoints found that can handle the requested parameters for {model.id}."
            )
    wanted_out = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    fits = [
        (e, b)
        for e, b in candidates
        if prompt_tokens + min(wanted_out, e.max_completion_tokens or wanted_out) <= e.context_length
    ]
    if not fits:
        biggest = max(e.context_length for e, _ in candidates)
        raise errors.bad_request(
            f"This endpoint's maximum context length is {biggest} tokens. However, you requested about "
            f"{prompt_tokens + wanted_out} tokens ({prompt_tokens} of text input, {wanted_out} in the output). "
            'Please reduce the length of either one, or use the "middle-out" transform to compress your prompt '
            "automatically.",
            error_type="context_length_exceeded",
        )
    return fits


def _preferred(
    model: Model, prefs: Mapping[str, Any], candidates: list[tuple[Endpoint, bool]]
) -> list[tuple[Endpoint, bool]]:
    """The candidates the request's ``provider`` preferences allow (``only``, ``ignore``, ``quantizations``, data
    policy, ``max_price``)."""
    only, ignore = _refs(prefs.get("only")), _refs(prefs.get("ignore"))
    if only or ignore:
        kept = [
            (e, b)
            for e, b in candidates
            if (not only or any(_matches(e, r) for r in only)) and not any(_matches(e, r) for r in ignore)
        ]
        if not kept:
            raise errors.no_allowed_providers(sorted({e.tag for e, _ in candidates}), list(prefs.get("only") or []))
        candidates = kept
    quants = prefs.get("quantizations")
    if quants:
        candidates = [(e, b) for e, b in candidates if (e.quantization or "unknown") in quants]
        if not candidates:
            raise errors.no_endpoints(model.id)
    if prefs.get("data_collection") == "deny" or prefs.get("zdr"):
        candidates = [
            (e, b)
            for e, b in candidates
            if not (prefs.get("data_collection") == "deny" and e.data_policy.training)
            and not (prefs.get("zdr") and not e.data_policy.zdr)
        ]
        if not candidates:
            raise errors.MockRouterError(
                404, "No endpoints found matching your data policy. Configure: https://openrouter.ai/settings/privacy"
            )
    max_price = prefs.get("max_price") or {}
    if max_price:

        def affordable(e: Endpoint) -> bool:
            return all(
                e.price(k) * 1_000_000 <= Decimal(str(max_price[k]))
                for k in ("prompt", "completion", "request", "image")
                if k in max_price
            )

        candidates = [(e, b) for e, b in candidates if affordable(e)]
        if not candidates:
            raise errors.MockRouterError(404, f"No endpoints found for {model.id} that match your max_price.")
    return candidates


def _sort_key(sort: str) -> Any:
    if sort == "price":
        return lambda eb: (_price(eb[0]), eb[0].tag)
    if sort == "throughput":
        return lambda eb: (-eb[0].latency.tokens_per_second, eb[0].tag)
    return lambda eb: (eb[0].latency.ttft_ms, eb[0].tag)


def _order(
    model: Model,
    variant: str | None,
    cands: list[tuple[Endpoint, bool]],
    body: Mapping[str, Any],
    snap: Snapshot,
    rnd: random.Random,
) -> tuple[list[tuple[Endpoint, bool]], str]:
    prefs: Mapping[str, Any] = body.get("provider") or {}
    byok_first = [c for c in cands if c[1]]
    shared = [c for c in cands if not c[1]]
    sort = prefs.get("sort")
    if isinstance(sort, Mapping):
        sort = sort.get("by")
    sort = sort or {"nitro": "throughput", "floor": "price"}.get(variant or "")
    order = _refs(prefs.get("order"))
    if order and prefs.get("allow_fallbacks") is False:
        # BYOK moves a provider forward within what the order allows, never outside it
        byok_first = [c for c in byok_first if any(_matches(c[0], r) for r in order)]
    if order:
        listed = [c for r in order for c in shared if _matches(c[0], r)]
        listed = list(dict.fromkeys(listed))
        rest = [c for c in shared if c not in listed]
        shared = listed + (
            [] if prefs.get("allow_fallbacks") is False else sorted(rest, key=_sort_key(sort or "price"))
        )
        strategy = "order"
    elif sort:
        shared = sorted(shared, key=_sort_key(sort))
        strategy = f"sort:{sort}"
    else:
        pool: list[tuple[Endpoint, bool]] = []
        unstable: list[tuple[Endpoint, bool]] = []
        for c in shared:
            (pool if _stable(c[0], snap) else unstable).append(c)
        picked: list[tuple[Endpoint, bool]] = []
        weights = [e.balance_weight for e, _ in pool]
        while pool:
            # what ``rnd.choices(range(len(pool)), weights)[0]`` picks, with the same one draw, without its overhead
            cumulative = list(itertools.accumulate(weights))
            choice = bisect.bisect(cumulative, rnd.random() * cumulative[-1], 0, len(pool) - 1)
            picked.append(pool.pop(choice))
            weights.pop(choice)
        stuck = snap.sticky.get(model.id)
        if stuck is not None:  # a live prompt cache: the provider that holds it serves again (sticky routing)
            picked.sort(key=lambda c: c[0].tag != stuck)
        shared = picked + unstable
        strategy = "load-balance" if stuck is None else "sticky"
    if prefs.get("allow_fallbacks") is False and not order:
        shared = shared[:1]
    return byok_first + shared, strategy


def _auto_choice(body: Mapping[str, Any], world: World, prompt: int, seed: int, fp: str) -> str:
    """``openrouter/auto``: a deterministic pick among capable, non-BYOK, paid text models."""
    names = []
    for m in world.models.values():
        if m.byok_required or m.variant == "free" or "text" not in m.output_modalities or not m.endpoints:
            continue
        if body.get("tools") and not any(e.supports("tools") for e in m.endpoints):
            continue
        if prompt > m.context_length:
            continue
        names.append(m.id)
    allowed = next(
        (
            p.get("allowed_models")
            for p in body.get("plugins") or ()
            if isinstance(p, Mapping) and p.get("id") == "auto-router"
        ),
        None,
    )
    if allowed:
        names = [n for n in names if any(_glob(a, n) for a in allowed)] or names
    if not names:
        raise errors.no_endpoints(AUTO)
    names.sort()
    return names[derive(seed, fp, "auto") % len(names)]


def _glob(pattern: str, value: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


def plan(
    body: Mapping[str, Any],
    world: World,
    snap: Snapshot,
    seed: int = 0,
    fingerprint: str = "",
    prompt_tokens: int | None = None,
    rnd: random.Random | None = None,
) -> Plan:
    """Plan the provider attempts for a chat/completions request body. Load balancing draws from ``rnd``, by
    default the request's own routing stream (``seeding.rng(seed, fingerprint, "routing")``)."""
    requested = body.get("model") or AUTO
    fallbacks = [m for m in body.get("models") or () if isinstance(m, str)]
    model_ids = list(dict.fromkeys([requested, *fallbacks] if body.get("model") else (fallbacks or [requested])))
    rnd = rnd or seeding.rng(seed, fingerprint, "routing")
    attempts: list[Attempt] = []
    model_errors: list[tuple[str, MockRouterError]] = []
    router = None
    strategy = "load-balance"
    if prompt_tokens is None:
        prompt_tokens = count_prompt(body).tokens
    for model_id in model_ids:
        try:
            if model_id == AUTO:
                router = AUTO
                model_id = _auto_choice(body, world, prompt_tokens, seed, fingerprint)
            model, variant = resolve(model_id, world)
            ordered, strategy_m = _order(model, variant, _filter(model, body, snap, prompt_tokens), body, snap, rnd)
            if not attempts:
                strategy = strategy_m
            attempts.extend(Attempt(model, e, b) for e, b in ordered)
        except MockRouterError as exc:
            model_errors.append((model_id, exc))
    return Plan(requested, tuple(attempts), tuple(model_errors), router, strategy)
