"""The request journal: every request, matched or not, valid or not, errored or not.

Entries are recorded in a ``finally`` around the pipeline (streams complete theirs when the stream
ends, so a cancellation is recorded too). Keys are stored redacted. Bounded: the oldest entries go.
A shared store's journal (``mockrouter.state.redis_journal``) overrides the storage hooks: ``_next_id``,
``_add``, ``close``, ``clear``, ``entries`` and ``total``; the queries are written once, here.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import re
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from mockrouter.kinds import Outcome

__all__ = ["SECRET_NAMES", "Entry", "Journal", "is_secret", "key_digest", "log_line", "redact", "redact_body"]


@functools.lru_cache(maxsize=4096)
def key_digest(secret: str) -> str:
    """A stable, non-reversible id of a key (journal queries by key)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@functools.lru_cache(maxsize=4096)
def redact(secret: str | None) -> str | None:
    """A key reduced to a short prefix: never log or record a full API key."""
    if secret is None:
        return None
    keep = min(12, max(3, len(secret) // 3))
    return secret[:keep] + "..."


@dataclass(slots=True)
class Entry:
    """One request as the journal keeps it (the lists start as one shared empty tuple: most entries keep them
    empty, and nothing appends to them: each is assigned whole)."""

    id: int
    time: float
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    key: str | None = None  # redacted
    key_hash: str | None = None  # a digest of the full key, to find a key's requests without storing it
    account: str | None = None
    model: str | None = None
    served_model: str | None = None
    provider: str | None = None
    stream: bool = False
    status: int = 0
    outcome: str = Outcome.PENDING  # a kinds.Outcome (kept as its text in the journal's JSON and the shared store)
    error: str | None = None
    stub: str | None = None
    near_misses: Sequence[dict[str, Any]] = ()
    attempts: Sequence[dict[str, Any]] = ()
    usage: dict[str, Any] | None = None
    cost: float | None = None
    generation_id: str | None = None
    duration_ms: float | None = None
    ttft_ms: float | None = None
    chunks: int = 0
    violations: Sequence[dict[str, str]] = ()
    faults: Sequence[dict[str, Any]] = ()
    retry_after: str | None = None
    done: bool = False
    worker: int | None = None  # the serving process's id when several workers share a journal

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Journal:
    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._entries: deque[Entry] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._total = 0

    @property
    def total(self) -> int:
        """Entries ever opened (clearing the journal does not reset it)."""
        return self._total

    def open(self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Entry:
        """Start an entry for an arriving request (it is in the journal from that moment on), its credentials
        redacted (:data:`SECRET_NAMES`)."""
        safe = dict(headers)
        for name in headers:
            if name in SECRET_NAMES or ("_" in name or not name.islower()) and is_secret(name):
                safe[name] = redact_value(name, safe[name])
        entry = Entry(self._next_id(), time.time(), method, path, redact_query(query) if query else "", safe)
        self._add(entry)
        return entry

    def _next_id(self) -> int:
        return next(self._ids)

    def _add(self, entry: Entry) -> None:
        self._entries.append(entry)
        self._total += 1

    def entries(self) -> Sequence[Entry]:
        """The entries now held, oldest first."""
        return self._entries

    def close(self, entry: Entry) -> None:
        """An entry is complete (its response, or its stream, ended): a shared journal stores it now."""
        entry.done = True
        log_line(entry)

    def clear(self) -> None:
        self._entries.clear()

    def __iter__(self) -> Iterator[Entry]:
        return iter(list(self.entries()))

    def __len__(self) -> int:
        return len(self.entries())

    def find(
        self,
        *,
        model: str | None = None,
        key: str | None = None,
        status: int | None = None,
        path: str | None = None,
        outcome: str | None = None,
        header: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """Entries matching every given criterion; ``header`` is ``name`` or ``name=regex``."""
        hname, _, hpattern = (header or "").partition("=")
        hre = re.compile(hpattern) if hpattern else None
        wanted_hash = key_digest(key) if key else None
        out = []
        for e in self.entries():
            if model is not None and model not in (e.model, e.served_model):
                continue
            if wanted_hash is not None and e.key_hash != wanted_hash:
                continue
            if status is not None and e.status != status:
                continue
            if path is not None and e.path != path:
                continue
            if outcome is not None and e.outcome != outcome:
                continue
            if hname:
                value = e.header(hname)
                if value is None or (hre is not None and not hre.search(value)):
                    continue
            if since is not None and e.time < since:
                continue
            if until is not None and e.time > until:
                continue
            out.append(e)
        return out[-limit:] if limit else out

    def count(self, **criteria: Any) -> int:
        return len(self.find(**criteria))

    def unmatched(self) -> list[Entry]:
        return [e for e in self.entries() if e.near_misses and e.stub is None]

    @property
    def last(self) -> Entry | None:
        entries = self.entries()
        return entries[-1] if entries else None


#: the names of the headers, query parameters and body fields that carry a credential, declared once for all three
#: (compared lower-case with ``_`` as ``-``: ``api_key`` in a query or a body is ``api-key``); their values are
#: journaled reduced to a prefix (:func:`redact`)
SECRET_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-mockrouter-key",
        "x-mockrouter-admin-token",
        "admin-token",
        "access-token",
    }
)
_SCHEMES = ("authorization", "proxy-authorization")  # "<scheme> <credential>": the scheme stays readable
_SPELLING = "|".join(re.escape(n).replace("\\-", "[-_]") for n in sorted(SECRET_NAMES))
_IN_TEXT = re.compile('("(?:' + _SPELLING + ')"\\s*:\\s*")([^"\\\\]*)', re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def is_secret(name: str) -> bool:
    return name.lower().replace("_", "-") in SECRET_NAMES


def redact_value(name: str, value: str) -> str:
    """A secret header's, query parameter's or body field's value reduced to a prefix."""
    if name.lower() in _SCHEMES:
        scheme, _, token = value.partition(" ")
        return f"{scheme} {redact(token)}" if token else (redact(value) or "")
    return redact(value) or ""


def redact_query(query: Mapping[str, str]) -> str:
    return "&".join(f"{k}={redact_value(k, v) if is_secret(k) else v}" for k, v in query.items())


def redact_body(doc: Any, raw: bytes) -> Any:
    """A body as the journal keeps it: every secret field's value (at any depth, or in a body kept as text) reduced
    to a prefix. ``doc`` itself when it names no secret (the usual case: one look at each key, and at each string
    that holds a quote; searching the bytes cost ~5 us a pattern a 20 KB conversation)."""
    return _redacted(doc) if _names_a_secret(doc) else doc


def _names_a_secret(doc: Any) -> bool:
    """Whether :func:`_redacted` would change ``doc``: a secret's name is a key in it, or a JSON key written in one
    of its strings."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and is_secret(key):
                    return True
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and '"' in node and _IN_TEXT.search(node):
            return True
    return False


def _redacted(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {
            k: (redact_value(k, v) if isinstance(v, str) else "...") if is_secret(k) else _redacted(v)
            for k, v in doc.items()
        }
    if isinstance(doc, list):
        return [_redacted(v) for v in doc]
    if isinstance(doc, str):
        return _IN_TEXT.sub(lambda m: m.group(1) + (redact(m.group(2)) or ""), doc)
    return doc


access_log = logging.getLogger("mockrouter.access")


def log_line(entry: Entry) -> None:
    """One concise line per request (``serve`` shows them at log level info)."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    route = (
        f" {entry.model or ''}->{entry.served_model or '-'}@{entry.provider or '-'}"
        if entry.model or entry.served_model
        else ""
    )
    cost = f" ${entry.cost:.6f}" if entry.cost is not None else ""
    error = f" {entry.error!r}" if entry.error else ""
    fields = (entry.method, entry.path, entry.status, entry.outcome, route, entry.duration_ms or 0.0, cost, error)
    access_log.info("%s %s %s %s%s %.1fms%s%s", *fields)
