"""The read endpoints: models, model endpoints, providers, key, credits and generation stats."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mockrouter import errors
from mockrouter.calls import Reply
from mockrouter.engine.auth import label
from mockrouter.engine.documents import Served, endpoints_doc, model_doc, provider_doc
from mockrouter.engine.generation import Choice, Prompt
from mockrouter.engine.planner import ROUTING_VARIANTS
from mockrouter.engine.simulation import Outcome
from mockrouter.engine.usage import Usage

if TYPE_CHECKING:
    from mockrouter.engine.core import Mock, _Ctx

__all__ = ["Catalogue"]


class Catalogue:
    def __init__(self, mock: Mock) -> None:
        self.mock = mock
        self._cache: dict[tuple[str, ...], bytes] = {}  # the catalogue is immutable: render each answer once

    def _cached(self, key: tuple[str, ...], build: Callable[[], Any]) -> Reply:
        raw = self._cache.get(key)
        if raw is None:
            raw = json.dumps(build(), separators=(",", ":"), ensure_ascii=False).encode()
            if len(self._cache) < 512:
                self._cache[key] = raw
        return Reply(200, raw=raw)

    def handle(self, operation: str, ctx: _Ctx, **params: str) -> Reply:
        method = getattr(self, f"op_{operation}", None)
        if method is None:
            raise errors.not_found(f"Unknown operation {operation}")
        reply: Reply = method(ctx, **params)
        return reply

    def _ok(self, body: Any) -> Reply:
        return Reply(200, body)

    def op_not_found(self, ctx: _Ctx) -> Reply:
        raise errors.not_found(f"Not Found: {ctx.call.method} {ctx.call.path}")

    def op_method_not_allowed(self, ctx: _Ctx, allowed: str) -> Reply:
        err = errors.MockRouterError(
            405, f"Method {ctx.call.method} not allowed on {ctx.call.path}", {"allowed": allowed}
        )
        err.headers["Allow"] = allowed
        raise err

    def op_openapi(self, ctx: _Ctx) -> Reply:
        from mockrouter.contract.schemas import openapi_bytes

        return Reply(200, raw=openapi_bytes())

    # ------------------------------------------------------------------ models

    def op_models(self, ctx: _Ctx) -> Reply:
        key = ("models", self.mock.profile, *sorted(f"{k}={v}" for k, v in ctx.call.query.items()))
        return self._cached(key, lambda: self._models(ctx))

    def _models(self, ctx: _Ctx) -> Any:
        q = ctx.call.query
        models = list(self.mock.world.models.values())
        wanted = [p for p in (q.get("supported_parameters") or "").split(",") if p]
        if wanted:
            models = [m for m in models if all(p in m.supported_parameters for p in wanted)]
        if q.get("category"):
            models = [m for m in models if q["category"].lower() in m.categories]
        profile = self.mock.profile
        if profile != "launch":
            out_mod = q.get("output_modalities", "text")
            if out_mod != "all":
                wanted_out = set(out_mod.split(","))
                models = [m for m in models if wanted_out & set(m.output_modalities)]
            if q.get("input_modalities"):
                wanted_in = set(q["input_modalities"].split(","))
                models = [m for m in models if wanted_in <= set(m.input_modalities)]
        models.sort(key=lambda m: (-m.created, m.id))
        docs = [model_doc(m, profile) for m in models]
        if profile == "launch":
            return {"data": docs}
        total = len(docs)
        offset, limit = _int(q.get("offset"), 0, "offset"), _int(q.get("limit"), None, "limit")
        page = docs[offset:] if limit is None else docs[offset : offset + limit]
        nxt = None
        if limit is not None and offset + limit < total:
            nxt = f"/api/v1/models?offset={offset + limit}&limit={limit}"
        return {"data": page, "total_count": total, "links": {"next": nxt}}

    def op_model_endpoints(self, ctx: _Ctx, author: str, slug: str) -> Reply:
        model_id = f"{author}/{slug}"
        base, _, variant = model_id.partition(":")
        model = self.mock.world.models.get(model_id) or (
            self.mock.world.models.get(base) if variant in ROUTING_VARIANTS else None
        )
        if model is None:
            raise errors.not_found(f"No model found with id {model_id}")
        return self._cached(("endpoints", self.mock.profile, model.id), lambda: endpoints_doc(model, self.mock.profile))

    def op_providers(self, ctx: _Ctx) -> Reply:
        providers = sorted(self.mock.world.providers.values(), key=lambda p: p.slug)
        return self._cached(
            ("providers", self.mock.profile), lambda: {"data": [provider_doc(p, self.mock.profile) for p in providers]}
        )

    # ------------------------------------------------------------------ key and credits

    def op_key(self, ctx: _Ctx) -> Reply:
        ks = self.mock.authenticate(ctx)
        key = ks.key
        now = dt.datetime.now(dt.UTC).timestamp()
        data: dict[str, Any] = {
            "label": label(key.key, key.name),
            "limit": key.limit,
            "limit_reset": key.limit_reset,
            "limit_remaining": ks.limit_remaining,
            "include_byok_in_limit": key.include_byok_in_limit,
            "usage": round(ks.usage, 12),
            "usage_daily": ks.usage_since(86_400, now),
            "usage_weekly": ks.usage_since(7 * 86_400, now),
            "usage_monthly": ks.usage_since(30 * 86_400, now),
            "byok_usage": round(ks.byok_usage, 12),
            "byok_usage_daily": ks.usage_since(86_400, now, byok=True),
            "byok_usage_weekly": ks.usage_since(7 * 86_400, now, byok=True),
            "byok_usage_monthly": ks.usage_since(30 * 86_400, now, byok=True),
            "is_free_tier": not ks.account.purchased,
            "is_provisioning_key": key.management,
            "rate_limit": {"requests": -1, "interval": "10s", "note": "This field is deprecated and safe to ignore."},
        }
        if self.mock.profile != "launch":
            d = self.mock.world.defaults
            per_day = d.free_requests_per_day or (1000 if ks.account.purchased else 50)
            used = sum(1 for t in ks.account.free_day if now - t < 86_400)
            budget = None
            if key.limit is not None:
                budget = {"budget_id": None, "guardrail_id": None, "include_byok": key.include_byok_in_limit,
                          "limit_usd": key.limit, "remaining_usd": ks.limit_remaining, "reset_interval": key.limit_reset,
                          "resets_at": None, "scope": "api_key", "spend_usd": round(ks.usage, 12)}  # fmt: skip
            data.update({
                "is_management_key": key.management, "expires_at": key.expires_at, "creator_user_id": None,
                "organization_id": None, "workspace_id": None, "allowed_data_regions": ["global"],
                "budgets": [budget] if budget else [], "effective_budget": budget,
                "free_model_daily_requests": {"limit": per_day, "used": used, "remaining": max(0, per_day - used)},
            })  # fmt: skip
        return self._ok({"data": data})

    def op_credits(self, ctx: _Ctx) -> Reply:
        ks = self.mock.authenticate(ctx)
        if self.mock.profile != "launch" and not ks.key.management:
            raise errors.management_only()
        return self._ok({"data": {"total_credits": ks.account.credits, "total_usage": round(ks.account.usage, 12)}})

    # ------------------------------------------------------------------ generation

    def op_generation(self, ctx: _Ctx) -> Reply:
        ks = self.mock.authenticate(ctx)
        gen_id = ctx.call.query.get("id")
        if not gen_id:
            raise errors.bad_request("Missing required query parameter: id", param="id")
        record = self.mock.state.generation(gen_id)
        if record is None or record.get("_account") != ks.account.id:
            raise errors.not_found(f"Generation {gen_id} not found")
        data = {k: v for k, v in record.items() if not k.startswith("_")}
        if self.mock.profile == "launch":
            for k in _ERA_B_GENERATION:
                data.pop(k, None)
        return self._ok({"data": data})

    def generation_record(
        self,
        ctx: _Ctx,
        body: dict[str, Any],
        served: Served,
        choices: Sequence[Choice],
        usage: Usage,
        outcome: Outcome,
        stream: bool,
        prompt: Prompt,
    ) -> dict[str, Any]:
        """The record's template: ``memo.fill_record`` adds the id, the time and the request's headers."""
        attempt = outcome.served
        assert attempt is not None
        latency = round(outcome.timeline.ttft_ms)
        gen_time = round(
            sum(c.completion_tokens + c.reasoning_tokens for c in choices) * 1000 / outcome.timeline.tokens_per_second
        )
        responses = [
            {"id": None, "endpoint_id": f.attempt.endpoint.tag, "model_permaslug": f.attempt.model.canonical_slug,
             "provider_name": f.attempt.provider, "status": f.error.status, "latency": round(f.latency_ms),
             "is_byok": f.attempt.byok}
            for f in outcome.failures
        ] + [{"id": f"chatcmpl-{served.id[-20:]}", "endpoint_id": attempt.endpoint.tag,
              "model_permaslug": attempt.model.canonical_slug, "provider_name": attempt.provider, "status": 200,
              "latency": latency, "is_byok": attempt.byok}]  # fmt: skip
        return {
            "_account": ctx.ks.account.id if ctx.ks else None,
            "id": served.id,
            "upstream_id": f"chatcmpl-{served.id[-20:]}",
            "total_cost": usage.cost,
            "cache_discount": None,
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
            "api_type": "completions",
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


_ERA_B_GENERATION = ("router", "provider_responses", "http_referer", "user_agent", "app_title", "service_tier", "data_region",
                     "session_id", "request_id", "num_fetches", "web_search_engine", "preset_id", "workspace_id",
                     "response_cache_source_id")  # fmt: skip


def _int(raw: str | None, default: int | None, name: str) -> Any:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.bad_request(f"Invalid query parameter {name}: expected an integer") from None
    if value < 0 or (name == "limit" and value == 0):
        raise errors.bad_request(f"Invalid query parameter {name}: must be positive")
    return value
