"""The management API's key operations: ``/keys`` and ``/keys/{hash}`` (management keys only, 403 otherwise).

A key is named by its ``hash``, the SHA-256 of its secret in hex (as OpenRouter names it); the secret is only in
the answer to ``POST /keys``. A created key belongs to the management key's account: it infers at once and its
spend shows here; a disabled or deleted key gets 401 ``User not found.``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from mockrouter import errors
from mockrouter.engine.auth import label
from mockrouter.engine.handlers import Engine, OpRequest, handles
from mockrouter.state.protocol import KeyState
from mockrouter.world import Key

__all__ = ["key_hash", "usage_fields"]

#: when a key the world declares was created (the default world's date: GPT-5's launch)
_DECLARED_AT = "2025-08-07T00:00:00+00:00"
#: the key settings ``PATCH /keys/{hash}`` changes
_SETTINGS = ("name", "disabled", "limit", "limit_reset", "include_byok_in_limit")


def key_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def usage_fields(ks: KeyState, now: float) -> dict[str, Any]:
    """A key's spend: in total, today (UTC), the last 7 and 30 days; its own and BYOK's."""
    return {
        "usage": round(ks.usage, 12),
        "usage_daily": ks.usage_since(86_400, now),
        "usage_weekly": ks.usage_since(7 * 86_400, now),
        "usage_monthly": ks.usage_since(30 * 86_400, now),
        "byok_usage": round(ks.byok_usage, 12),
        "byok_usage_daily": ks.usage_since(86_400, now, byok=True),
        "byok_usage_weekly": ks.usage_since(7 * 86_400, now, byok=True),
        "byok_usage_monthly": ks.usage_since(30 * 86_400, now, byok=True),
    }


def _doc(ks: KeyState) -> dict[str, Any]:
    key = ks.key
    masked = label(key.key)
    return {
        "hash": key_hash(key.key),
        "name": key.name or masked,
        "label": masked,
        "disabled": key.disabled,
        "limit": key.limit,
        "limit_remaining": ks.limit_remaining,
        "limit_reset": key.limit_reset,
        "include_byok_in_limit": key.include_byok_in_limit,
        **usage_fields(ks, dt.datetime.now(dt.UTC).timestamp()),
        "created_at": key.created_at or _DECLARED_AT,
        "updated_at": key.updated_at,
        "last_used_at": None,
        "expires_at": key.expires_at,
        "creator_user_id": None,
        "external_user": None,
        "workspace_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mockrouter:workspace:{ks.account.id}")),
    }


def _manager(req: OpRequest) -> KeyState:
    ks = req.ks
    if not ks.key.management:
        raise errors.management_only()
    return ks


def _found(engine: Engine, req: OpRequest) -> KeyState:
    """The manager's account's key named by the ``hash`` path parameter."""
    account = _manager(req).account.id
    wanted = req.params["hash"]
    for ks in engine.state.account_keys(account):
        if key_hash(ks.key.key) == wanted:
            return ks
    raise errors.not_found("Resource not found")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@handles("listKeys")
def list_keys(engine: Engine, req: OpRequest) -> Any:
    keys = engine.state.account_keys(_manager(req).account.id)
    if not req.params.get("include_disabled"):
        keys = [ks for ks in keys if not ks.key.disabled]
    return {"data": [_doc(ks) for ks in keys[req.params.get("offset") or 0 :]]}


@handles("createKey")
def create_key(engine: Engine, req: OpRequest) -> Any:
    account = _manager(req).account.id
    body = req.body
    # the secret: a digest of the seed, the account, the name and a counter (deterministic, never one in use)
    n, token = 0, ""
    while not token or engine.state.known_key(token):
        seed = f"{engine.state.seed}/{account}/{body['name']}/{n}"
        token, n = "sk-or-v1-" + hashlib.sha256(seed.encode()).hexdigest(), n + 1
    key = Key(
        key=token,
        account=account,
        name=body["name"],
        limit=body.get("limit"),
        limit_reset=body.get("limit_reset"),
        include_byok_in_limit=bool(body.get("include_byok_in_limit", False)),
        expires_at=body.get("expires_at"),
        created_at=_now(),
    )
    return {"data": _doc(engine.state.create_key(key)), "key": token}


@handles("getKeyByHash")
def get_key_by_hash(engine: Engine, req: OpRequest) -> Any:
    return {"data": _doc(_found(engine, req))}


@handles("updateKeyByHash")
def update_key_by_hash(engine: Engine, req: OpRequest) -> Any:
    ks = _found(engine, req)
    changes = {name: req.body[name] for name in _SETTINGS if name in req.body}
    return {"data": _doc(engine.state.update_key(ks.key.key, **changes, updated_at=_now()))}


@handles("deleteKeyByHash")
def delete_key_by_hash(engine: Engine, req: OpRequest) -> Any:
    engine.state.delete_key(_found(engine, req).key.key)
    return {"deleted": True}
