"""The admin API's own OpenAPI document (kept apart from the OpenRouter contract)."""

from __future__ import annotations

from typing import Any

__all__ = ["document"]

_OBJ: dict[str, Any] = {"type": "object"}


def _op(summary: str, body: bool = False, status: str = "200") -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {status: {"description": "OK", "content": {"application/json": {"schema": _OBJ}}}},
    }
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _OBJ}}}
    return op


def document() -> dict[str, Any]:
    paths = {
        "/health": {"get": _op("Health, world size, seed, time_scale")},
        "/reset": {"post": _op("Reset state, scenarios, counters and (unless ?journal=false) the journal")},
        "/requests": {"get": _op("Journal entries; filters: model, key, status, path, outcome, header (name or name=regex), since, until, limit"),
                      "delete": _op("Clear the journal")},
        "/requests/count": {"get": _op("Count journal entries matching the same filters")},
        "/near-misses": {"get": _op("Requests that matched no stub, with the closest stubs and why they missed")},
        "/stubs": {"get": _op("List stubs (fixtures and runtime)"), "post": _op("Add runtime stubs (fixture format)", True, "201"),
                   "delete": _op("Remove all runtime stubs")},
        "/stubs/{name}": {"delete": _op("Remove one runtime stub")},
        "/scenarios": {"get": _op("Scenario states"), "delete": _op("Reset every scenario to 'started'")},
        "/scenarios/{name}": {"get": _op("One scenario's state"), "put": _op("Set a scenario's state: {\"state\": ...}", True),
                              "delete": _op("Reset one scenario")},
        "/faults": {"get": _op("Runtime faults and how often each fired"), "post": _op("Add a fault (faults.Fault fields)", True, "201"),
                    "delete": _op("Clear runtime faults")},
        "/accounts": {"get": _op("Accounts with credit, usage and balance")},
        "/accounts/{id}": {"get": _op("One account"), "put": _op("Set credits/usage/byok of an account", True)},
        "/keys": {"get": _op("A key's limit and usage (?key=)"), "put": _op("Set a key's limit/disabled/management or its account's credits", True)},
        "/settings": {"get": _op("Runtime settings"), "put": _op("Set seed, time_scale, down providers", True)},
        "/verdict": {"get": _op("Judge the client under test from the journal (?key=, ?since=)")},
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "mockrouter admin API", "version": "1.0.0"},
        "servers": [{"url": "/__mockrouter"}],
        "paths": paths,
    }
