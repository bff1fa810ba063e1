"""Drift against OpenRouter's own published OpenAPI document.

For every operation the mock shares with OpenRouter's published document (``shared/contract/openrouter/
openapi.yaml``, beside the repository), the mock's real response is validated against the upstream 200
response schema, with ``$ref``s resolved in a registry over the whole upstream document. Each disagreement is
reported with a JSON pointer into the response (for ``required`` / ``additionalProperties`` errors the
pointer names the property). Known, explained deviations are listed in ONE place, ``DEVIATIONS``, and
filtered explicitly; an entry that no longer matches anything is stale and fails the test too.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.testclient import TestClient

from mockrouter import Mock, Settings, create_app
from mockrouter.contract.runner import sse_data
from mockrouter.fixtures import default_paths, world_from

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = REPO.parent / "shared" / "contract" / "openrouter" / "openapi.yaml"
UPSTREAM_URI = "urn:openrouter:openapi"

KEY = "sk-or-v1-" + "0123456789abcdef" * 4
MANAGEMENT_KEY = "sk-or-v1-" + "fedcba9876543210" * 4

#: (operation, JSON pointer pattern (``*`` = one segment) or ``keyword:<name>``, reason).
#: Operations are "<profile>: METHOD /path" (streams: "... POST /chat/completions (stream)"); the mock is checked
#: in both profiles: "current" (today's API, the default) and "launch" (Era A, Aug 2025).
#: Today's published document forbids neither extra properties nor an id format, so the wire-format extras the
#: mock sends (top-level ``provider``, ``native_finish_reason``, ``gen-`` ids) are no disagreement at all.
_ERA_A = "launch profile = Era A (Aug 2025): the field was added to the API later (contract notes §0.1a)"
DEVIATIONS: list[tuple[str, str, str]] = [
    ("launch: GET /models", "/total_count", _ERA_A + "; Era A answered {data: [...]} only (§0.1)"),
    ("launch: GET /models", "/links", _ERA_A + "; Era A answered {data: [...]} only (§0.1)"),
    ("launch: GET /models", "/data/*/links", _ERA_A),
    ("launch: GET /models", "/data/*/supported_voices", _ERA_A),
    *[("launch: GET /models/{author}/{slug}/endpoints", f"/data/endpoints/*/{name}", _ERA_A)
      for name in ("model_id", "uptime_last_5m", "uptime_last_1d", "latency_last_30m", "throughput_last_30m")],
    *[("launch: GET /generation", f"/data/{name}", _ERA_A)
      for name in ("data_region", "http_referer", "num_fetches", "preset_id", "provider_responses", "router",
                   "service_tier", "user_agent", "web_search_engine", "workspace_id")],
    ("launch: GET /key", "/data/is_management_key", _ERA_A),
    ("launch: GET /key", "/data/creator_user_id", _ERA_A),
    ("launch: POST /chat/completions (stream)", "/data/system_fingerprint",
     "launch-era captures carry \"system_fingerprint\": null on content and finish chunks; the later document "
     "(and today's mock) omits the key instead"),
]  # fmt: skip
PROFILES = ("current", "launch")


def _leaves(error: Any) -> list[Any]:
    if not error.context:
        return [error]
    best = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
    return _leaves(best) if len(best.absolute_path) > len(error.absolute_path) else [error]


def _pointer(parts: Iterator[Any] | list[Any]) -> str:
    return "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in parts)


def disagreements(validator: Draft202012Validator, instance: Any) -> list[tuple[str, str, str]]:
    """(pointer, keyword, message) for every violation; required/additionalProperties name the property."""
    out = []
    for error in validator.iter_errors(instance):
        for leaf in _leaves(error):
            path = list(leaf.absolute_path)
            if leaf.validator == "required":
                missing = [
                    p for p in leaf.validator_value if isinstance(leaf.instance, dict) and p not in leaf.instance
                ]
                for name in missing:
                    out.append((_pointer([*path, name]), "required", "required property missing"))
                continue
            if leaf.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(leaf.instance, dict):
                allowed = set(leaf.schema.get("properties", {}))
                for name in sorted(set(leaf.instance) - allowed):
                    out.append((_pointer([*path, name]), str(leaf.validator), leaf.message))
                continue
            out.append((_pointer(path), str(leaf.validator), leaf.message[:300]))
    return sorted(set(out))


def _explained(operation: str, pointer: str, keyword: str) -> tuple[str, str, str] | None:
    for entry in DEVIATIONS:
        op, where, _ = entry
        if op != operation:
            continue
        if where.startswith("keyword:") and where.removeprefix("keyword:") == keyword:
            return entry
        if fnmatch.fnmatchcase(pointer, where) and pointer.count("/") == where.count("/"):
            return entry
    return None


@pytest.fixture(scope="module")
def upstream() -> dict[str, Any]:
    if not UPSTREAM.is_file():
        pytest.skip(f"OpenRouter's published OpenAPI document is not at {UPSTREAM} (shared/ missing)")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with UPSTREAM.open("rb") as fh:
        return yaml.load(fh, Loader=loader)  # CSafeLoader / SafeLoader


def _validator(upstream: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    registry = Registry().with_resource(UPSTREAM_URI, Resource(contents=upstream, specification=DRAFT202012))
    return Draft202012Validator(schema, registry=registry, _resolver=registry.resolver(base_uri=UPSTREAM_URI))


def _response_schema(upstream: dict[str, Any], method: str, path: str, media: str) -> dict[str, Any]:
    return upstream["paths"][path][method.lower()]["responses"]["200"]["content"][media]["schema"]


@pytest.fixture(scope="module", params=PROFILES)
def responses(request: pytest.FixtureRequest) -> dict[str, tuple[str, str, Any]]:
    """The mock's answers, by "<profile>: <operation>": (upstream path, media type, document)."""
    return {f"{request.param}: {op}": answer for op, answer in mock_responses(request.param).items()}


