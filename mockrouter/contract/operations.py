"""The operation registry: every public and admin operation, declared once.

An :class:`Operation` says everything about one method on one path: its parameters, its request schema, what
it answers (the success schema and every error status it can send), who may call it and which engine handler
serves it. Everything else is derived from this table: the router (``http.routes``), parameter and body
validation (``Operation.parse_params``, ``contract.schemas``), both OpenAPI documents (``contract.openapi``),
the contract runner's operation list, the tests' operation lists and the verdicts' choice of completion routes.

Adding an operation is one entry here plus its handler (``@handles("<handler>")`` in ``engine/``) and tests.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from mockrouter.errors import FixtureError, bad_request
from mockrouter.kinds import Dialect, Profile
from mockrouter.resources import YAML_LOADER, data_dir

__all__ = [
    "ADMIN_PREFIX",
    "Params",
    "UndeclaredParameter",
    "load",
    "API_PREFIX",
    "OPERATIONS",
    "Auth",
    "Operation",
    "Param",
    "Surface",
    "by_id",
    "find",
    "operations",
]

API_PREFIX = "/api/v1"
ADMIN_PREFIX = "/__mockrouter"


class Surface(enum.Enum):
    """Which API an operation belongs to: OpenRouter's own, or the mock's admin API."""

    API = API_PREFIX
    ADMIN = ADMIN_PREFIX


class Auth(enum.Enum):
    NONE = "none"  # no key read (a key sent is ignored)
    OPTIONAL = "optional"  # public, but a key may be sent
    KEY = "key"  # an API key (Authorization: Bearer ...) is required: 401 without one
    ADMIN = "admin"  # loopback, or the admin token when one is configured: 403 otherwise


#: statuses every operation of a kind can send, whatever its declaration adds
_ALWAYS = (500,)
_WITH_KEY = (401,)
_WITH_BODY = (400, 413)
_ADMIN = (403,)


@dataclass(frozen=True, slots=True)
class Param:
    """A path or query parameter: ``schema`` is a JSON Schema for the value once coerced from its text."""

    name: str
    where: str  # "path" | "query"
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False
    description: str = ""

    def coerce(self, raw: str) -> Any:
        kind = self.schema.get("type", "string")
        if kind == "integer":
            try:
                return int(raw)
            except ValueError:
                raise bad_request(
                    f"Invalid query parameter {self.name}: expected an integer", param=self.name
                ) from None
        if kind == "number":
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise bad_request(f"Invalid query parameter {self.name}: expected a finite number", param=self.name)
            return value
        if kind == "boolean":
            if raw.lower() not in ("true", "false", "1", "0"):
                raise bad_request(f"Invalid query parameter {self.name}: expected true or false", param=self.name)
            return raw.lower() in ("true", "1")
        return raw

    def check(self, value: Any) -> None:
        """The few keywords parameters use (minimum, minLength, enum, pattern), checked with OpenRouter's wording."""
        s = self.schema
        if "minimum" in s and value < s["minimum"]:
            raise bad_request(f"Invalid query parameter {self.name}: must be at least {s['minimum']}", param=self.name)
        if "maximum" in s and value > s["maximum"]:
            raise bad_request(f"Invalid query parameter {self.name}: must be at most {s['maximum']}", param=self.name)
        if "minLength" in s and len(value) < s["minLength"]:
            raise bad_request(f"Missing required query parameter: {self.name}", param=self.name)
        if "enum" in s and value not in s["enum"]:
            raise bad_request(
                f"Invalid query parameter {self.name}: one of {', '.join(map(str, s['enum']))}", param=self.name
            )


