"""The world a mock serves, as frozen, slotted dataclasses built by :mod:`mockrouter.fixtures`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mockrouter.faults import Fault

__all__ = [
    "Account",
    "ByokKey",
    "DataPolicy",
    "Defaults",
    "Endpoint",
    "Key",
    "Latency",
    "Model",
    "Moderation",
    "Outage",
    "Provider",
    "Reliability",
    "Stub",
    "StubMatch",
    "World",
]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class DataPolicy:
    training: bool = False
    retains_prompts: bool = False
    zdr: bool = False


@dataclass(frozen=True, slots=True)
class Latency:
    ttft_ms: float = 300.0
    ttft_p90_ms: float | None = None
    tokens_per_second: float = 80.0
    jitter: float = 0.0


@dataclass(frozen=True, slots=True)
class Outage:
    start_s: float
    end_s: float
    status: int = 502


@dataclass(frozen=True, slots=True)
class Reliability:
    down: bool = False
    down_status: int = 502
    error_rates: Mapping[int, float] = field(default_factory=dict)
    mid_stream_error_rate: float = 0.0
    retry_after_s: float | None = None
    outages: tuple[Outage, ...] = ()


@dataclass(frozen=True, slots=True)
class Provider:
    slug: str
    name: str
    privacy_policy_url: str | None = None
    terms_of_service_url: str | None = None
    status_page_url: str | None = None
    headquarters: str | None = None
    datacenters: tuple[str, ...] = ()
    data_policy: DataPolicy = DataPolicy()
    #: (canonical ``openrouter:*`` server tool, the provider's own tool type it is translated to)
    native_tools: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Moderation:
    flag: tuple[str, ...]
    reasons: tuple[str, ...] = ("harassment",)


@dataclass(frozen=True, slots=True, eq=False)
class Endpoint:
    provider: Provider
    tag: str
    pricing: Mapping[str, str]
    context_length: int
    max_completion_tokens: int | None
    max_prompt_tokens: int | None
    quantization: str | None
    supported_parameters: tuple[str, ...]
    byok: bool
    shared: bool
    data_policy: DataPolicy
    latency: Latency
    reliability: Reliability
    native_finish_reason: str
    supports_implicit_caching: bool
    uptime_last_30m: float | None
    status: int
    moderation: Moderation | None
    native_tools: Mapping[str, str] = field(default_factory=dict)
    service_tier: str | None = None
    supports_diarization: bool = False
    #: which ``tool_choice`` values (auto, function, none, required) passed testing
    tool_choice_support: Mapping[str, bool] = field(default_factory=dict)
    #: prompt + completion price per token, for ordering (computed once)
    unit_price: float = field(init=False, default=0.0)
    #: load balancing's weight: the inverse square of the price (per million tokens)
    balance_weight: float = field(init=False, default=0.0)
    #: ``pricing`` as decimals (computed once: every request's cost reads them)
    decimal_pricing: Mapping[str, Decimal] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decimal_pricing", {k: Decimal(v) for k, v in self.pricing.items()})
        object.__setattr__(self, "unit_price", float(self.price("prompt") + self.price("completion")))
        object.__setattr__(self, "balance_weight", 1.0 / max(self.unit_price * 1e6, 1e-3) ** 2)

    @property
    def provider_name(self) -> str:
        return self.provider.name

    def price(self, key: str) -> Decimal:
        return self.decimal_pricing.get(key, _ZERO)

    def supports(self, parameter: str) -> bool:
        return parameter in self.supported_parameters


@dataclass(frozen=True, slots=True)
class ReasoningDefaults:
    """The catalogue's ``reasoning`` block: whether a model reasons unasked, and how hard."""

    mandatory: bool = False  #: reasons whatever the request says
    default_enabled: bool = False  #: reasons unless the request turns it off
    default_effort: str = "medium"
    supported_efforts: tuple[str, ...] = ("low", "medium", "high")


@dataclass(frozen=True, slots=True, eq=False)
class Model:
    id: str
    canonical_slug: str
    hugging_face_id: str | None
    name: str
    created: int
    description: str
    context_length: int
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    tokenizer: str
    instruct_type: str | None
    categories: tuple[str, ...]
    pricing: Mapping[str, str]
    supported_parameters: tuple[str, ...]
    default_parameters: Mapping[str, Any] | None
    reasoning: str
    byok_required: str | None
    expiration_date: str | None
    knowledge_cutoff: str | None
    endpoints: tuple[Endpoint, ...]
    reasoning_defaults: ReasoningDefaults = ReasoningDefaults()

    @property
    def author(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def variant(self) -> str | None:
        return self.id.partition(":")[2] or None

    @property
    def is_moderated(self) -> bool:
        return any(e.moderation is not None for e in self.endpoints)

    def top_endpoint(self) -> Endpoint | None:
        return self.endpoints[0] if self.endpoints else None


@dataclass(frozen=True, slots=True)
class ByokKey:
    status: str = "valid"
    always_use: bool = False


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    credits: float
    usage: float = 0.0
    purchased: bool = True
    byok: Mapping[str, ByokKey] = field(default_factory=dict)
    #: the account's privacy settings: "deny" keeps prompts off endpoints that may train on them
    data_collection: str = "allow"
    #: only Zero Data Retention endpoints
    zdr: bool = False

    def allows(self, endpoint: Endpoint) -> bool:
        """Whether the account's privacy settings let a request use ``endpoint``."""
        policy = endpoint.data_policy
        return not (self.data_collection == "deny" and policy.training) and not (self.zdr and not policy.zdr)


@dataclass(frozen=True, slots=True)
class Key:
    key: str
    account: str
    name: str | None = None
    limit: float | None = None
    limit_reset: str | None = None
    include_byok_in_limit: bool = False
    usage: float = 0.0
    disabled: bool = False
    management: bool = False
    expires_at: str | None = None
    #: set by the management API (``POST /keys``, ``PATCH /keys/{hash}``, ``DELETE /keys/{hash}``)
    created_at: str | None = None
    updated_at: str | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class StubMatch:
    model: str | None = None
    message: re.Pattern[str] | None = None
    tools: bool | None = None
    stream: bool | None = None
    key: str | None = None
    path: str | None = None
    headers: Mapping[str, re.Pattern[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stub:
    name: str
    priority: int = 5
    match: StubMatch = StubMatch()
    content: str | None = None
    tool_calls: tuple[tuple[str, str], ...] | None = None
    reasoning: str | None = None
    finish_reason: str | None = None
    latency: Latency | None = None
    fault: Fault | None = None
    times: int | None = None
    scenario: str | None = None
    requires: str | None = None
    sets: str | None = None
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Defaults:
    credits: float = 10.0
    purchased: bool = True
    free_requests_per_minute: int = 20
    free_requests_per_day: int | None = None
    key_limit: float | None = None
    byok: Mapping[str, ByokKey] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class World:
    providers: Mapping[str, Provider]
    models: Mapping[str, Model]
    accounts: Mapping[str, Account]
    keys: Mapping[str, Key]
    stubs: tuple[Stub, ...]
    defaults: Defaults
    recordings: tuple[Mapping[str, Any], ...] = ()
    sources: tuple[str, ...] = ()

    def provider(self, ref: str) -> Provider | None:
        """By slug or display name, case-insensitively (Era A clients sent names, Era B slugs)."""
        ref = ref.lower().split("/", 1)[0]
        for p in self.providers.values():
            if p.slug == ref or p.name.lower() == ref:
                return p
        return None
