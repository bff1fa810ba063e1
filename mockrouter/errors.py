"""OpenRouter's errors as data, rendered in exactly one place (:func:`envelope`).

Hierarchy::

    Exception
     ├── FixtureError          a fixture file is wrong (file + JSON pointer); raised at start-up
     └── MockRouterError       anything answered with OpenRouter's envelope
                               {"error": {"code": status, "message": ..., "metadata": {...}}}

Every constructor below takes its exact wording from ``openrouter-contract.md`` (§7, §8).
Era B (the ``current`` profile) adds ``metadata.error_type``; :func:`envelope` does that, for every route.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mockrouter.contract import schemas

__all__ = [
    "ERROR_TYPES",
    "FixtureError",
    "MockRouterError",
    "bad_request",
    "envelope",
    "for_status",
    "byok_required",
    "insufficient_credits",
    "invalid_model",
    "key_limit_exceeded",
    "management_only",
    "moderation_flagged",
    "no_allowed_providers",
    "no_auth",
    "no_endpoints",
    "no_tool_endpoints",
    "not_found",
    "provider_error",
    "rate_limited_free",
    "user_not_found",
]

ROUTING_DOCS = "https://openrouter.ai/docs/provider-routing"

#: Era B canonical ``metadata.error_type`` per status (contract §7.4).
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request",
    401: "authentication",
    402: "payment_required",
    403: "permission_denied",
    404: "not_found",
    405: "invalid_request",
    408: "timeout",
    413: "payload_too_large",
    422: "unprocessable",
    429: "rate_limit_exceeded",
    500: "server",
    502: "provider_unavailable",
    503: "provider_overloaded",
    504: "timeout",
    524: "timeout",
    529: "provider_overloaded",
}

#: The message OpenRouter uses for a status when nothing more specific applies.
DEFAULT_MESSAGES: dict[int, str] = {
    400: "Bad Request",
    401: "User not found.",
    402: "Insufficient credits. Add more using https://openrouter.ai/credits",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Operation timed out. Please try again later.",
    413: "Request payload too large",
    422: "Invalid argument",
    429: "Rate limit exceeded",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Provider returned error",
    503: "Service temporarily unavailable",
    504: "Gateway Timeout",
    524: "Request timed out. Please try again later.",
    529: "Provider returned error",
}


class FixtureError(Exception):
    """A fixture is wrong: names the file and the JSON pointer of the bad field."""

    def __init__(self, file: str, pointer: str, message: str) -> None:
        self.file, self.pointer, self.message = file, pointer or "/", message
        super().__init__(f"{file}: {self.pointer}: {message}")


@dataclass
class MockRouterError(Exception):
    status: int
    message: str
    metadata: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    with_user: bool = True

    def __post_init__(self) -> None:
        super().__init__(f"{self.status}: {self.message}")

    @classmethod
    def of(cls, status: int, message: str | None = None, **metadata: Any) -> MockRouterError:
        return cls(status, message or DEFAULT_MESSAGES.get(status, "Error"), metadata or None)


def bad_request(message: str, **metadata: Any) -> MockRouterError:
    return MockRouterError(400, message, metadata or None)


def envelope(exc: MockRouterError, error_type: bool = True, user: str | None = None) -> dict[str, Any]:
    """The one rendering of an error: ``{"error": {"message", "code", "metadata"?}, "user_id"?}``.

    ``error_type``: the profile adds ``metadata.error_type`` (Era B); ``user``: the caller's user id, sent with
    the errors OpenRouter sends it with."""
    error: dict[str, Any] = {"message": exc.message, "code": exc.status}
    metadata = dict(exc.metadata) if exc.metadata else None
    if error_type:
        metadata = metadata or {}
        metadata.setdefault("error_type", ERROR_TYPES.get(exc.status, "unmapped"))
    elif metadata is not None:
        metadata.pop("error_type", None)
    if metadata is not None:
        error["metadata"] = metadata
    body: dict[str, Any] = {"error": error}
    if user is not None and exc.with_user:
        body["user_id"] = user
    return body


def no_auth(message: str) -> MockRouterError:
    """401 without a key (the profile's wording)."""
    return MockRouterError(401, message, None, with_user=False)


def user_not_found() -> MockRouterError:
    return MockRouterError(401, "User not found.", None, with_user=False)


def management_only() -> MockRouterError:
    return MockRouterError(403, "Only management keys can perform this operation")


def invalid_model(model: str) -> MockRouterError:
    return MockRouterError(400, f"{model} is not a valid model ID")


def not_found(message: str = "Not Found", **metadata: Any) -> MockRouterError:
    return MockRouterError(404, message, metadata or None, with_user=False)


def byok_required(message: str) -> MockRouterError:
    return MockRouterError(403, message)


def no_endpoints(model: str) -> MockRouterError:
    return MockRouterError(404, f"No endpoints found for {model}.")


def no_tool_endpoints() -> MockRouterError:
    return MockRouterError(
        404, f"No endpoints found that support tool use. To learn more about provider routing, visit: {ROUTING_DOCS}"
    )


def no_allowed_providers(available: list[str], requested: list[str]) -> MockRouterError:
    return MockRouterError(
        404,
        "No allowed providers are available for the selected model.",
        {"available_providers": available, "requested_providers": requested},
    )


def insufficient_credits(requested: int, affordable: int, key_capped: bool = False) -> MockRouterError:
    where = (
        "visit https://openrouter.ai/settings/keys and create a key with a higher monthly limit"
        if key_capped
        else "visit https://openrouter.ai/settings/credits and upgrade to a paid account"
    )
    return MockRouterError(
        402,
        f"This request requires more credits, or fewer max_tokens. You requested up to {requested} tokens, "
        f"but can only afford {affordable}. To increase, {where}",
        {"provider_name": None},
    )


def key_limit_exceeded() -> MockRouterError:
    return MockRouterError(403, "Key limit exceeded (total limit). Manage it using https://openrouter.ai/settings/keys")


def moderation_flagged(model: str, provider: str, reasons: list[str], text: str) -> MockRouterError:
    flagged = text if len(text) <= 100 else text[:48] + "..." + text[-49:]
    return MockRouterError(
        403,
        f'{model} requires moderation on {provider}. Your input was flagged for "{", ".join(reasons)}". '
        "No credits were charged.",
        {"reasons": reasons, "flagged_input": flagged, "provider_name": provider, "model_slug": model},
    )


def rate_limited_free(kind: str, limit: int, reset_ms: int, retry_after: int | None) -> MockRouterError:
    if kind == "day":
        text = "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day"
    else:
        text = "Rate limit exceeded: free-models-per-min."
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset_ms)}
    wire = dict(headers)
    if retry_after is not None:
        wire["Retry-After"] = _seconds(retry_after)
    return MockRouterError(429, text, {"headers": headers}, wire)


