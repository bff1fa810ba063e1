"""The OpenAPI documents the mock publishes (``contract.openapi``: the API's and the admin API's) are valid OpenAPI 3.1, every ``$ref`` in it
resolves, every schema is a valid JSON Schema 2020-12, links point at real operations and parameters, and
every example in it validates against the schema it illustrates.

The OpenAPI 3.1 meta-schema comes from schemathesis (``schemathesis.specs.openapi.definitions.OPENAPI_31``,
the official schema); ``openapi-spec-validator`` is used too when it happens to be installed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.testclient import TestClient

from mockrouter.contract import openapi
from mockrouter.contract.operations import Surface

DOC_URI = "urn:mockrouter:openapi"


@pytest.fixture(scope="module", params=list(Surface), ids=lambda s: s.name.lower())
def doc(request) -> dict[str, Any]:
    return openapi.document(request.param)


def _registry(doc: dict[str, Any]) -> Registry[Any]:
    return Registry().with_resource(DOC_URI, Resource(contents=doc, specification=DRAFT202012))


def _walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{i}")


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_valid_openapi_31(doc):
    from schemathesis.specs.openapi.definitions import OPENAPI_31

    errors = sorted(Draft202012Validator(OPENAPI_31).iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:20])
    assert doc["openapi"].startswith("3.1.")


def test_openapi_spec_validator_if_installed(doc):
    validator = pytest.importorskip("openapi_spec_validator", reason="openapi-spec-validator is not installed")
    validator.validate(doc)


def test_schemas_are_valid_2020_12(doc):
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)  # raises with the offending keyword
        assert isinstance(schema, dict), name


def test_every_ref_resolves(doc):
    resolver = _registry(doc).resolver(base_uri=DOC_URI)
    refs = [(p, n["$ref"]) for p, n in _walk(doc) if isinstance(n, dict) and isinstance(n.get("$ref"), str)]
    assert refs
    for pointer, ref in refs:
        assert ref.startswith("#/components/"), f"{pointer}: non-local ref {ref}"
        resolver.lookup(ref)  # raises Unresolvable


def test_links_and_operation_ids(doc):
    ids = [op["operationId"] for _, _, op in _operations(doc)]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    by_id = {op["operationId"]: op for _, _, op in _operations(doc)}
    links = 0
    for _, _, op in _operations(doc):
        for response in op["responses"].values():
            for name, link in response.get("links", {}).items():
                links += 1
                target = by_id[link["operationId"]]
                params = {p["name"] for p in target.get("parameters", [])}
                assert set(link["parameters"]) <= params, name
    if doc["servers"][0]["url"] == Surface.API.value:
        assert links >= 2  # GetGeneration from both completion operations


def _examples(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(pointer, schema, example value) for every media type / parameter example in the document."""
    for pointer, node in _walk(doc["paths"], "/paths"):
        if not isinstance(node, dict) or "schema" not in node:
            continue
        schema = node["schema"]
        if "example" in node:
            yield f"{pointer}/example", schema, node["example"]
        for name, example in (node.get("examples") or {}).items():
            yield f"{pointer}/examples/{name}", schema, example["value"]
    for name, schema in doc["components"]["schemas"].items():
        for i, value in enumerate(schema.get("examples", []) if isinstance(schema, dict) else []):
            yield f"/components/schemas/{name}/examples/{i}", schema, value


def test_every_example_validates(doc):
    examples = list(_examples(doc))
    # Real bodies were added to the document (§5.4 response, §7/§8.2 errors, request examples).
    assert len(examples) >= 10, [p for p, _, _ in examples]
    registry = _registry(doc)
    failures = []
    for pointer, schema, value in examples:
        validator = Draft202012Validator(schema, registry=registry, _resolver=registry.resolver(base_uri=DOC_URI))
        for error in validator.iter_errors(value):
            failures.append(f"{pointer} at /{'/'.join(map(str, error.absolute_path))}: {error.message}")
    assert not failures, "\n".join(failures[:20])


def test_examples_are_real_bodies():
    """The examples are the captured bodies, not made-up ones: spot-check the §5.4 and §8.2 texts."""
    text = json.dumps(openapi.document(Surface.API))
    assert "gen-1754612345-Qm3xR7tLpZ2vN8kHaYcD" in text
    assert "OpenAI is requiring a key to access this model" in text
    assert "No cookie auth credentials found" in text and "No auth credentials found" in text


def test_sse_events_are_described():
    """SSE: the 200's event-stream schema describes one event whose JSON data is the chunk schema."""
    doc = openapi.document(Surface.API)
    for op_id, chunk in (("createChatCompletion", "ChatCompletionChunk"), ("createCompletion", "CompletionChunk")):
        op = next(op for _, _, op in _operations(doc) if op["operationId"] == op_id)
        media = op["responses"]["200"]["content"]["text/event-stream"]
        assert media["x-sse-data-schema"] == {"$ref": f"#/components/schemas/{chunk}"}
        registry = _registry(doc)
        event = Draft202012Validator(media["schema"], registry=registry, _resolver=registry.resolver(base_uri=DOC_URI))
        assert event.is_valid({"data": "[DONE]"})
        assert event.is_valid({"data": "not json"})  # plain 2020-12 does not assert contentSchema; schemathesis does
        assert media["schema"]["else"]["properties"]["data"]["contentSchema"] == {
            "$ref": f"#/components/schemas/{chunk}"
        }


def test_served_document_is_the_built_one(doc):
    from mockrouter import Settings, create_app

    with TestClient(create_app(Settings(time_scale=0))) as client:
        served = client.get(doc["servers"][0]["url"] + "/openapi.json")
    assert served.status_code == 200
    assert served.json() == doc
