"""The one contract: JSON Schemas in ``schemas/``.

``validate(name, document) -> [Violation]`` checks requests (in the pipeline), our own responses (in the
tests) and fixture files (at start-up). ``openapi()`` builds the OpenAPI 3.1 document the server
publishes from the same files, so schemathesis checks mock and real OpenRouter against one contract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from mockrouter.resources import data_dir

if TYPE_CHECKING:  # imported on first use: jsonschema costs ~45 ms of start-up and only explains what is invalid
    from jsonschema import Draft202012Validator
    from referencing import Registry

__all__ = [
    "Violation",
    "component_name",
    "components",
    "is_valid",
    "schema",
    "schema_names",
    "validate",
    "validator",
]


@dataclass(frozen=True, slots=True)
class Violation:
    pointer: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "message": self.message}


@cache
def _documents() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(data_dir("schemas").glob("*.json")):
        docs[path.name] = json.loads(path.read_text("utf-8"))
    return docs


def schema_names() -> list[str]:
    return sorted(_documents())


def schema(name: str) -> dict[str, Any]:
    """A schema file, or a definition in one (``api-keys.json#/$defs/CreateKey``), as written there (its own
    ``$ref`` values stay relative to its file)."""
    file, _, fragment = name.partition("#")
    node: Any = _documents()[file]
    for part in [p for p in fragment.split("/") if p]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    result: dict[str, Any] = node
    return result


@cache
def _registry() -> Registry[Any]:
    from referencing import Registry, Resource

    return Registry().with_resources((name, Resource.from_contents(doc)) for name, doc in _documents().items())


def _root(name: str) -> dict[str, Any]:
    """The schema a name stands for: a file (``chat-completion.json``) or a definition in one
    (``fixtures.json#/$defs/Fault``)."""
    return _documents()[name] if "#" not in name else {"$ref": name}


@cache
def validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_root(name), registry=_registry())


_BASE = "https://mockrouter.local/schemas/"


@cache
def _fast(name: str) -> Any:
    """A compiled Rust validator (jsonschema-rs) for the happy path; None when unavailable."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    registry = jsonschema_rs.Registry([(_BASE + n, doc) for n, doc in _documents().items()])
    if "#" in name:  # a definition inside a file: a root that only refers to it
        return jsonschema_rs.validator_for({"$ref": _BASE + name}, registry=registry, base_uri=_BASE + "ref.json")
    return jsonschema_rs.validator_for(_documents()[name], registry=registry, base_uri=_BASE + name)


def _fast_valid(name: str, document: Any) -> bool | None:
    """The Rust validator's verdict; None when it has none (unavailable, or a lone surrogate: not UTF-8)."""
    fast = _fast(name)
    if fast is None:
        return None
    try:
        return bool(fast.is_valid(document))
    except UnicodeEncodeError:  # a lone surrogate in a string (valid JSON, not UTF-8): the Python validator
        return None


def is_valid(name: str, document: Any) -> bool:
    verdict = _fast_valid(name, document)
    return verdict if verdict is not None else not validate(name, document, limit=1)


def _pointer(path: Any) -> str:
    return "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in path)


def validate(name: str, document: Any, limit: int = 20) -> list[Violation]:
    """All violations of schema ``name`` by ``document`` (deepest first within a branch), at most ``limit``: the Rust
    validator says whether there are any, the Python one (imported then) which."""
    if _fast_valid(name, document):
        return []
    out: list[Violation] = []
    for error in validator(name).iter_errors(document):
        leaves = _leaves(error)
        for leaf in leaves:
            out.append(Violation(_pointer(leaf.absolute_path), _message(leaf)))
        if len(out) >= limit:
            break
    return out[:limit]


def _leaves(error: Any) -> list[Any]:
    """For oneOf/anyOf failures, the errors of the branch that got furthest, else the error itself."""
    if not error.context:
        return [error]
    best = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
    return [best] if len(best.absolute_path) > len(error.absolute_path) else [error]


def _message(error: Any) -> str:
    text = str(error.message)
    return text if len(text) <= 300 else text[:297] + "..."


# --------------------------------------------------------------------------- OpenAPI


def component_name(file: str) -> str:
    """A schema file's name among the OpenAPI components (``chat-completion.json`` -> ``ChatCompletion``)."""
    return file.removesuffix(".json").title().replace("-", "")


def _rewrite(node: Any, current: str) -> Any:
    """Turn file refs (``x.json#/$defs/Y``, ``#/$defs/Y``) into ``#/components/schemas/...`` refs."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$schema", "$id", "$defs"):
                continue
            if key == "$ref" and isinstance(value, str):
                file, _, fragment = value.partition("#")
                target = component_name(file or current)
                if fragment.startswith("/$defs/"):
                    target = f"{target}.{fragment.removeprefix('/$defs/')}"
                out[key] = f"#/components/schemas/{target}"
            else:
                out[key] = _rewrite(value, current)
        return out
    if isinstance(node, list):
        return [_rewrite(v, current) for v in node]
    return node


#: schema files that describe the mock itself, not OpenRouter's wire format
_MOCK_OWN = ("admin.json", "fixtures.json")


def components(admin: bool = False) -> dict[str, Any]:
    """The schemas as OpenAPI components: OpenRouter's wire schemas, and with ``admin`` the mock's own too."""
    result: dict[str, Any] = {}
    for name, doc in _documents().items():
        if name in _MOCK_OWN and not admin:
            continue
        result[component_name(name)] = _rewrite(doc, name)
        for def_name, sub in doc.get("$defs", {}).items():
            result[f"{component_name(name)}.{def_name}"] = _rewrite(sub, name)
    return result
