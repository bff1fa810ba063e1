"""The operation registry (``schemas/operations.yaml`` -> ``contract.operations``) is the one declaration of every
operation, and everything else is derived from it: the router, the handlers, the parameter checks and both OpenAPI
documents. These tests fail when a copy appears or a handler strays from its declaration."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockrouter import Mock, Settings, create_app
from mockrouter.contract import openapi
from mockrouter.contract.operations import (
    OPERATIONS,
    Operation,
    Params,
    Surface,
    UndeclaredParameter,
    by_id,
    find,
    load,
    operations,
)
from mockrouter.engine import admin, catalogue, keys
from mockrouter.engine.handlers import HANDLERS
from mockrouter.errors import FixtureError

ENGINE = Path(catalogue.__file__).parent


def test_every_operation_has_one_handler_and_every_handler_an_operation():
    declared = {op.handler_name for op in OPERATIONS if not op.completion}
    assert declared == set(HANDLERS), declared ^ set(HANDLERS)
    completions = {"createChatCompletion", "createCompletion", "createEmbeddings", "createResponse"}
    assert {op.id for op in OPERATIONS if op.completion} == completions


def _params_read(fn) -> set[str]:
    """The parameter names a handler reads as ``req.params[...]`` or ``req.params.get(...)``."""
    tree = ast.parse(inspect.getsource(fn))
    names: set[str] = set()
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            target, key = node.func.value, node.args[0] if node.args else None
        if (
            isinstance(target, ast.Attribute)
            and target.attr == "params"
            and isinstance(key, ast.Constant)
            and isinstance(key.value, str)
        ):
            names.add(key.value)
    return names


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_handlers_read_only_declared_parameters(name):
    """Statically: every parameter a handler (and the helpers in its module it calls) reads is declared by every
    operation it serves."""
    fn = HANDLERS[name]
    module = inspect.getmodule(fn)
    read = _params_read(fn)
    called = {
        node.func.id
        for node in ast.walk(ast.parse(inspect.getsource(fn)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    for helper_name, helper in inspect.getmembers(module, inspect.isfunction):
        if helper_name.startswith("_") and helper_name in called:
            read |= _params_read(helper)
    for op in (op for op in OPERATIONS if op.handler_name == name):
        declared = {p.name for p in op.params}
        assert read <= declared, f"{op.id} handler reads {sorted(read - declared)} undeclared"


def test_reading_an_undeclared_parameter_fails_loudly():
    params = Params(by_id("listModels"), {"limit": 3})
    assert params["limit"] == 3 and params.get("offset") is None
    with pytest.raises(UndeclaredParameter, match="listModels reads parameter 'page'"):
        params.get("page")


def test_the_router_serves_every_declared_method_and_path():
    """Every (method, path) the registry declares reaches its operation: never the catch-all's 404 or a 405."""
    mock = Mock(Settings(time_scale=0))
    with TestClient(create_app(mock=mock), raise_server_exceptions=False) as client:
        for op in OPERATIONS:
            path = op.url.replace("{author}", "openai").replace("{slug}", "gpt-5-mini")
            path = path.replace("{name}", "x").replace("{id}", "default")
            for method in op.methods:
                r = client.request(method, path, headers={"Authorization": "Bearer sk-or-v1-registry"})
                assert r.status_code not in (404, 405) or "Not Found: " not in r.text, (op.id, method, r.text)
                assert r.status_code != 405, (op.id, method)
                assert r.status_code in op.statuses, (op.id, method, r.status_code, r.text[:200])
                assert find(method, path) is op


def test_undeclared_methods_get_405_with_allow():
    with TestClient(create_app(Settings(time_scale=0))) as client:
        r = client.delete("/api/v1/models")
        assert r.status_code == 405 and r.headers["allow"] == "GET"
        r = client.patch("/__mockrouter/faults")
        assert r.status_code == 405 and r.headers["allow"] == "GET, POST, DELETE"
        assert r.json()["error"]["code"] == 405


def test_published_documents_declare_every_parameter_and_status():
    for surface in Surface:
        doc = openapi.document(surface)
        for op in operations(surface):
            if not op.published:
                assert op.path not in doc["paths"] or op.method.lower() not in doc["paths"][op.path]
                continue
            item = doc["paths"][op.path][op.method.lower()]
            assert {p["name"] for p in item.get("parameters", [])} == {p.name for p in op.params}, op.id
            assert {int(s) for s in item["responses"]} == set(op.statuses), op.id


def test_models_publishes_every_filter_it_reads():
    item = openapi.document()["paths"]["/models"]["get"]
    assert {p["name"] for p in item["parameters"]} == {
        "supported_parameters", "category", "output_modalities", "input_modalities", "offset", "limit",
    }  # fmt: skip


def test_admin_document_declares_path_parameters_and_validates():
    from openapi_spec_validator import validate

    doc = openapi.document(Surface.ADMIN)
    validate(doc)
    for path, item in doc["paths"].items():
        names = {seg[1:-1] for seg in path.split("/") if seg.startswith("{")}
        for method, op in item.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (method, path)


def test_a_mistake_in_the_registry_names_the_file_and_pointer(tmp_path):
    bad = tmp_path / "operations.yaml"
    bad.write_text("api:\n  listThings:\n    method: GET\n    path: /things\n    summary: x\n    colour: red\n")
    with pytest.raises(FixtureError, match=r"operations.yaml: /api/listThings: unknown field\(s\): colour"):
        load(bad)
    bad.write_text("api:\n  a: {method: GET, path: /x, summary: x}\n  b: {method: GET, path: /x, summary: y}\n")
    with pytest.raises(FixtureError, match="GET /api/v1/x is declared twice"):
        load(bad)
    bad.write_text("api:\n  a: {method: GET, path: /x, summary: x, requires: telepathy}\n")
    with pytest.raises(FixtureError, match="/api/a/requires: one of .*embeddings"):
        load(bad)


def test_operation_statuses_include_the_common_ones():
    chat = by_id("createChatCompletion")
    assert chat.statuses[0] == 200 and {400, 401, 402, 413, 429, 500} <= set(chat.statuses)
    fault = by_id("addFault")
    assert fault.statuses[0] == 201 and {400, 403, 500} <= set(fault.statuses)
    assert isinstance(fault, Operation) and fault.request == "fixtures.json#/$defs/Fault"


def test_admin_handlers_live_in_the_engine():
    assert all(inspect.getmodule(h) in (admin, catalogue, keys) for h in HANDLERS.values())
