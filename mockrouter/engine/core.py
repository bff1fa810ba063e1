"""The core: ``Mock.handle(call, op) -> Reply`` with no HTTP framework in sight.

For every operation of the registry (``contract.operations``): the caller is authenticated as its declaration
says, its parameters and body are parsed and validated against the declared schemas, its handler
(``engine.handlers``) runs, and every failure becomes OpenRouter's envelope (``errors.envelope``). Every API
request is in the journal on every exit path (``finally``); the journal entry is written here only.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from mockrouter import errors, seeding
from mockrouter.calls import Call, Reply, json_bytes
from mockrouter.contract import schemas as contract
from mockrouter.contract.operations import Auth, Operation, Params, Surface
from mockrouter.engine import admin, catalogue, keys  # noqa: F401 - their handlers register themselves
from mockrouter.engine.auth import authenticate, bearer, user_id
from mockrouter.engine.bodies import JOURNAL_BODY_BYTES, decode, journal_body
from mockrouter.engine.completions import GENERATED_CACHE, Completions
from mockrouter.engine.exchange import Exchange
from mockrouter.engine.handlers import HANDLERS, Handler, OpRequest
from mockrouter.engine.memo import Memo, Sightings
from mockrouter.engine.replay import find_recording, replay_reply
from mockrouter.errors import MockRouterError
from mockrouter.fixtures import load_for
from mockrouter.kinds import Outcome, Profile, profile
from mockrouter.settings import Settings
from mockrouter.state import StoreUnavailable, in_memory
from mockrouter.state.journal import Entry, Journal, key_digest, redact, redact_body
from mockrouter.state.protocol import KeyState, State
from mockrouter.world import World

__all__ = ["Mock"]

log = logging.getLogger("mockrouter")
_LOOPBACK = ("127.0.0.1", "::1", "localhost", "testclient", None)
_CACHE_SIZE = 512
_RETRY_AFTER = "1"  # seconds, while a shared store is unreachable


class Mock(Completions):
    """One mock world: settings, fixtures, runtime state, journal and clock."""

    def __init__(
        self,
        settings: Settings | None = None,
        world: World | None = None,
        state: State | None = None,
        journal: Journal | None = None,
    ) -> None:
        """``state`` and ``journal`` default to in-memory ones; several workers pass a shared store's."""
        self.settings = s = settings or Settings()
        self.world = world if world is not None else load_for(s)
        self.state = (
            state
            if state is not None
            else in_memory(self.world, generations_size=2 * s.journal_size, seed=s.seed, time_scale=s.time_scale)
        )
        self.journal = journal if journal is not None else Journal(s.journal_size)
        self.clock = seeding.Clock(s.clock)
        self.memo = Memo()
        self._profile = profile(s.profile)
        self._generated = OrderedDict()
        self._generations_seen = Sightings(4 * GENERATED_CACHE)
        #: answers that depend only on the (immutable) world: the same reply for every such request (replies are
        #: never changed once made; rendering keeps its encoded head on it)
        self._cache: dict[tuple[str, ...], Reply] = {}
        self._memoizable = not any(e.reliability.outages for m in self.world.models.values() for e in m.endpoints)
        self.handlers: dict[str, Handler] = HANDLERS  # completions are the core's own (``Completions``)

    @property
    def profile(self) -> Profile:
        return self._profile

    @property
    def seed(self) -> int:
        return self.state.seed

    @seed.setter
    def seed(self, value: int) -> None:
        self.state.update_settings(seed=value)

    @property
    def time_scale(self) -> float:
        return self.state.time_scale

    @time_scale.setter
    def time_scale(self, value: float) -> None:
        self.state.update_settings(time_scale=value)

    def reset(self, journal: bool = True) -> None:
        self.state.reset()
        self.clock.reset()
        self.memo.clear()
        if journal:
            self.journal.clear()

    def cached(self, key: tuple[str, ...], build: Callable[[], Any]) -> Reply:
        reply = self._cache.get(key)
        if reply is None:
            reply = Reply(200, raw=json_bytes(build()))
            if len(self._cache) < _CACHE_SIZE:
                self._cache[key] = reply
        return reply

    # ------------------------------------------------------------------ entry point

    def handle(
        self, call: Call, op: Operation | None, path_params: Mapping[str, str] | None = None, allowed: str = ""
    ) -> Reply:
        """Answer ``call`` with operation ``op`` (None: no operation has that path, or, with ``allowed``, none
        has that method on it). While a shared store is unreachable, every call is answered 503 with
        ``Retry-After`` (the store logs the outage once)."""
        try:
            return self._handle(call, op, path_params, allowed)
        except StoreUnavailable:
            err = MockRouterError.of(503, "Service temporarily unavailable: the mock's shared store is unreachable")
            err.headers["Retry-After"] = _RETRY_AFTER
            return Reply(err.status, self.error_body(err), dict(err.headers))

    def _handle(self, call: Call, op: Operation | None, path_params: Mapping[str, str] | None, allowed: str) -> Reply:
        admin_call = op is not None and op.surface is Surface.ADMIN
        if admin_call:
            self.state.begin()  # a shared store's state: see what other workers changed
            return self._admin(call, op, path_params or {})  # type: ignore[arg-type]
        token = bearer(call.headers)
        self.state.begin(token)
        entry = self.journal.open(call.method, call.path, call.query, call.headers)
        ex = Exchange(call, entry, token)
        reply: Reply | None = None
        try:
            recorded = self._recorded(ex) if self.world.recordings else None
            if recorded is not None:
                reply = recorded
            elif op is None:
                reply = self.error_reply(_no_route(call, allowed), ex)
            else:
                reply = self._run(op, ex, path_params or {})
        except MockRouterError as exc:
            reply = self.error_reply(exc, ex)
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("internal error answering %s %s", call.method, call.path)
            reply = self.error_reply(MockRouterError.of(500), ex)
        finally:
            if reply is None:
                reply = self.error_reply(MockRouterError.of(500), ex)
            self._close_entry(entry, reply, call)
        return reply

    def _run(self, op: Operation, ex: Exchange, path_params: Mapping[str, str]) -> Reply:
        """Declared auth, parameters and body, then the handler."""
        if op.requires and not getattr(self.profile, op.requires):
            raise _no_route(ex.call, "")  # the profile's API has no such operation (e.g. launch: no embeddings)
        if op.completion:
            if op.params:  # checked, though the completions read none
                op.parse_params(ex.call.query, path_params)
            return self.complete(op, ex)
        params = Params(op, op.parse_params(ex.call.query, path_params))
        caller = self.authenticate(ex) if op.auth is Auth.KEY else None
        body = None
        if op.request is not None:
            body = self.parse_body(ex, want_object=False)
            self.validate(ex, op.request, body)
        result = self.handlers[op.handler_name](self, OpRequest(op, ex.call, params, body, caller))
        return result if isinstance(result, Reply) else Reply(op.status, result)

    def _admin(self, call: Call, op: Operation, path_params: Mapping[str, str]) -> Reply:
        """An admin operation: not journaled (WireMock's rule), errors in the same envelope."""
        ex = Exchange(call, Entry(0, time.time(), call.method, call.path), bearer(call.headers))
        try:
            if not self._admin_allowed(call):
                raise MockRouterError(403, "The admin API is only reachable from loopback or with the admin token")
            return self._run(op, ex, path_params)
        except MockRouterError as exc:
            return self.error_reply(exc, ex)
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("internal error answering %s %s", call.method, call.path)
            return self.error_reply(MockRouterError.of(500), ex)

    def _admin_allowed(self, call: Call) -> bool:
        token = self.settings.admin_token
        if token:
            headers = call.headers
            given = headers.get("x-mockrouter-admin-token") or headers.get("authorization", "").removeprefix("Bearer ")
            return hmac.compare_digest(given.strip().encode(), token.encode())
        return call.client in _LOOPBACK or (call.client or "").startswith("127.")

    def _recorded(self, ex: Exchange) -> Reply | None:
        call = ex.call
        body = journal_body(call.body) if call.body else None
        rec = find_recording(self.world.recordings, call.method, call.path, body)
        if rec is None:
            return None
        ex.entry.stub = f"recording:{rec.get('name', '?')}"
        reply = replay_reply(rec, self.time_scale, self.settings.keepalive_s)
        if reply.stream is not None:
            reply.stream.on_end = self._finisher(ex.entry, call)
        return reply

    def _close_entry(self, entry: Entry, reply: Reply, call: Call) -> None:
        entry.status = reply.status
        if entry.body is None and call.body:
            entry.body = journal_body(call.body)
        if reply.status >= 400 and entry.outcome == Outcome.PENDING:
            entry.outcome = Outcome.INVALID if entry.violations else Outcome.ERROR
        if reply.stream is None and reply.on_end is None:
            if entry.outcome == Outcome.PENDING:
                entry.outcome = Outcome.OK
            waited = reply.delay_ms * reply.time_scale
            entry.duration_ms = round((time.monotonic() - call.arrived) * 1000 + waited, 3) if call.arrived else None
            self.journal.close(entry)

    # ------------------------------------------------------------------ errors

    def error_reply(self, exc: MockRouterError, ex: Exchange, delay_ms: float = 0.0) -> Reply:
        ex.entry.error = exc.message
        retry_after = next((v for k, v in exc.headers.items() if k.lower() == "retry-after"), None)
        if retry_after is not None:
            ex.entry.retry_after = retry_after
        body = self.error_body(exc, ex.ks)
        return Reply(exc.status, body, dict(exc.headers), delay_ms=delay_ms, time_scale=self.time_scale)

    def error_body(self, exc: MockRouterError, ks: KeyState | None = None) -> dict[str, Any]:
        user = user_id(ks.account.id) if ks is not None else None
        return errors.envelope(exc, self.profile.error_type, user)

    # ------------------------------------------------------------------ shared steps

    def authenticate(self, ex: Exchange) -> KeyState:
        ks = authenticate(ex.token, self.state, self.profile, self.settings.strict_keys)
        ex.ks = ks
        ex.entry.key = redact(ks.key.key)
        ex.entry.key_hash = key_digest(ks.key.key)
        ex.entry.account = ks.account.id
        return ks

    def parse_body(self, ex: Exchange, want_object: bool = True) -> Any:
        call = ex.call
        if call.body_too_large or len(call.body) > self.settings.max_body_bytes:
            ex.entry.body = {"truncated": True, "bytes": len(call.body)}
            raise MockRouterError(413, "Request payload too large", {"max_bytes": self.settings.max_body_bytes})
        try:
            body = decode(call.body, want_object)
        except MockRouterError:
            ex.entry.body = journal_body(call.body)
            raise
        # the journal keeps the parsed body itself (the pipeline never changes a body in place)
        ex.entry.body = (
            redact_body(body, call.body) if len(call.body) <= JOURNAL_BODY_BYTES else journal_body(call.body)
        )
        return body

    def validate(self, ex: Exchange, schema: str, body: Any) -> None:
        try:
            if contract.is_valid(schema, body):
                return
            violations = contract.validate(schema, body)
        except RecursionError:
            raise errors.bad_request("Invalid request: nested too deeply") from None
        if violations:
            ex.entry.violations = [v.as_dict() for v in violations]
            first = violations[0]
            where = first.pointer or "body"
            raise errors.bad_request(f"Invalid request: {where}: {first.message}", violations=ex.entry.violations)


def _no_route(call: Call, allowed: str) -> MockRouterError:
    if not allowed:
        return errors.not_found(f"Not Found: {call.method} {call.path}")
    err = MockRouterError(405, f"Method {call.method} not allowed on {call.path}", {"allowed": allowed})
    err.headers["Allow"] = allowed
    return err
