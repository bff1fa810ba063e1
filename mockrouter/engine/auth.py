"""Bearer parsing and key state. Authentication is checked before the body is read."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from mockrouter import errors
from mockrouter.kinds import Profile
from mockrouter.state.protocol import KeyState, State

__all__ = ["authenticate", "bearer", "label", "user_id"]

_TOKEN = re.compile(r"^[\x21-\x7e]{1,1024}$")


def bearer(headers: Mapping[str, str]) -> str | None:
    """The bearer token of an ``Authorization`` header, or None when there is none."""
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(token: str | None, state: State, profile: Profile, strict: bool) -> KeyState:
    """The state of the caller's key (``token``: the call's :func:`bearer` token); 401 when there is no usable key
    (OpenRouter's exact wording)."""
    if token is None:
        raise errors.no_auth(profile.no_auth_message)
    if not _TOKEN.match(token):
        raise errors.user_not_found()
    if strict and not state.known_key(token):
        raise errors.user_not_found()
    ks = state.key_state(token)
    if ks.key.disabled or ks.key.deleted:
        raise errors.user_not_found()
    return ks


def label(token: str, name: str | None = None) -> str:
    """How ``/key`` shows a key: its name, or ``sk-or-v1-a20...c62``."""
    if name:
        return name
    head = token[: min(len(token) // 2, 12)]
    return f"{head}...{token[-3:]}" if len(token) > 16 else head + "..."


def user_id(account: str) -> str:
    return "user_" + hashlib.sha1(account.encode()).hexdigest()[:27]
