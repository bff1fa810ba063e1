"""What an operation's handler is given and how it is found: ``@handles("<operationId>")``.

The core (``engine.core.Mock``) looks an operation up in the registry (``contract.operations``), authenticates
the caller as the declaration says, parses and validates the parameters and the body, then calls the handler
registered under the operation's ``handler`` name with the :class:`Engine` and an :class:`OpRequest`. A handler
returns a :class:`~mockrouter.calls.Reply` or a JSON value (answered with the operation's success status), or
raises :class:`~mockrouter.errors.MockRouterError`. Handlers never see the HTTP framework or the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mockrouter.calls import Call, Reply
from mockrouter.contract.operations import Operation, Params
from mockrouter.kinds import Profile
from mockrouter.settings import Settings
from mockrouter.state.journal import Journal
from mockrouter.state.protocol import KeyState, State
from mockrouter.world import World

__all__ = ["HANDLERS", "Engine", "Handler", "OpRequest", "handles"]


class Engine(Protocol):
    """What handlers may use of the mock: its world, state, journal and settings (never its internals)."""

    settings: Settings
    world: World
    state: State
    journal: Journal

    @property
    def profile(self) -> Profile: ...

    def reset(self, journal: bool = True) -> None: ...

    def cached(self, key: tuple[str, ...], build: Callable[[], Any]) -> Reply:
        """An answer that depends only on the (immutable) world and its key, rendered once."""
        ...


@dataclass(slots=True)
class OpRequest:
    op: Operation
    call: Call
    params: Params
    body: Any = None  # the parsed body, valid against ``op.request`` (None without one)
    caller: KeyState | None = None  # the authenticated caller (``auth: key``)

    @property
    def ks(self) -> KeyState:
        assert self.caller is not None, f"{self.op.id} is not declared with auth: key"
        return self.caller


Handler = Callable[[Engine, OpRequest], Any]

#: handler name -> handler (filled by ``@handles`` as the handler modules are imported by the core)
HANDLERS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            if name in HANDLERS:
                raise RuntimeError(f"two handlers for {name}: {HANDLERS[name].__qualname__} and {fn.__qualname__}")
            HANDLERS[name] = fn
        return fn

    return register
