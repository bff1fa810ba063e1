"""The closed sets of the mock, as types: API profiles, fault kinds and journal outcomes.

``StrEnum`` members are their own wire value (``FaultKind.STALL == "stall"``), so fixtures, headers, the
journal's JSON and the admin API keep their text while the code compares members, never bare strings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["PROFILES", "Dialect", "FaultKind", "Outcome", "Profile", "profile"]


@dataclass(frozen=True, slots=True)
class Profile:
    """What differs between today's API (``current``, Era B) and the API at GPT-5's launch (``launch``, Era A)."""

    name: str
    error_type: bool  # errors carry metadata.error_type
    usage_always: bool  # usage.cost/is_byok/cost_details and the stream's usage chunk without being asked
    generation_id_header: bool  # X-Generation-Id on completions
    models_paginated: bool  # /models answers {data, total_count, links} and filters by modality
    credits_management_only: bool  # /credits needs a management key
    key_details: bool  # /key carries budgets, free-model counters, management flags
    generation_details: bool  # /generation carries router, provider_responses, app_title, ...
    usage_details: bool  # usage carries the cost breakdown and the audio/video/image token counts
    catalogue_details: bool  # models, endpoints and providers carry today's extra fields
    embeddings: bool  # the embeddings API and its models exist (OpenRouter added them in late 2025)
    chunk_null_fingerprint: bool  # stream content and finish chunks carry "system_fingerprint": null
    no_auth_message: str  # 401 without a key


CURRENT = Profile(
    name="current",
    error_type=True,
    usage_always=True,
    generation_id_header=True,
    models_paginated=True,
    credits_management_only=True,
    key_details=True,
    generation_details=True,
    usage_details=True,
    catalogue_details=True,
    embeddings=True,
    chunk_null_fingerprint=False,
    no_auth_message="No cookie auth credentials found",
)
LAUNCH = Profile(
    name="launch",
    error_type=False,
    usage_always=False,
    generation_id_header=False,
    models_paginated=False,
    credits_management_only=False,
    key_details=False,
    generation_details=False,
    usage_details=False,
    catalogue_details=False,
    embeddings=False,
    chunk_null_fingerprint=True,
    no_auth_message="No auth credentials found",
)
PROFILES: dict[str, Profile] = {p.name: p for p in (CURRENT, LAUNCH)}


def profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {name!r}") from None


class Dialect(enum.StrEnum):
    """What an inference operation speaks: its request and response shapes (one planner, simulation and accounting
    serve them all)."""

    CHAT = "chat"  # /chat/completions
    TEXT = "text"  # /completions (legacy)
    EMBEDDINGS = "embeddings"  # /embeddings
    RESPONSES = "responses"  # /responses (OpenRouter's Responses API, beta)

    @property
    def output_modality(self) -> str:
        """What a model must produce to serve it (its catalogue's ``output_modalities``)."""
        return "embeddings" if self is Dialect.EMBEDDINGS else "text"


class FaultKind(enum.StrEnum):
    ERROR = "error"  # OpenRouter answers `status` with its real body (no failover)
    PROVIDER_ERROR = "provider_error"  # the provider attempt fails with `status`; OpenRouter fails over if it can
    MID_STREAM = "mid_stream"  # an in-band error event after `after_chunks` chunks (HTTP stays 200)
    STALL = "stall"  # the stream stops sending for `ms` after `after_chunks` chunks, then goes on
    DISCONNECT = "disconnect"  # the connection is dropped after `after_chunks` chunks
    SLOW_TTFT = "slow_ttft"  # the first token arrives after `ms`
    TIMEOUT = "timeout"  # 408 Operation timed out
    OUTAGE = "outage"  # the provider is down: failover

    @property
    def answers_at_once(self) -> bool:
        """Answered with an error before any routing (no attempt reaches a provider)."""
        return self in (FaultKind.ERROR, FaultKind.TIMEOUT)

    @property
    def breaks_stream(self) -> bool:
        return self in (FaultKind.MID_STREAM, FaultKind.STALL, FaultKind.DISCONNECT)


class Outcome(enum.StrEnum):
    """How a journal entry ended."""

    PENDING = "pending"  # still being answered
    OK = "ok"  # a JSON answer, 2xx
    ERROR = "error"  # an error envelope
    INVALID = "invalid"  # a 400 with schema violations
    COMPLETED = "completed"  # a stream sent to its end
    MID_STREAM_ERROR = "mid_stream_error"  # a stream ended by an in-band error event
    STALLED = "stalled"  # a stream that went silent for a while (then completed)
    CANCELLED = "cancelled"  # the client went away
    DISCONNECTED = "disconnected"  # the mock dropped the connection on purpose
