"""One fixture object -> one world value: the small section builders of :mod:`mockrouter.fixtures`.

Each takes the (already schema-validated) mapping of one fixture object and applies the defaults the
schema documents (``schemas/fixtures.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mockrouter.world import ByokKey, DataPolicy, Latency, Outage, Provider, ReasoningDefaults, Reliability

__all__ = ["byok", "capabilities", "latency", "policy", "reasoning_defaults", "reliability"]


_NO_POLICY = DataPolicy()


def policy(d: Mapping[str, Any] | None, base: DataPolicy = _NO_POLICY) -> DataPolicy:
    d = d or {}
    return DataPolicy(
        d.get("training", base.training), d.get("retains_prompts", base.retains_prompts), d.get("zdr", base.zdr)
    )


def latency(d: Mapping[str, Any] | None) -> Latency:
    return Latency(**d) if d else Latency()


def reliability(d: Mapping[str, Any] | None) -> Reliability:
    d = dict(d or {})
    return Reliability(
        down=d.get("down", False),
        down_status=d.get("down_status", 502),
        error_rates=MappingProxyType({int(k): float(v) for k, v in d.get("error_rates", {}).items()}),
        mid_stream_error_rate=d.get("mid_stream_error_rate", 0.0),
        retry_after_s=d.get("retry_after_s"),
        outages=tuple(Outage(o["start_s"], o["end_s"], o.get("status", 502)) for o in d.get("outages", [])),
    )


def byok(d: Mapping[str, Any] | None) -> Mapping[str, ByokKey]:
    return MappingProxyType(
        {k: ByokKey(v.get("status", "valid"), v.get("always_use", False)) for k, v in (d or {}).items()}
    )


def reasoning_defaults(m: Mapping[str, Any]) -> ReasoningDefaults:
    """A model's ``reasoning_defaults`` (hidden reasoning defaults to mandatory, visible to opt-in)."""
    hidden = m.get("reasoning", "none") == "hidden"
    d = m.get("reasoning_defaults", {})
    return ReasoningDefaults(
        mandatory=d.get("mandatory", hidden),
        default_enabled=d.get("default_enabled", hidden or d.get("mandatory", False)),
        default_effort=d.get("default_effort", "medium"),
        supported_efforts=tuple(d.get("supported_efforts", ("low", "medium", "high"))),
    )


_TOOL_CHOICES = ("auto", "function", "none", "required")


def capabilities(e: Mapping[str, Any], provider: Provider, m: Mapping[str, Any]) -> dict[str, Any]:
    """An endpoint's native tools, service tier, diarization and per-value ``tool_choice`` support."""
    native = e.get("native_tools", {k: {"type": v} for k, v in provider.native_tools})
    params = e.get("supported_parameters", m.get("supported_parameters", ()))
    choice = "tool_choice" in params
    return {
        "native_tools": MappingProxyType({k: v["type"] for k, v in native.items()}),
        "service_tier": e.get("service_tier"),
        "supports_diarization": e.get("supports_diarization", False),
        "tool_choice_support": MappingProxyType(
            {name: e.get("supports_tool_choice", {}).get(name, choice) for name in _TOOL_CHOICES}
        ),
    }
