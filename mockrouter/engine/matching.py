"""Stub matching that explains itself: ``match(stub, probe)`` returns the differences, and a stub fires
when there are none. ``nearest`` ranks the stubs that did not fire by how few fields differed."""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from mockrouter.values import value
from mockrouter.world import Stub

__all__ = ["Diff", "Probe", "match", "nearest", "select"]


@value
class Probe:
    """What stubs can match on, taken from a request."""

    path: str
    model: str | None
    message: str
    tools: bool
    stream: bool
    key: str | None
    headers: Mapping[str, str] = field(default_factory=dict)


@value
class Diff:
    field: str
    expected: Any
    actual: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "expected": self.expected, "actual": self.actual}


@functools.lru_cache(maxsize=4096)
def _model_matches(model: str, pattern: str) -> bool:
    """A model id against a stub's model pattern (a glob), worked out once per pair."""
    return fnmatch.fnmatchcase(model, pattern)


def match(stub: Stub, probe: Probe, scenario_state: str | None = None, hits: int = 0) -> list[Diff]:
    m = stub.match
    diffs: list[Diff] = []
    if m.path is not None and m.path != probe.path:
        diffs.append(Diff("path", m.path, probe.path))
    if m.model is not None and not (probe.model and _model_matches(probe.model, m.model)):
        diffs.append(Diff("model", m.model, probe.model))
    if m.message is not None and not m.message.search(probe.message):
        diffs.append(Diff("message", m.message.pattern, probe.message[:200]))
    if m.tools is not None and m.tools != probe.tools:
        diffs.append(Diff("tools", m.tools, probe.tools))
    if m.stream is not None and m.stream != probe.stream:
        diffs.append(Diff("stream", m.stream, probe.stream))
    if m.key is not None:
        ok = probe.key is not None and (probe.key.startswith(m.key[:-1]) if m.key.endswith("*") else probe.key == m.key)
        if not ok:
            diffs.append(
                Diff("key", m.key if m.key.endswith("*") else m.key[:8] + "...", (probe.key or "")[:8] + "...")
            )
    for name, pattern in m.headers.items():
        value = probe.headers.get(name)
        if value is None or not pattern.search(value):
            diffs.append(Diff(f"header:{name}", pattern.pattern, value))
    if stub.requires is not None and scenario_state != stub.requires:
        diffs.append(Diff(f"scenario:{stub.scenario}", stub.requires, scenario_state))
    if stub.times is not None and hits >= stub.times:
        diffs.append(Diff("times", stub.times, hits))
    return diffs


def select(
    stubs: Sequence[Stub], probe: Probe, states: Mapping[str, str], hits: Mapping[str, int]
) -> tuple[Stub | None, list[tuple[Stub, list[Diff]]]]:
    """The first stub (by priority) that matches, and the misses seen before it."""
    misses: list[tuple[Stub, list[Diff]]] = []
    for stub in stubs:
        state = states.get(stub.scenario, "started") if stub.scenario else None
        diffs = match(stub, probe, state, hits.get(stub.name, 0))
        if not diffs:
            return stub, misses
        misses.append((stub, diffs))
    return None, misses


def nearest(misses: Sequence[tuple[Stub, list[Diff]]], k: int = 3) -> list[dict[str, Any]]:
    """The ``k`` closest misses, with why each did not match."""
    ranked = sorted(misses, key=lambda sd: (len(sd[1]), sd[0].priority))[:k]
    return [{"stub": s.name, "distance": len(d), "diffs": [x.as_dict() for x in d]} for s, d in ranked]