def mock_responses(profile: str) -> dict[str, tuple[str, str, Any]]:
    world = world_from({"keys": [{"key": KEY}, {"key": MANAGEMENT_KEY, "management": True}]}, base=default_paths())
    settings = Settings(time_scale=0, seed=0, profile=profile)
    auth = {"Authorization": f"Bearer {KEY}"}
    body = {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "What is the capital of France?"}]}
    out: dict[str, tuple[str, str, Any]] = {}
    with TestClient(create_app(mock=Mock(settings, world=world))) as client:

        def get(op: str, path: str, upstream_path: str, headers: dict[str, str] | None = None, **params: str) -> None:
            r = client.get(f"/api/v1{path}", params=params, headers=headers or auth)
            assert r.status_code == 200, (op, r.status_code, r.text[:500])
            out[op] = (upstream_path, "application/json", r.json())

        chat = client.post("/api/v1/chat/completions", json=body, headers=auth)
        assert chat.status_code == 200, chat.text
        out["POST /chat/completions"] = ("/chat/completions", "application/json", chat.json())
        stream = client.post("/api/v1/chat/completions", json={**body, "stream": True}, headers=auth)
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        events = [{"data": json.loads(d)} for d in sse_data(stream.content) if d != "[DONE]"]
        out["POST /chat/completions (stream)"] = ("/chat/completions", "text/event-stream", events)
        get("GET /models", "/models", "/models")
        get("GET /models/{author}/{slug}/endpoints", "/models/openai/gpt-5-mini/endpoints",
            "/models/{author}/{slug}/endpoints")  # fmt: skip
        get("GET /providers", "/providers", "/providers")
        get("GET /generation", "/generation", "/generation", id=chat.json()["id"])
        get("GET /key", "/key", "/key")
        get("GET /credits", "/credits", "/credits", headers={"Authorization": f"Bearer {MANAGEMENT_KEY}"})
    return out


OPERATIONS = [
    "POST /chat/completions",
    "POST /chat/completions (stream)",
    "GET /models",
    "GET /models/{author}/{slug}/endpoints",
    "GET /providers",
    "GET /generation",
    "GET /key",
    "GET /credits",
]


def _found(
    upstream: dict[str, Any], responses: dict[str, tuple[str, str, Any]]
) -> dict[str, list[tuple[str, str, str]]]:
    found: dict[str, list[tuple[str, str, str]]] = {}
    for op, (path, media, document) in responses.items():
        method = op.split(": ", 1)[1].split()[0]
        validator = _validator(upstream, _response_schema(upstream, method, path, media))
        instances = document if media == "text/event-stream" else [document]
        seen: list[tuple[str, str, str]] = []
        for index, instance in enumerate(instances):
            for pointer, keyword, message in disagreements(validator, instance):
                where = f"/{index}{pointer}" if media == "text/event-stream" else pointer
                # stream pointers are per event: /<event index>/data/...; deviations match on the event-free part
                seen.append((pointer if media == "text/event-stream" else where, keyword, message))
        found[op] = sorted(set(seen))
    return found


@pytest.mark.parametrize("operation", OPERATIONS)
def test_mock_matches_upstream(operation, upstream, responses):
    profile = next(iter(responses)).split(": ", 1)[0]
    operation = f"{profile}: {operation}"
    found = _found(upstream, {operation: responses[operation]})[operation]
    unexplained = [f"{p} [{k}] {m}" for p, k, m in found if _explained(operation, p, k) is None]
    assert not unexplained, (
        f"{operation}: the mock's response disagrees with OpenRouter's published document "
        f"({UPSTREAM.name}):\n  "
        + "\n  ".join(unexplained)
        + "\nFix the mock/schemas, or record the reason in DEVIATIONS."
    )


def test_no_stale_deviations(upstream):
    found: dict[str, list[tuple[str, str, str]]] = {}
    for profile in PROFILES:
        answers = {f"{profile}: {op}": answer for op, answer in mock_responses(profile).items()}
        found |= _found(upstream, answers)
    used = {_explained(op, p, k) for op, items in found.items() for p, k, _ in items}
    stale = [entry for entry in DEVIATIONS if entry not in used]
    assert not stale, f"DEVIATIONS entries that match nothing any more (remove them): {stale}"