def provider_error(
    status: int,
    provider: str,
    raw: Any = None,
    *,
    model: str = "",
    is_byok: bool = False,
    retry_after: float | None = None,
    message: str | None = None,
) -> MockRouterError:
    """An upstream provider failure as OpenRouter reports it (``Provider returned error`` + raw)."""
    if raw is None:
        raw = {
            429: f"{model} is temporarily rate-limited upstream. Please retry shortly, or add your own key to "
            "accumulate your rate limits: https://openrouter.ai/settings/integrations",
            408: "Operation timed out",
            524: "error code: 524",
        }.get(status, f"{provider} returned HTTP {status}")
    if message is None:
        message = DEFAULT_MESSAGES[status] if status in (408, 503, 524) else "Provider returned error"
    headers = {"Retry-After": _seconds(retry_after)} if retry_after is not None else {}
    return MockRouterError(status, message, {"provider_name": provider, "raw": raw, "is_byok": is_byok}, headers)


@cache
def _retry_after_max() -> float:
    return float(schemas.schema("fixtures.json")["$defs"]["RetryAfter"]["maximum"])


def _seconds(value: float) -> str:
    """A ``Retry-After`` value, whatever its source (fixtures, faults, rate windows): a finite number of seconds in
    the declared range (``fixtures.json#/$defs/RetryAfter``), to the millisecond; never ``inf``, ``nan``, negative
    or hundreds of digits long."""
    value = float(value)
    seconds = min(value, _retry_after_max()) if value >= 0 else 0.0  # NaN and negatives: 0
    return str(int(seconds)) if seconds.is_integer() else f"{seconds:.3f}".rstrip("0").rstrip(".")


def for_status(
    status: int,
    *,
    model: str = "",
    provider: str = "",
    message: str | None = None,
    metadata: dict[str, Any] | None = None,
    retry_after: float | None = None,
) -> MockRouterError:
    """The real body OpenRouter sends for ``status`` when a test asks for that status."""
    if status in (429, 502, 524, 529):  # upstream failures: "Provider returned error" + raw
        err = provider_error(status, provider or "OpenAI", model=model, retry_after=retry_after, message=message)
    else:
        defaults = {
            401: user_not_found(),
            402: insufficient_credits(4096, 0),
            403: key_limit_exceeded(),
            404: no_endpoints(model or "this model"),
            400: bad_request("Provider returned error", provider_name=provider or None, raw="Invalid request"),
        }
        err = defaults.get(status) or MockRouterError.of(status)
        if retry_after is not None:
            err.headers["Retry-After"] = _seconds(retry_after)
        if message is not None:
            err.message = message
    if metadata:
        err.metadata = {**(err.metadata or {}), **metadata}
    return err
