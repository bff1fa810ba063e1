"""Faults a test can ask for. Three routes, one type and one validator: fixture stubs, the admin API
(``POST /__mockrouter/faults``) and the ``X-Mockrouter-Fault`` header all produce a :class:`Fault`, and all are
checked against the same schema (``schemas/fixtures.json#/$defs/Fault``) before one is built. The kinds are
:class:`~mockrouter.kinds.FaultKind`. ``times`` limits how often a fault fires; faults with the same ``id`` share
that count.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from mockrouter.contract import schemas as contract
from mockrouter.errors import MockRouterError
from mockrouter.kinds import FaultKind

__all__ = ["FAULT_KINDS", "SCHEMA", "Fault", "parse_header"]

FAULT_KINDS = tuple(k.value for k in FaultKind)
#: the one schema every route's faults are checked against
SCHEMA = "fixtures.json#/$defs/Fault"
_ALIASES = {
    "mid-stream": "mid_stream",
    "provider-error": "provider_error",
    "slow-ttft": "slow_ttft",
    "ttft": "slow_ttft",
}
_INT_FIELDS = ("status", "after_chunks", "times")
_FLOAT_FIELDS = ("retry_after", "ms")
_HEADER_FIELDS = ("status", "message", "retry_after", "after_chunks", "ms", "provider", "times", "id")


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind = FaultKind.ERROR
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
        try:
            object.__setattr__(self, "kind", FaultKind(self.kind))
        except ValueError:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}") from None

    @property
    def streaming_only(self) -> bool:
        return self.kind.breaks_stream

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if k == "kind" else v) for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any], default_id: str | None = None) -> Fault:
        """A fault from data already valid against :data:`SCHEMA`."""
        values = dict(data)
        values["kind"] = values.get("kind") or FaultKind.ERROR
        values.setdefault("id", default_id)
        return cls(**values)


def _number(name: str, raw: str, integer: bool) -> int | float:
    value: int | float = int(raw) if integer else float(raw)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {raw!r}")
    return value


def parse_header(value: str) -> Fault:
    """Parse ``X-Mockrouter-Fault: status=429; retry-after=2; times=2; id=abc`` (or ``kind=stall; ms=500``).

    A bare word is a kind (``disconnect``); ``stall=500``/``ttft=2000``/``mid-stream=3``/``disconnect=3``
    set the kind and its main number. Raises a 400 :class:`MockRouterError` on anything malformed, with the
    schema's JSON pointer when a value breaks it.
    """
    values: dict[str, Any] = {}
    meta = {"header": "X-Mockrouter-Fault", "value": value}
    try:
        for part in (p.strip() for p in value.split(";")):
            if not part:
                continue
            name, _, raw = part.partition("=")
            name = name.strip().lower().replace("-", "_")
            raw = raw.strip()
            kind = _ALIASES.get(name.replace("_", "-"), name)
            if kind in FAULT_KINDS and name != "status":
                values["kind"] = kind
                if raw:
                    key = "ms" if kind in ("stall", "slow_ttft") else "after_chunks" if kind != "outage" else "provider"
                    values[key] = raw
                continue
            if name == "kind":
                values["kind"] = _ALIASES.get(raw, raw)
                continue
            name = "after_chunks" if name == "after" else name
            if name not in _HEADER_FIELDS:
                raise ValueError(f"unknown field {name!r}")
            values[name] = raw
        for key in (*_INT_FIELDS, *_FLOAT_FIELDS):
            if key in values:
                values[key] = _number(key, values[key], key in _INT_FIELDS)
    except ValueError as exc:
        raise MockRouterError(400, f"Invalid X-Mockrouter-Fault header: {exc}", meta) from None
    if values.get("kind") is None and "status" not in values:
        raise MockRouterError(400, "Invalid X-Mockrouter-Fault header: name a kind or a status", meta)
    if values.get("kind") == "timeout":
        values.setdefault("status", 408)
    violations = contract.validate(SCHEMA, values)
    if violations:
        first = violations[0]
        problems = [v.as_dict() for v in violations]
        message = f"Invalid X-Mockrouter-Fault header: {first.pointer or '/'}: {first.message}"
        raise MockRouterError(400, message, {**meta, "violations": problems})
    return Fault.from_dict(values, default_id=value.strip())
