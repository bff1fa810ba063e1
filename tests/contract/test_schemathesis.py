"""schemathesis against the mock, with the contract built from ``schemas/`` (``mockrouter.contract.runner``).

* in-process (``from_asgi`` on ``create_app``): every phase (examples, coverage, fuzzing with negative data,
  stateful links), strict keys so ``ignored_auth`` is checked too, and every enum value and optional field of
  both request schemas sent at least once;
* over a socket (``MockRouterServer``, default settings): the same contract through uvicorn, SSE included;
* the run's own guarantees: ``max_requests`` is a hard cap, ``dry_run`` sends nothing, and a broken server
  is caught (so a green run means something).

Zero failures are required. Bugs of the mock that the run finds and that are not fixed yet are listed in
``KNOWN_MOCK_BUGS`` (filtered explicitly, each with a strict-xfail reproduction below that starts passing,
and so fails, once the bug is fixed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from mockrouter import Mock, MockRouterServer, Settings, create_app
from mockrouter.contract import schemas as contract
from mockrouter.contract.operations import Surface, operations
from mockrouter.contract.runner import MOCK_KEY, Failure, Report, command, not_applicable, run
from mockrouter.fixtures import default_paths, world_from

#: (check, operation label or "*", text in the failure's response or message, what is wrong, the fix).
KNOWN_MOCK_BUGS: list[tuple[str, str, str, str, str]] = [
]  # fmt: skip

#: from the registry: every published operation, and the request schema of those with a body
API = [op for op in operations(Surface.API) if op.published]
REQUEST_SCHEMAS = {f"{op.method} {op.path}": op.request for op in API if op.request}
ALL_OPERATIONS = {f"{op.method} {op.path}" for op in API}


def _known(failure: Failure) -> bool:
    text = f"{failure.message}\n{failure.response}"
    return any(check == failure.check and op in ("*", failure.operation) and needle in text
               for check, op, needle, _, _ in KNOWN_MOCK_BUGS)  # fmt: skip


def assert_clean(report: Report) -> None:
    unexplained = [f for f in report.failures if not _known(f)]
    assert not report.errors, report.render()
    assert not unexplained, report.render()


def _strict_app() -> Any:
    world = world_from({"keys": [{"key": MOCK_KEY}]}, base=default_paths())
    return create_app(mock=Mock(Settings(time_scale=0, seed=0, strict_keys=True), world=world))


def test_in_process_every_phase():
    started = time.monotonic()
    report = run(None, None, max_examples=10, operations=None, dry_run=False, max_requests=20_000, app=_strict_app())
    print(report.render(), f"\n[in-process run: {time.monotonic() - started:.1f}s]")
    assert_clean(report)
    assert set(report.operations) == ALL_OPERATIONS
    assert all(op.cases > 0 for op in report.operations.values())
    assert report.modes.get("negative", 0) > 100, "the fuzzing (negative) phase must run"
    assert report.streams_checked > 0 and report.events_checked > report.streams_checked
    assert report.generations_followed > 0, "the GetGeneration link must be followed"
    for label, schema_name in REQUEST_SCHEMAS.items():
        universe, seen = request_coverage(schema_name, report.bodies.get(label, []))
        missing = sorted(universe - seen)
        assert not missing, f"{label}: never sent ({len(missing)} of {len(universe)}):\n" + "\n".join(missing)


@pytest.mark.socket
def test_over_socket():
    """Real HTTP through uvicorn with the default settings, where any well-formed key is accepted by design
    (``--strict-keys`` is off): the run reads that from the admin health document and reports ``ignored_auth``
    as not applicable, with the reason; the in-process run (strict keys) covers it."""
    with MockRouterServer(Settings(time_scale=0, seed=0)) as server:
        started = time.monotonic()
        report = run(server.base_url, None, max_examples=5, operations=None, dry_run=False, max_requests=10_000)
        print(report.render(), f"\n[socket run: {time.monotonic() - started:.1f}s]")
    assert_clean(report)
    assert set(report.not_applicable) == {"ignored_auth"} and "any-key" in report.not_applicable["ignored_auth"]
    assert set(report.operations) == ALL_OPERATIONS
    assert report.streams_checked > 0 and report.generations_followed > 0
    assert report.modes.get("negative", 0) > 0


def test_max_requests_is_a_hard_cap():
    mock = Mock(Settings(time_scale=0, seed=0))
    report = run(None, None, max_examples=50, operations=None, dry_run=False, max_requests=7,
                 app=create_app(mock=mock))  # fmt: skip
    assert report.budget_exhausted and report.requests_sent == 7
    served = mock.journal.count() - 1  # the schema itself is fetched from /api/v1/openapi.json
    assert served == 7, served
    assert "budget exhausted" in report.render()


def test_dry_run_sends_nothing():
    mock = Mock(Settings(time_scale=0, seed=0))
    report = run(None, None, max_examples=3, operations=["createChatCompletion", "GET /key"], dry_run=True,
                 max_requests=10, app=create_app(mock=mock))  # fmt: skip
    assert mock.journal.count() == 1  # the schema fetch only
    assert report.planned and report.requests_sent == 0 and report.ok
    assert all(p.startswith(("POST /chat/completions", "GET /key")) for p in report.planned), report.planned
    assert MOCK_KEY not in report.render()  # keys are never printed in full


def test_real_server_needs_a_key():
    with pytest.raises(ValueError, match="API key"):
        run("https://openrouter.example/api/v1", None, 1, None, False, 10)


# --------------------------------------------------------------------------- request coverage (what was sent)


def request_coverage(schema_name: str, bodies: Iterable[Any]) -> tuple[set[str], set[str]]:
    """What of schema ``schema_name`` the ``bodies`` exercised: ``(all_items, exercised_items)``.

    Items are ``optional <location>/<property>`` (an optional property present at least once),
    ``enum <location> <value>`` (each enum value sent) and ``branch <location>/<anyOf|oneOf>/<i>`` (each
    alternative matched). Locations are the absolute refs of ``schemas/`` (a ``$def`` counts once, wherever
    it is used).
    """
    validator = contract.validator(schema_name)
    root = validator._resolver  # jsonschema has no public resolver accessor
    universe: set[str] = set()
    # a definition inside a file is reached through a reference, so its own references resolve in its file
    start = {"$ref": schema_name} if "#" in schema_name else contract.schema(schema_name)
    key = schema_name if "#" in schema_name else schema_name + "#"
    _universe(start, key, root, universe, set())
    seen: set[str] = set()
    for body in bodies:
        _exercise(body, start, key, root, validator, seen)
    return universe, seen & universe


def _enum_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _children(schema: dict[str, Any], key: str) -> Iterator[tuple[str, Any]]:
    for word in ("items", "additionalProperties", "not", "contains", "propertyNames"):
        if isinstance(schema.get(word), dict):
            yield f"{key}/{word}", schema[word]
    for word in ("if", "then", "else"):
        if isinstance(schema.get(word), dict):
            yield f"{key}/{word}", schema[word]


def _universe(schema: Any, key: str, resolver: Any, out: set[str], refs: set[str]) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("$ref"), str):
        resolved = resolver.lookup(schema["$ref"])
        target = _ref_key(resolver, schema["$ref"])
        if target not in refs:
            refs.add(target)
            _universe(resolved.contents, target, resolved.resolver, out, refs)
    for value in schema.get("enum", []) or []:
        out.add(f"enum {key} {_enum_key(value)}")
    required = set(schema.get("required", []))
    for name, sub in (schema.get("properties") or {}).items():
        if name not in required:
            out.add(f"optional {key}/properties/{name}")
        _universe(sub, f"{key}/properties/{name}", resolver, out, refs)
    for word in ("anyOf", "oneOf"):
        for i, sub in enumerate(schema.get(word, []) or []):
            out.add(f"branch {key}/{word}/{i}")
            _universe(sub, f"{key}/{word}/{i}", resolver, out, refs)
    for i, sub in enumerate(schema.get("allOf", []) or []):
        _universe(sub, f"{key}/allOf/{i}", resolver, out, refs)
    for child_key, sub in _children(schema, key):
        if not child_key.endswith(("/not", "/if")):
            _universe(sub, child_key, resolver, out, refs)


def _ref_key(resolver: Any, ref: str) -> str:
    base = str(resolver._base_uri)
    file, _, fragment = ref.partition("#")
    return f"{file or base}#{fragment}"


def _exercise(instance: Any, schema: Any, key: str, resolver: Any, validator: Any, seen: set[str]) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("$ref"), str):
        resolved = resolver.lookup(schema["$ref"])
        _exercise(instance, resolved.contents, _ref_key(resolver, schema["$ref"]), resolved.resolver, validator, seen)
    for value in schema.get("enum", []) or []:
        if type(value) is type(instance) and value == instance:
            seen.add(f"enum {key} {_enum_key(value)}")
    if isinstance(instance, dict):
        required = set(schema.get("required", []))
        properties = schema.get("properties") or {}
        for name, sub in properties.items():
            if name in instance:
                if name not in required:
                    seen.add(f"optional {key}/properties/{name}")
                _exercise(instance[name], sub, f"{key}/properties/{name}", resolver, validator, seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name, value in instance.items():
                if name not in properties:
                    _exercise(value, extra, f"{key}/additionalProperties", resolver, validator, seen)
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for item in instance:
            _exercise(item, schema["items"], f"{key}/items", resolver, validator, seen)
    local = validator.evolve(schema=schema, _resolver=resolver)
    for word in ("anyOf", "oneOf"):
        for i, sub in enumerate(schema.get(word, []) or []):
            if local.evolve(schema=sub).is_valid(instance):
                seen.add(f"branch {key}/{word}/{i}")
                _exercise(instance, sub, f"{key}/{word}/{i}", resolver, validator, seen)
    for i, sub in enumerate(schema.get("allOf", []) or []):
        _exercise(instance, sub, f"{key}/allOf/{i}", resolver, validator, seen)
    if isinstance(schema.get("if"), dict):
        branch = "then" if local.evolve(schema=schema["if"]).is_valid(instance) else "else"
        if isinstance(schema.get(branch), dict):
            _exercise(instance, schema[branch], f"{key}/{branch}", resolver, validator, seen)


# --------------------------------------------------------------------------- a broken server is caught


def _broken_app() -> Starlette:
    """Answers like OpenRouter, but wrong: a chunk without `created`, a stream without [DONE], an error whose
    code differs from its status, a 500."""
    from mockrouter.contract.openapi import document_bytes

    chunk = {"id": "gen-1-a", "object": "chat.completion.chunk", "model": "m",
             "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}]}  # fmt: skip

    async def chat(request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        if body.get("stream"):
            return Response(f"data: {json.dumps(chunk)}\n\n", media_type="text/event-stream")
        if not isinstance(body.get("messages"), list):
            return JSONResponse({"error": {"message": "bad", "code": 418}}, status_code=400)
        return JSONResponse({"error": {"message": "boom", "code": 501}}, status_code=500)

    async def spec(request: Request) -> Response:
        return Response(document_bytes(), media_type="application/json")

    return Starlette(routes=[Route("/api/v1/chat/completions", chat, methods=["POST"]),
                             Route("/api/v1/openapi.json", spec)])  # fmt: skip


def test_broken_server_is_caught():
    report = run(None, None, max_examples=5, operations=["createChatCompletion"], dry_run=False, max_requests=400,
                 app=_broken_app(), phases=["examples", "fuzzing"])  # fmt: skip
    checks = {f.check for f in report.failures}
    assert not report.ok
    assert {"openrouter_stream_events", "not_a_server_error", "openrouter_error_envelope"} <= checks, report.render()
    stream_failure = next(f for f in report.failures if f.check == "openrouter_stream_events")
    assert "/created" in stream_failure.message or "created" in stream_failure.message
    assert "[DONE]" in stream_failure.message
    assert "curl" in stream_failure.curl


# --------------------------------------------------------------------------- the CLI command


@pytest.mark.socket
def test_cli_command(tmp_path):
    with MockRouterServer(Settings(time_scale=0, seed=0)) as server:
        runner = CliRunner()
        dry = runner.invoke(command, ["--base-url", server.base_url, "--dry-run", "--operations", "getKey"])
        assert dry.exit_code == 0, dry.output
        assert "DRY RUN" in dry.output and server.mock.journal.count() == 0
        ok = runner.invoke(command, ["--base-url", server.base_url, "--operations", "getKey", "--operations",
                                     "listProviders", "--max-examples", "2", "--max-requests", "60"])  # fmt: skip
        assert "GET /key" in ok.output and "GET /providers" in ok.output, ok.output
        # the default (any-key) mock: ignored_auth is named as not applicable, with the reason, and the run is green
        assert ok.exit_code == 0, ok.output
        assert "not applicable: ignored_auth (a mockrouter in any-key mode" in ok.output, ok.output
        bad = runner.invoke(command, ["--base-url", server.base_url, "--operations", "nope"])
        assert bad.exit_code == 2 and "unknown operations" in bad.output


@pytest.mark.socket
def test_ignored_auth_applies_to_a_strict_keys_mock_and_other_servers():
    with MockRouterServer(Settings(time_scale=0, seed=0, strict_keys=True)) as strict:
        assert not_applicable(strict.base_url) == {}
    with MockRouterServer(Settings(time_scale=0, seed=0)) as any_key:
        assert set(not_applicable(any_key.base_url)) == {"ignored_auth"}
        assert not_applicable(any_key.base_url.replace(str(any_key.port), "9")) == {}  # nothing listening


# --------------------------------------------------------------------------- bugs the run found (fixed; kept as regressions)


def test_405_has_allow_header():
    with TestClient(create_app(Settings(time_scale=0))) as client:
        response = client.request("TRACE", "/api/v1/key")
    assert response.status_code == 405
    assert "allow" in {k.lower() for k in response.headers}


def test_n_limit_is_in_the_schema():
    body = {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "Hi"}], "n": 129}
    with TestClient(create_app(Settings(time_scale=0))) as client:
        response = client.post("/api/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {MOCK_KEY}"})
    schema_rejects = bool(contract.validate("chat-completion-request.json", body))
    assert schema_rejects or response.status_code != 400, response.text
