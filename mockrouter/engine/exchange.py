"""One request on its way through the core: the plain call, its journal entry (written only by the core) and
what the core has learned of the caller so far."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from mockrouter.calls import Call
from mockrouter.state.journal import Entry
from mockrouter.state.protocol import KeyState

__all__ = ["Exchange"]


@dataclass(slots=True)
class Exchange:
    call: Call
    entry: Entry
    token: str | None = None  # the bearer token of the call's Authorization header (read once)
    ks: KeyState | None = None
    memo_key: Hashable | None = None
    epoch: int = 0  # the state's epoch as the request arrived (before its own stub hits move it on)
