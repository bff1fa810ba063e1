"""The SSE convention of the OpenAPI documents (``contract.openapi``), as code: the ``data:`` payloads of a
stream and what is wrong with a completion stream (used by the contract runner's stream check and the tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from mockrouter.contract import schemas as contract

__all__ = ["sse_data", "stream_problems"]


def sse_data(raw: bytes) -> Iterator[str]:
    """The ``data:`` payloads of an SSE body, one per event (comments and other fields skipped)."""
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    for block in text.split("\n\n"):
        data = [line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")]
        if data:
            yield "\n".join(data)


def stream_problems(raw: bytes, chunk_schema: str, complete: bool = True, done: bool = True) -> list[str]:
    """What is wrong with an SSE completion stream (empty when nothing is); ``done``: the stream must end with
    ``data: [DONE]`` (chat and text completions; the Responses API's typed events just end)."""
    problems: list[str] = []
    ids: set[str] = set()
    events = list(sse_data(raw))
    last_error, done_at = False, None
    for index, data in enumerate(events):
        if data == "[DONE]":
            done_at = index
            continue
        if done_at is not None:
            problems.append(f"event #{index} comes after [DONE]")
        try:
            event = json.loads(data)
        except ValueError as exc:
            problems.append(f"event #{index} is not JSON ({exc}): {data[:200]!r}")
            continue
        problems += [
            f"event #{index} violates {chunk_schema} at {v.pointer or '/'}: {v.message}"
            for v in contract.validate(chunk_schema, event)
        ]
        if isinstance(event, dict):
            ids.update([event["id"]] if isinstance(event.get("id"), str) else [])
            last_error = isinstance(event.get("error"), dict)
    if not events:
        problems.append("the stream carried no data events")
    if len(ids) > 1:
        problems.append(f"chunks carry {len(ids)} different ids: {sorted(ids)[:5]}")
    if done and complete and events and done_at is None and not last_error:
        problems.append("the stream ended without data: [DONE] (and without a mid-stream error event)")
    return problems[:20]
