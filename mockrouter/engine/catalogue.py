"""The read operations: models, model endpoints, providers, the calling key, credits and generation records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from mockrouter import errors
from mockrouter.calls import Reply
from mockrouter.contract.openapi import document_bytes
from mockrouter.engine.auth import label
from mockrouter.engine.catalogue_documents import endpoint_doc, endpoints_doc, model_doc, provider_doc
from mockrouter.engine.handlers import Engine, OpRequest, handles
from mockrouter.engine.keys import usage_fields
from mockrouter.engine.planner import ROUTING_VARIANTS
from mockrouter.engine.records import ERA_B_FIELDS
from mockrouter.kinds import Profile
from mockrouter.state.protocol import AccountState
from mockrouter.world import Account, Defaults, Model

__all__ = ["free_per_day"]

#: the privacy settings of an account the world does not declare (a key of its own): every endpoint
_ANY_POLICY = Account("", 0.0)


def free_per_day(defaults: Defaults, account: AccountState) -> int:
    """Free-model requests a day: the world's setting, else OpenRouter's 1000 with credits bought, 50 without."""
    return defaults.free_requests_per_day or (1000 if account.purchased else 50)


@handles("getOpenAPI")
def openapi(engine: Engine, req: OpRequest) -> Reply:
    return Reply(200, raw=document_bytes())


# ---------------------------------------------------------------------- models


def _filtered(
    models: Iterable[Model],
    profile: Profile,
    *,
    supported: str | None = None,
    category: str | None = None,
    output: str | None = None,
    inputs: str | None = None,
) -> list[Model]:
    """The models the filters of ``/models`` (and ``/models/count``) keep, newest first."""
    kept = [m for m in models if profile.embeddings or "embeddings" not in m.output_modalities]
    wanted = [p for p in (supported or "").split(",") if p]
    if wanted:
        kept = [m for m in kept if all(p in m.supported_parameters for p in wanted)]
    if category:
        kept = [m for m in kept if category.lower() in m.categories]
    if profile.models_paginated:
        out_mod = output or "text"
        if out_mod != "all":
            wanted_out = set(out_mod.split(","))
            kept = [m for m in kept if wanted_out & set(m.output_modalities)]
        if inputs:
            wanted_in = set(inputs.split(","))
            kept = [m for m in kept if wanted_in <= set(m.input_modalities)]
    kept.sort(key=lambda m: (-m.created, m.id))
    return kept


@handles("listModels")
def list_models(engine: Engine, req: OpRequest) -> Reply:
    params = req.params
    key = (
        ("models", engine.profile.name, *sorted(f"{k}={v}" for k, v in params.items()))
        if params
        else ("models", engine.profile.name)
    )
    return engine.cached(key, lambda: _models(engine, req))


def _models(engine: Engine, req: OpRequest, among: Iterable[Model] | None = None) -> Any:
    """The ``/models`` list shape: ``among`` (default: every model) as the query's filters and page keep them."""
    profile = engine.profile
    q = req.params
    models = _filtered(
        engine.world.models.values() if among is None else among,
        profile,
        supported=q.get("supported_parameters"),
        category=q.get("category"),
        output=q.get("output_modalities"),
        inputs=q.get("input_modalities"),
    )
    docs = [model_doc(m, profile) for m in models]
    return _listing(profile, docs, req.op.url, req.params.get("offset") or 0, req.params.get("limit"))


def _listing(profile: Profile, docs: list[Any], url: str, offset: int = 0, limit: int | None = None) -> Any:
    """A model list as the profile shapes it: ``{data}`` (launch), or a page with ``total_count`` and the next
    page's link."""
    if not profile.models_paginated:
        return {"data": docs}
    total = len(docs)
    page = docs[offset:] if limit is None else docs[offset : offset + limit]
    nxt = f"{url}?offset={offset + limit}&limit={limit}" if limit is not None and offset + limit < total else None
    return {"data": page, "total_count": total, "links": {"next": nxt}}


@handles("listEmbeddingsModels")
def list_embeddings_models(engine: Engine, req: OpRequest) -> Reply:
    profile = engine.profile

    def build() -> Any:
        docs = [model_doc(m, profile) for m in _filtered(engine.world.models.values(), profile, output="embeddings")]
        return _listing(profile, docs, req.op.url)

    return engine.cached(("embeddings-models", profile.name), build)


@handles("countModels")
def count_models(engine: Engine, req: OpRequest) -> Any:
    models = _filtered(engine.world.models.values(), engine.profile, output=req.params.get("output_modalities"))
    return {"data": {"count": len(models)}}


@handles("listModelsUser")
def list_models_user(engine: Engine, req: OpRequest) -> Any:
    """``/models`` as the caller's account may use it: models with an endpoint its privacy settings allow."""
    account = engine.world.accounts.get(req.ks.account.id) or _ANY_POLICY
    allowed = [m for m in engine.world.models.values() if any(account.allows(e) for e in m.endpoints)]
    return _models(engine, req, allowed)