@dataclass(frozen=True, slots=True)
class Operation:
    id: str  # the OpenAPI operationId
    method: str
    path: str  # below the surface's prefix, with {name} path parameters
    summary: str
    surface: Surface = Surface.API
    auth: Auth = Auth.NONE
    params: tuple[Param, ...] = ()
    request: str | None = None  # request body schema: "file.json" or "file.json#/$defs/Name"
    response: str | None = None  # success body schema (None: not JSON, e.g. the dashboard's HTML)
    status: int = 200  # the success status
    errors: tuple[int, ...] = ()  # error statuses the handler itself can send (the common ones are added)
    stream: str | None = None  # SSE chunk schema when the operation can stream
    media: str = "application/json"
    handler: str = ""  # the engine handler's name (defaults to ``id``)
    aliases: tuple[str, ...] = ()  # further methods served the same way (each its own OpenAPI operation)
    links: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)  # name -> (operationId, param, expr)
    completion: Dialect | None = None  # an inference operation (chat, text, embeddings): what verdicts judge
    published: bool = True  # in the OpenAPI document (False: the mock's own extras)
    requires: str = ""  # a ``kinds.Profile`` flag the operation needs (a profile without it answers 404)
    #: whether a parameter is required (derived from ``params``: a call without any has nothing to check)
    any_required: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "any_required", any(p.required for p in self.params))

    @property
    def url(self) -> str:
        return self.surface.value + self.path

    @property
    def methods(self) -> tuple[str, ...]:
        return (self.method, *self.aliases)

    @property
    def handler_name(self) -> str:
        return self.handler or self.id

    @property
    def statuses(self) -> tuple[int, ...]:
        """Every status this operation can answer with, success first."""
        extra: tuple[int, ...] = _ALWAYS
        if self.auth is Auth.KEY:
            extra += _WITH_KEY
        if self.request is not None:
            extra += _WITH_BODY
        if self.surface is Surface.ADMIN:
            extra += _ADMIN
        if any(p.where == "query" for p in self.params):
            extra += (400,)
        return (self.status, *sorted(set(self.errors) | set(extra)))

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def parse_params(self, query: Mapping[str, str], path: Mapping[str, str]) -> dict[str, Any]:
        """The declared parameters, coerced and checked (a 400 envelope on a bad one); undeclared query
        parameters are ignored, as OpenRouter ignores them."""
        if not query and not path and not self.any_required:
            return {}
        values: dict[str, Any] = {}
        for p in self.params:
            source = path if p.where == "path" else query
            raw = source.get(p.name)
            blank = raw == "" and p.where == "query" and not p.required and p.schema.get("type", "string") == "string"
            if raw is None or blank:
                if p.required:
                    raise bad_request(f"Missing required query parameter: {p.name}", param=p.name)
                continue
            value = p.coerce(raw)
            p.check(value)
            values[p.name] = value
        return values


class Params(Mapping[str, Any]):
    """An operation's parsed parameters. Reading one its declaration lacks is a programming error, raised at
    once (so the tests catch a handler that reads what the published contract does not declare)."""

    __slots__ = ("_op", "_values")

    def __init__(self, op: Operation, values: Mapping[str, Any]) -> None:
        self._op, self._values = op, values

    def __getitem__(self, name: str) -> Any:
        self._declared(name)
        return self._values[name]

    def get(self, name: str, default: Any = None) -> Any:
        self._declared(name)
        return self._values.get(name, default)

    def _declared(self, name: str) -> None:
        if self._op.param(name) is None:
            raise UndeclaredParameter(f"{self._op.id} reads parameter {name!r}, which its declaration lacks")

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class UndeclaredParameter(LookupError):
    """A handler read a parameter its operation does not declare."""


_FIELDS = {
    "method",
    "path",
    "summary",
    "auth",
    "path_params",
    "query",
    "request",
    "response",
    "status",
    "errors",
    "stream",
    "media",
    "handler",
    "aliases",
    "links",
    "completion",
    "published",
    "requires",
}
#: the flags an operation may require of the profile (``requires``)
_PROFILE_FLAGS = {f.name for f in fields(Profile) if f.type in ("bool", bool)}
_FILE = "schemas/operations.yaml"


