"""Typed settings: one dataclass, built from CLI options, environment variables (``MOCKROUTER_*``) or code."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from mockrouter import kinds

__all__ = ["PROFILES", "Settings", "safe_url"]

_PASSWORD = re.compile(r"(?<=://)[^/@]*@")


def safe_url(value: Any) -> Any:
    """A URL's credentials (``redis://:secret@host``) hidden; anything else unchanged."""
    return _PASSWORD.sub("***@", value) if isinstance(value, str) else value


#: "current": today's API (Era B). "launch": the API as at GPT-5's launch (Era A, Aug 2025).
PROFILES = tuple(kinds.PROFILES)


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    fixtures: tuple[str, ...] = ()  # extra fixture files, merged over the shipped default world
    scenarios: tuple[str, ...] = ()  # shipped scenario names or paths, merged in order
    seed: int = 0
    time_scale: float = 1.0  # 0 = no delays, 1 = real time
    profile: str = "current"
    strict_keys: bool = False  # unknown keys get 401 "User not found."
    journal_size: int = 1000
    clock: int | None = None  # pin `created` and ids
    max_body_bytes: int = 32 * 1024 * 1024
    max_header_bytes: int = 64 * 1024  # a request's line and headers together; beyond: 431, never buffered
    admin_token: str | None = field(default=None, metadata={"secret": True})  # never printed (repr)
    no_default: bool = False  # do not load the shipped default world
    keepalive_s: float = 1.0  # ": OPENROUTER PROCESSING" cadence while waiting
    done_after_error: bool = False  # send "data: [DONE]" after a mid-stream error event
    log_level: str = "info"
    workers: int = 1  # several: processes sharing their state in Redis
    redis: str | None = None  # the shared store's URL (redis://host:port/db, unix:///path); None: a private one

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")
        if self.time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        if self.journal_size < 1:
            raise ValueError("journal_size must be >= 1")

    def __repr__(self) -> str:
        default = Settings()
        changed = [
            f"{f.name}={'<redacted>' if f.metadata.get('secret') else safe_url(getattr(self, f.name))!r}"
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        ]
        return f"Settings({', '.join(changed)})"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read ``MOCKROUTER_<FIELD>`` variables (lists are comma-separated)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"MOCKROUTER_{f.name.upper()}")
            if raw is None:
                continue
            default = getattr(cls(), f.name)
            if isinstance(default, bool):
                values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif isinstance(default, tuple):
                values[f.name] = tuple(p for p in (s.strip() for s in raw.split(",")) if p)
            elif isinstance(default, int):
                values[f.name] = int(raw)
            elif isinstance(default, float):
                values[f.name] = float(raw)
            elif f.name == "clock":
                values[f.name] = int(raw) if raw else None
            else:
                values[f.name] = raw
        return cls(**values)
