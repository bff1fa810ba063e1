"""Catalogue documents as plain dicts: models, a model's endpoints, providers (``engine.catalogue`` serves them).

Pure builders (no HTTP). Field order follows what OpenRouter sends on the wire (contract §10-§13).
"""

from __future__ import annotations

from typing import Any

from mockrouter.kinds import Profile
from mockrouter.world import Endpoint, Model, Provider

__all__ = ["MODALITY_KINDS", "endpoint_doc", "endpoints_doc", "model_doc", "provider_doc"]


#: the modalities ``architecture.modality`` is built from (``input_modalities`` also lists ``file``)
MODALITY_KINDS = ("text", "image", "audio", "video")


def _modality(model: Model) -> str:
    def side(names: tuple[str, ...]) -> str:
        return "+".join(n for n in names if n in MODALITY_KINDS)

    return f"{side(model.input_modalities)}->{side(model.output_modalities)}"


def _architecture(model: Model) -> dict[str, Any]:
    return {
        "modality": _modality(model),
        "input_modalities": list(model.input_modalities),
        "output_modalities": list(model.output_modalities),
        "tokenizer": model.tokenizer,
        "instruct_type": model.instruct_type,
    }


def model_doc(model: Model, profile: Profile) -> dict[str, Any]:
    top = model.top_endpoint()
    doc: dict[str, Any] = {
        "id": model.id,
        "canonical_slug": model.canonical_slug,
        "hugging_face_id": model.hugging_face_id,
        "name": model.name,
        "created": model.created,
        "description": model.description,
        "context_length": model.context_length,
        "architecture": _architecture(model),
        "pricing": dict(model.pricing),
        "top_provider": {
            "context_length": top.context_length if top else model.context_length,
            "max_completion_tokens": top.max_completion_tokens if top else None,
            "is_moderated": model.is_moderated,
        },
        "per_request_limits": None,
        "supported_parameters": list(model.supported_parameters),
        "default_parameters": dict(model.default_parameters) if model.default_parameters is not None else None,
    }
    if profile.catalogue_details:
        doc["expiration_date"] = model.expiration_date
        doc["knowledge_cutoff"] = model.knowledge_cutoff
        doc["supported_voices"] = None
        doc["links"] = {"details": f"/api/v1/models/{model.id}/endpoints"}
        if model.reasoning != "none":
            r = model.reasoning_defaults
            doc["reasoning"] = {
                "mandatory": r.mandatory,
                "default_enabled": r.default_enabled,
                "default_effort": r.default_effort,
                "supported_efforts": list(r.supported_efforts),
            }
    return doc


def endpoint_doc(model: Model, e: Endpoint, profile: Profile) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": f"{e.provider_name} | {model.canonical_slug}",
        "model_name": model.name,
        "context_length": e.context_length,
        "pricing": {**e.pricing, "discount": 0},
        "provider_name": e.provider_name,
        "tag": e.tag,
        "quantization": e.quantization,
        "max_completion_tokens": e.max_completion_tokens,
        "max_prompt_tokens": e.max_prompt_tokens,
        "supported_parameters": list(e.supported_parameters),
        "status": -5 if e.reliability.down else e.status,
        "uptime_last_30m": 0.0 if e.reliability.down else e.uptime_last_30m,
        "supports_implicit_caching": e.supports_implicit_caching,
    }
    if profile.catalogue_details:
        lat, tps = e.latency.ttft_ms, e.latency.tokens_per_second
        p90 = e.latency.ttft_p90_ms or lat
        doc["model_id"] = model.canonical_slug
        doc["native_tools"] = {name: {"type": kind} for name, kind in e.native_tools.items()}
        doc["service_tier"] = e.service_tier
        doc["supports_diarization"] = e.supports_diarization
        doc["supports_tool_choice"] = dict(e.tool_choice_support)
        doc["uptime_last_5m"] = doc["uptime_last_30m"]
        doc["uptime_last_1d"] = doc["uptime_last_30m"]
        doc["latency_last_30m"] = {"p50": lat, "p75": round((lat + p90) / 2, 1), "p90": p90, "p99": round(p90 * 1.5, 1)}
        doc["throughput_last_30m"] = {
            "p50": tps,
            "p75": round(tps * 0.9, 1),
            "p90": round(tps * 0.8, 1),
            "p99": round(tps * 0.6, 1),
        }
    return doc


def endpoints_doc(model: Model, profile: Profile) -> dict[str, Any]:
    return {
        "data": {
            "id": model.id,
            "name": model.name,
            "created": model.created,
            "description": model.description,
            "architecture": _architecture(model),
            "endpoints": [endpoint_doc(model, e, profile) for e in model.endpoints],
        }
    }


def provider_doc(p: Provider, profile: Profile) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": p.name,
        "slug": p.slug,
        "privacy_policy_url": p.privacy_policy_url,
        "terms_of_service_url": p.terms_of_service_url,
        "status_page_url": p.status_page_url,
    }
    if profile.catalogue_details:
        doc["headquarters"] = p.headquarters
        doc["datacenters"] = list(p.datacenters)
    return doc
