"""Faults a test can ask for. Three routes, one type: fixture stubs, the ``X-Mockrouter-Fault`` header and
the admin API all produce a :class:`Fault`.

Kinds (``kind``):

=================  ==========================================================================
``error``          OpenRouter answers ``status`` with its real body (no failover); default kind
``provider_error`` the provider attempt fails with ``status``; OpenRouter fails over if it can
``outage``         the provider (``provider`` or the first planned one) is down: failover
``timeout``        408 ``Operation timed out. Please try again later.``
``mid_stream``     an in-band error event after ``after_chunks`` chunks (HTTP stays 200)
``stall``          the stream stops sending for ``ms`` after ``after_chunks`` chunks, then goes on
``disconnect``     the connection is dropped after ``after_chunks`` chunks
``slow_ttft``      the first token arrives after ``ms``
=================  ==========================================================================

``times`` limits how often a fault fires; faults with the same ``id`` share that count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mockrouter.errors import MockRouterError

__all__ = ["FAULT_KINDS", "Fault", "parse_header"]

FAULT_KINDS = ("error", "provider_error", "mid_stream", "stall", "disconnect", "slow_ttft", "timeout", "outage")
_ALIASES = {
    "mid-stream": "mid_stream",
    "provider-error": "provider_error",
    "slow-ttft": "slow_ttft",
    "ttft": "slow_ttft",
}
_INT_FIELDS = ("status", "after_chunks", "times")
_FLOAT_FIELDS = ("retry_after", "ms")


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str = "error"
    status: int | None = None
    message: str | None = None
    metadata: dict[str, Any] | None = field(default=None, compare=False)
    retry_after: float | None = None
    after_chunks: int | None = None
    ms: float | None = None
    provider: str | None = None
    times: int | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if self.kind in ("error", "provider_error") and self.status is None:
            raise ValueError(f"a {self.kind} fault needs a status")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be between 400 and 599")
        if self.kind in ("stall", "slow_ttft") and self.ms is None:
            raise ValueError(f"a {self.kind} fault needs ms")

    @property
    def streaming_only(self) -> bool:
        return self.kind in ("mid_stream", "stall", "disconnect")

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any], default_id: str | None = None) -> Fault:
        values = dict(data)
        values["kind"] = _ALIASES.get(str(values.get("kind", "")), values.get("kind"))
        if values["kind"] is None:
            values["kind"] = "error"
        values.setdefault("id", default_id)
        return cls(**values)


def parse_header(value: str) -> Fault:
    """Parse ``X-Mockrouter-Fault: status=429; retry-after=2; times=2; id=abc`` (or ``kind=stall; ms=500``).

    A bare word is a kind (``disconnect``); ``stall=500``/``ttft=2000``/``mid-stream=3``/``disconnect=3``
    set the kind and its main number. Raises a 400 :class:`MockRouterError` on anything malformed.
    """
    values: dict[str, Any] = {}
    try:
        for part in (p.strip() for p in value.split(";")):
            if not part:
                continue
            name, _, raw = part.partition("=")
            name = name.strip().lower().replace("-", "_")
            raw = raw.strip()
            kind = _ALIASES.get(name.replace("_", "-"), name)
            if kind in FAULT_KINDS and name not in ("status",):
                values["kind"] = kind
                if raw:
                    key = "ms" if kind in ("stall", "slow_ttft") else "after_chunks" if kind != "outage" else "provider"
                    values[key] = raw
                continue
            if name == "kind":
                values["kind"] = _ALIASES.get(raw, raw)
                continue
            if name == "after":
                name = "after_chunks"
            if name not in ("status", "message", "retry_after", "after_chunks", "ms", "provider", "times", "id"):
                raise ValueError(f"unknown field {name!r}")
            values[name] = raw
        for key in _INT_FIELDS:
            if key in values:
                values[key] = int(values[key])
        for key in _FLOAT_FIELDS:
            if key in values:
                values[key] = float(values[key])
        if values.get("kind") is None:
            values["kind"] = "error" if "status" in values else None
        if values.get("kind") == "timeout":
            values.setdefault("status", 408)
        return Fault.from_dict(values, default_id=value.strip())
    except (ValueError, TypeError) as exc:
        raise MockRouterError(
            400, f"Invalid X-Mockrouter-Fault header: {exc}", {"header": "X-Mockrouter-Fault", "value": value}
        ) from None