def _schema_ref(value: Any, surface: Surface, pointer: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise FixtureError(_FILE, pointer, "expected a schema name")
    if ".json" in value:
        return value
    if surface is not Surface.ADMIN:
        raise FixtureError(_FILE, pointer, f"{value!r}: a schema file (name.json) is expected on the API surface")
    return f"admin.json#/$defs/{value}"


def _params(raw: Any, where: str, pointer: str) -> tuple[Param, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise FixtureError(_FILE, pointer, "expected a mapping of parameter name -> schema")
    out = []
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise FixtureError(_FILE, f"{pointer}/{name}", "expected a JSON Schema")
        schema = {k: v for k, v in spec.items() if k not in ("required", "description")}
        required = bool(spec.get("required")) or where == "path"
        out.append(Param(name, where, schema, required, str(spec.get("description", ""))))
    return tuple(out)


def _operation(op_id: str, raw: Any, surface: Surface) -> Operation:
    at = f"/{surface.name.lower()}/{op_id}"
    if not isinstance(raw, dict):
        raise FixtureError(_FILE, at, "expected a mapping")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise FixtureError(_FILE, at, f"unknown field(s): {', '.join(sorted(unknown))}")
    for required in ("method", "path", "summary"):
        if not isinstance(raw.get(required), str):
            raise FixtureError(_FILE, f"{at}/{required}", "required (a string)")
    if raw.get("requires", "") not in _PROFILE_FLAGS | {""}:
        raise FixtureError(_FILE, f"{at}/requires", f"one of {', '.join(sorted(_PROFILE_FLAGS))}")
    try:
        auth = Auth.ADMIN if surface is Surface.ADMIN else Auth(raw.get("auth", "none"))
    except ValueError:
        raise FixtureError(_FILE, f"{at}/auth", f"one of {', '.join(a.value for a in Auth)}") from None
    links = {
        name: (str(link["operation"]), str(link["parameter"]), str(link["value"]))
        for name, link in (raw.get("links") or {}).items()
    }
    return Operation(
        op_id,
        raw["method"],
        raw["path"],
        raw["summary"],
        surface,
        auth,
        params=_params(raw.get("path_params"), "path", f"{at}/path_params")
        + _params(raw.get("query"), "query", f"{at}/query"),
        request=_schema_ref(raw.get("request"), surface, f"{at}/request"),
        response=_schema_ref(raw.get("response"), surface, f"{at}/response"),
        status=int(raw.get("status", 200)),
        errors=tuple(raw.get("errors", ())),
        stream=raw.get("stream"),
        media=raw.get("media", "application/json"),
        handler=raw.get("handler", ""),
        aliases=tuple(raw.get("aliases", ())),
        links=links,
        completion=Dialect(raw["completion"]) if raw.get("completion") else None,
        published=bool(raw.get("published", True)),
        requires=str(raw.get("requires", "")),
    )


def load(path: Path | None = None) -> tuple[Operation, ...]:
    """The registry from ``schemas/operations.yaml``; a mistake names the file and the JSON pointer."""
    source = path or data_dir("schemas") / "operations.yaml"
    data = yaml.load(source.read_text("utf-8"), Loader=YAML_LOADER)
    ops = [
        _operation(op_id, raw, surface)
        for surface in Surface
        for op_id, raw in (data.get(surface.name.lower()) or {}).items()
    ]
    seen: set[tuple[str, str]] = set()
    for op in ops:
        for method in op.methods:
            if (method, op.url) in seen:
                raise FixtureError(_FILE, f"/{op.surface.name.lower()}/{op.id}", f"{method} {op.url} is declared twice")
            seen.add((method, op.url))
    return tuple(ops)


OPERATIONS: tuple[Operation, ...] = load()

_BY_ID = {op.id: op for op in OPERATIONS}
assert len(_BY_ID) == len(OPERATIONS), "operation ids must be unique"


def by_id(op_id: str) -> Operation:
    return _BY_ID[op_id]


def operations(surface: Surface | None = None) -> tuple[Operation, ...]:
    return tuple(op for op in OPERATIONS if surface is None or op.surface is surface)


def find(method: str, path: str) -> Operation | None:
    """The operation serving ``method`` on a concrete ``path`` (full URL path), if any."""
    for op in OPERATIONS:
        if method in op.methods and _matches(op.url, path):
            return op
    return None


def _matches(template: str, path: str) -> bool:
    want, got = template.strip("/").split("/"), path.strip("/").split("/")
    if len(want) != len(got):
        return False
    return all(w == g or (w.startswith("{") and g) for w, g in zip(want, got, strict=True))