def _model(engine: Engine, req: OpRequest) -> Model:
    """The model of the ``{author}/{slug}`` path parameters (a routing variant names its base model)."""
    model_id = f"{req.params['author']}/{req.params['slug']}"
    base, _, variant = model_id.partition(":")
    models = engine.world.models
    model = models.get(model_id) or (models.get(base) if variant in ROUTING_VARIANTS else None)
    if model is None:
        raise errors.not_found(f"No model found with id {model_id}")
    return model


@handles("getModel")
def get_model(engine: Engine, req: OpRequest) -> Reply:
    found = _model(engine, req)
    return engine.cached(("model", engine.profile.name, found.id), lambda: {"data": model_doc(found, engine.profile)})


@handles("listModelEndpoints")
def list_model_endpoints(engine: Engine, req: OpRequest) -> Reply:
    found = _model(engine, req)
    return engine.cached(("endpoints", engine.profile.name, found.id), lambda: endpoints_doc(found, engine.profile))


@handles("listEndpointsZdr")
def list_endpoints_zdr(engine: Engine, req: OpRequest) -> Reply:
    """Every Zero Data Retention endpoint of the catalogue, models by id."""

    def build() -> Any:
        models = sorted(engine.world.models.values(), key=lambda m: m.id)
        profile = engine.profile
        return {"data": [endpoint_doc(m, e, profile) for m in models for e in m.endpoints if e.data_policy.zdr]}

    return engine.cached(("zdr", engine.profile.name), build)


@handles("listProviders")
def list_providers(engine: Engine, req: OpRequest) -> Reply:
    providers = sorted(engine.world.providers.values(), key=lambda p: p.slug)
    profile = engine.profile
    return engine.cached(("providers", profile.name), lambda: {"data": [provider_doc(p, profile) for p in providers]})


# ---------------------------------------------------------------------- key and credits


@handles("getKey")
def get_key(engine: Engine, req: OpRequest) -> Any:
    ks = req.ks
    key = ks.key
    now = dt.datetime.now(dt.UTC).timestamp()
    data: dict[str, Any] = {
        "label": label(key.key, key.name),
        "limit": key.limit,
        "limit_reset": key.limit_reset,
        "limit_remaining": ks.limit_remaining,
        "include_byok_in_limit": key.include_byok_in_limit,
        **usage_fields(ks, now),
        "is_free_tier": not ks.account.purchased,
        "is_provisioning_key": key.management,
        "rate_limit": {"requests": -1, "interval": "10s", "note": "This field is deprecated and safe to ignore."},
    }
    if engine.profile.key_details:
        per_day = free_per_day(engine.world.defaults, ks.account)
        used = sum(1 for t in ks.account.free_day if now - t < 86_400)
        budget = None
        if key.limit is not None:
            budget = {
                "budget_id": None,
                "guardrail_id": None,
                "include_byok": key.include_byok_in_limit,
                "limit_usd": key.limit,
                "remaining_usd": ks.limit_remaining,
                "reset_interval": key.limit_reset,
                "resets_at": None,
                "scope": "api_key",
                "spend_usd": round(ks.usage, 12),
            }
        data.update(
            {
                "is_management_key": key.management,
                "expires_at": key.expires_at,
                "creator_user_id": None,
                "organization_id": None,
                "workspace_id": None,
                "allowed_data_regions": ["global"],
                "budgets": [budget] if budget else [],
                "effective_budget": budget,
                "free_model_daily_requests": {"limit": per_day, "used": used, "remaining": max(0, per_day - used)},
            }
        )
    return {"data": data}


@handles("getCredits")
def get_credits(engine: Engine, req: OpRequest) -> Any:
    ks = req.ks
    if engine.profile.credits_management_only and not ks.key.management:
        raise errors.management_only()
    return {"data": {"total_credits": ks.account.credits, "total_usage": round(ks.account.usage, 12)}}


# ---------------------------------------------------------------------- generation


def _record(engine: Engine, req: OpRequest) -> Mapping[str, Any]:
    """The generation record of the ``id`` parameter, when the caller's account made it."""
    gen_id = req.params["id"]
    record = engine.state.generation(gen_id)
    if record is None or record.get("_account") != req.ks.account.id:
        raise errors.not_found(f"Generation {gen_id} not found")
    return record


@handles("getGeneration")
def get_generation(engine: Engine, req: OpRequest) -> Any:
    record = _record(engine, req)
    data = {k: v for k, v in record.items() if not k.startswith("_")}
    if not engine.profile.generation_details:
        for k in ERA_B_FIELDS:
            data.pop(k, None)
    return {"data": data}


@handles("getGenerationContent")
def get_generation_content(engine: Engine, req: OpRequest) -> Any:
    """The stored prompt and completion; a stream that broke stored its failure."""
    record = _record(engine, req)
    error = None
    if record.get("finish_reason") == "error":
        error = {"message": None, "previous_errors": [], "provider_name": record["provider_name"], "raw": None}
        error["status"] = None
    return {"data": {"input": record["_input"], "output": record["_output"], "error": error}}
