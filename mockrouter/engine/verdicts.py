"""Judging the client under test from the journal: did it honour ``Retry-After``, did it retry what must
not be retried, how did it back off, did it identify itself (``HTTP-Referer`` / ``X-Title``)?

A *retry* is a request with the same key, path and body as the one before it from that key.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from mockrouter.contract.operations import operations
from mockrouter.kinds import Outcome
from mockrouter.seeding import fingerprint
from mockrouter.state.journal import Entry, Journal, key_digest

__all__ = ["NOT_RETRYABLE", "judge"]

#: statuses a client must not retry unchanged (402 only without Retry-After)
NOT_RETRYABLE = (400, 401, 402, 403, 404, 413, 422)
_COMPLETIONS = tuple(op.url for op in operations() if op.completion)


def _retry_after(entry: Entry) -> float | None:
    if entry.retry_after is None:
        return None
    try:
        return float(entry.retry_after)
    except ValueError:
        return None


def judge(journal: Journal | list[Entry], key: str | None = None, since: float = 0.0) -> dict[str, Any]:
    entries = [e for e in journal if e.path in _COMPLETIONS and e.time >= since and e.done]
    if key:
        wanted = key_digest(key)
        entries = [e for e in entries if e.key_hash == wanted]
    by_key: dict[str | None, list[Entry]] = defaultdict(list)
    for e in entries:
        by_key[e.key_hash].append(e)
    problems: list[str] = []
    retries: list[dict[str, Any]] = []
    for items in by_key.values():
        items.sort(key=lambda e: e.time)
        for prev, nxt in zip(items, items[1:], strict=False):
            if (prev.path, fingerprint(prev.body)) != (nxt.path, fingerprint(nxt.body)) or prev.status < 400:
                continue
            gap = nxt.time - prev.time - (prev.duration_ms or 0) / 1000.0
            wait = _retry_after(prev)
            retries.append(
                {
                    "key": items[0].key,
                    "after_request": prev.id,
                    "retry": nxt.id,
                    "status": prev.status,
                    "gap_s": round(gap, 3),
                    "retry_after_s": wait,
                }
            )
            if wait is not None and gap + 0.05 < wait:
                problems.append(
                    f"request {nxt.id} retried {gap:.2f}s after a {prev.status} that said Retry-After: {prev.retry_after}"
                )
            if prev.status in NOT_RETRYABLE and not (prev.status == 402 and wait is not None):
                problems.append(
                    f"request {nxt.id} retried a {prev.status} ({prev.error}), which must not be retried unchanged"
                )
    gaps = [r["gap_s"] for r in retries]
    backoff = (
        "none"
        if len(gaps) < 2
        else ("growing" if all(b >= a * 0.9 for a, b in zip(gaps, gaps[1:], strict=False)) else "flat")
    )
    mid = [e for e in entries if e.outcome == Outcome.MID_STREAM_ERROR]
    identified = [e for e in entries if e.header("http-referer")]
    titled = [e for e in entries if e.header("x-title") or e.header("x-openrouter-title")]
    if entries and not identified:
        problems.append("no request sent HTTP-Referer (OpenRouter uses it to attribute the app)")
    if entries and not titled:
        problems.append("no request sent X-Title / X-OpenRouter-Title")
    return {
        "ok": not problems,
        "requests": len(entries),
        "retries": retries,
        "max_attempts": 1 + max((_chain(items) for items in by_key.values()), default=0) if entries else 0,
        "backoff": backoff,
        "mid_stream_errors": len(mid),
        "sent_referer": len(identified),
        "sent_title": len(titled),
        "problems": problems,
    }


def _chain(items: list[Entry]) -> int:
    """The longest run of consecutive retries of one request."""
    best = run = 0
    for prev, nxt in zip(items, items[1:], strict=False):
        same = (prev.path, fingerprint(prev.body)) == (nxt.path, fingerprint(nxt.body)) and prev.status >= 400
        run = run + 1 if same else 0
        best = max(best, run)
    return best
