"""The per-request checks and effects of an inference operation, run the same way whether its answer is worked
out afresh or replayed from the memo (``Completions._replay``): the key may infer and has something left, the stub's
hit is counted, the free-model windows, and the credit checks against the most the request can cost."""

from __future__ import annotations

import time

from mockrouter import errors
from mockrouter.engine.catalogue import free_per_day
from mockrouter.engine.exchange import Exchange
from mockrouter.engine.memo import Admission
from mockrouter.engine.usage import affordable_tokens
from mockrouter.errors import MockRouterError
from mockrouter.state.protocol import KeyState, State
from mockrouter.world import World

__all__ = ["Admissions"]


class Admissions:
    """Mixed into :class:`~mockrouter.engine.completions.Completions` (the core provides ``world`` and ``state``)."""

    world: World
    state: State

    def _admit_key(self, ex: Exchange, ks: KeyState, a: Admission) -> None:
        """Before routing: the key may infer and has something left; the stub's hit is counted."""
        if ks.key.management:
            raise MockRouterError(403, "Management keys cannot be used for inference. Create an API key instead.")
        remaining = ks.limit_remaining
        if remaining is not None and remaining <= 0:
            raise errors.key_limit_exceeded()
        if ks.account.balance < 0:
            raise errors.insufficient_credits(a.requested, 0)
        if a.stub is not None:
            ex.entry.stub = a.stub.name
            self.state.stub_hit(a.stub)

    def _admit(self, ks: KeyState, a: Admission) -> None:
        """After routing: free-model windows, then the credit checks against the most the request can cost."""
        if a.free:
            self._free_limits(ks)
        if a.endpoint is None or a.max_cost <= 0:
            return
        remaining = ks.limit_remaining
        if a.max_cost > ks.account.balance:
            afford = affordable_tokens(a.endpoint, a.prompt_tokens, ks.account.balance, a.byok)
            raise errors.insufficient_credits(a.wanted, afford)
        if remaining is not None and a.max_cost > remaining:
            afford = affordable_tokens(a.endpoint, a.prompt_tokens, remaining, a.byok)
            raise errors.insufficient_credits(a.wanted, afford, key_capped=True)

    def _free_limits(self, ks: KeyState) -> None:
        d = self.world.defaults
        now = time.time()
        over = self.state.free_request(ks.account, d.free_requests_per_minute, free_per_day(d, ks.account), now)
        if over is None:
            return
        window, limit = over
        reset = (int(now // 86_400) + 1) * 86_400 if window == "day" else (int(now // 60) + 1) * 60
        raise errors.rate_limited_free(window, limit, reset * 1000, max(1, int(reset - now)))
