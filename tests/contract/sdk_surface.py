"""The `openrouter` Python SDK's operations, read from the SDK itself (no list by hand).

Every SDK resource class (``OpenRouter._sub_sdk_map``, nested maps included) is parsed with ``ast``: each sync
method's ``_build_request(method=..., path=...)``, its ``HookContext(operation_id=...)`` and the models it
unmarshals a success (200 or 201) into, per media type. A newer SDK therefore brings its own operations and models along.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from openrouter import OpenRouter


@dataclass(frozen=True)
class SdkMethod:
    attr: str  #: the resource's attribute path on the client, e.g. "endpoints" or "beta.responses"
    name: str  #: the method, e.g. "list"
    method: str
    path: str
    operation_id: str
    models: dict[str, Any] = field(default_factory=dict)  #: media type -> the success (200/201) model
    request_model: Any = None  #: the JSON body's model (None: no body)

    def bound(self, client: OpenRouter) -> Any:
        target: Any = client
        for part in self.attr.split("."):
            target = getattr(target, part)
        return getattr(target, self.name)


def _resource_classes() -> list[tuple[str, ModuleType, type]]:
    out: list[tuple[str, ModuleType, type]] = []
    todo = [(name, mod, cls) for name, (mod, cls) in OpenRouter._sub_sdk_map.items()]
    seen: set[tuple[str, str]] = set()
    while todo:
        attr, module_name, class_name = todo.pop()
        if (module_name, class_name) in seen:
            continue
        seen.add((module_name, class_name))
        module = importlib.import_module(module_name)
        klass = getattr(module, class_name)
        out.append((attr, module, klass))
        todo += [(f"{attr}.{sub}", m, c) for sub, (m, c) in getattr(klass, "_sub_sdk_map", {}).items()]
    return out


def _method(attr: str, module: ModuleType, fn: ast.FunctionDef) -> SdkMethod | None:
    found: dict[str, str] = {}
    models: dict[str, Any] = {}
    request_model = None
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "serialize_request_body":
            request_model = eval(compile(ast.Expression(node.args[-1]), module.__name__, "eval"), vars(module))
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in ("method", "path", "operation_id") and isinstance(kw.value, ast.Constant):
                    found[kw.arg] = kw.value.value
        test = node.test if isinstance(node, ast.If) else None
        if isinstance(test, ast.Call) and getattr(test.func, "attr", "") == "match_response":
            args = [a.value for a in test.args[1:3] if isinstance(a, ast.Constant)]
            if len(args) != 2 or args[0] not in ("200", "201"):
                continue
            media = args[1]
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "unmarshal_json_response":
                    models[media] = eval(compile(ast.Expression(call.args[0]), module.__name__, "eval"), vars(module))
                    break
    if not {"method", "path", "operation_id"} <= set(found):
        return None
    return SdkMethod(attr, fn.name, found["method"], found["path"], found["operation_id"], models, request_model)


def sdk_methods() -> list[SdkMethod]:
    """Every sync operation method of the SDK."""
    out = []
    for attr, module, klass in _resource_classes():
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == klass.__name__:
                for fn in node.body:
                    if isinstance(fn, ast.FunctionDef) and (method := _method(attr, module, fn)) is not None:
                        out.append(method)
    return out
