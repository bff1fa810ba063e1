from __future__ import annotations

import json
import random
from typing import Any

import jsonschema
import pytest

from mockrouter.engine.schemagen import instance

WEATHER = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "City and country"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 14},
    },
    "required": ["location"],
    "additionalProperties": False,
}

TREE = {
    "$defs": {
        "node": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
            "required": ["name", "children"],
            "additionalProperties": False,
        }
    },
    "$ref": "#/$defs/node",
}

SCHEMAS: dict[str, Any] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "null": {"type": "null"},
    "empty": {},
    "true": True,
    "type-list": {"type": ["string", "null"]},
    "weather-tool": WEATHER,
    "nested": {
        "type": "object",
        "properties": {
            "user": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "email": {"type": "string", "format": "email"},
                    "age": {"type": "integer", "minimum": 0, "maximum": 130},
                },
                "required": ["name", "email", "age"],
                "additionalProperties": False,
            },
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "uniqueItems": True},
        },
        "required": ["user", "tags"],
        "additionalProperties": False,
    },
    "enum-mixed": {"enum": ["a", 1, None, True]},
    "const": {"const": {"x": [1, 2]}},
    "refs-definitions": {
        "definitions": {
            "pt": {
                "type": "object",
                "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                "required": ["x", "y"],
            }
        },
        "type": "array",
        "items": {"$ref": "#/definitions/pt"},
        "minItems": 5,
    },
    "recursive-tree": TREE,
    "anyOf": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "integer", "minimum": 10}]},
    "oneOf-exclusive": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
    "oneOf-objects": {
        "type": "object",
        "oneOf": [
            {
                "properties": {"kind": {"const": "circle"}, "r": {"type": "number", "exclusiveMinimum": 0}},
                "required": ["kind", "r"],
            },
            {
                "properties": {"kind": {"const": "square"}, "side": {"type": "number", "minimum": 1}},
                "required": ["kind", "side"],
            },
        ],
    },
    "allOf": {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"properties": {"b": {"type": "string", "minLength": 3}}, "required": ["b"]},
        ]
    },
    "array-min-max": {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 3},
        "minItems": 4,
        "maxItems": 4,
        "uniqueItems": True,
    },
    "prefixItems": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
    "number-bounds": {"type": "number", "exclusiveMinimum": 0.5, "exclusiveMaximum": 0.6},
    "int-multiple": {"type": "integer", "minimum": 7, "maximum": 100, "multipleOf": 5},
    "float-multiple": {"type": "number", "minimum": 0, "maximum": 2, "multipleOf": 0.25},
    "string-lengths": {"type": "string", "minLength": 30, "maxLength": 32},
    "string-tiny": {"type": "string", "minLength": 1, "maxLength": 1},
    "pattern-code": {"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"},
    "pattern-alternation": {"type": "string", "pattern": "^(red|green|blue)(-[a-z]+)?$"},
    "pattern-examples": {"type": "string", "pattern": "^(?=.*secret).{6,}$", "examples": ["my-secret"]},
    "formats": {
        "type": "object",
        "properties": {
            f: {"type": "string", "format": f} for f in ("date-time", "date", "time", "email", "uri", "uuid", "ipv4")
        },
        "required": ["date-time", "date", "time", "email", "uri", "uuid", "ipv4"],
    },
    "nullable": {"type": "string", "nullable": True},
    "default": {"type": "integer", "default": 3, "minimum": 0},
    "map": {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2},
    "max-properties": {"type": "object", "properties": {c: {"type": "string"} for c in "abcdef"}, "maxProperties": 2},
    "contains": {"type": "array", "items": {"type": "integer"}, "contains": {"const": 42}},
    "not": {"type": "integer", "minimum": 0, "maximum": 2, "not": {"const": 1}},
    "openai-strict": {
        "type": "object",
        "properties": {
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"explanation": {"type": "string"}, "output": {"type": "string"}},
                    "required": ["explanation", "output"],
                    "additionalProperties": False,
                },
            },
            "final_answer": {"type": "string"},
        },
        "required": ["steps", "final_answer"],
        "additionalProperties": False,
    },
}

FORMAT_CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@pytest.mark.parametrize("seed", range(8))
def test_instance_validates(name: str, seed: int) -> None:
    schema = SCHEMAS[name]
    value = instance(schema, random.Random(seed))
    json.dumps(value)  # JSON-serialisable
    jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER).validate(value)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_deterministic(name: str) -> None:
    assert instance(SCHEMAS[name], random.Random(7)) == instance(SCHEMAS[name], random.Random(7))


def test_varies_with_seed() -> None:
    values = {json.dumps(instance(WEATHER, random.Random(s)), sort_keys=True) for s in range(10)}
    assert len(values) > 5


def test_words_callback_is_used() -> None:
    value = instance(
        {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
        random.Random(1),
        lambda n: " ".join(["zebra"] * n),
    )
    assert "zebra" in value["q"].lower()


def test_key_hints_are_plausible() -> None:
    schema = {
        "type": "object",
        "properties": {"email": {"type": "string"}, "website": {"type": "string"}},
        "required": ["email", "website"],
    }
    value = instance(schema, random.Random(3))
    assert "@" in value["email"] and value["website"].startswith("https://")


def test_object_shapes() -> None:
    assert instance({"type": "object", "properties": {}}, random.Random(1)) == {}
    assert instance({"type": "object", "additionalProperties": False}, random.Random(1)) == {}
    assert 1 <= len(instance({"type": "object"}, random.Random(1))) <= 2


def test_arrays_stay_short() -> None:
    for seed in range(20):
        assert 1 <= len(instance({"type": "array", "items": {"type": "integer"}}, random.Random(seed))) <= 3


ODD: list[Any] = [
    None,
    False,
    42,
    "string",
    [],
    [{"type": "string"}],
    {"type": "nonsense"},
    {"type": []},
    {"$ref": "#/nope"},
    {"$ref": "http://example.com/remote.json"},
    {"$ref": "#"},
    {"$ref": 5},
    {"minimum": "ten"},
    {"type": "integer", "minimum": 10, "maximum": 1},
    {"type": "string", "minLength": 10, "maxLength": 2},
    {"type": "string", "pattern": "(unclosed"},
    {"type": "string", "pattern": "\\1(a)"},
    {"type": "number", "multipleOf": 0},
    {"type": "number", "multipleOf": -3},
    {"enum": []},
    {"allOf": [{"type": "string"}, {"type": "integer"}]},
    {"anyOf": []},
    {"oneOf": [False, False]},
    {"properties": None, "required": "x"},
    {"type": "array", "items": {"$ref": "#"}, "minItems": 2},
    {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
    {"type": "object", "required": ["a"], "properties": {"a": {"$ref": "#"}}},
    {"type": "integer", "minimum": 1e308, "maximum": float("inf")},
    {"type": "array", "minItems": 10**9, "maxItems": 3},
    {"type": "string", "format": "made-up", "maxLength": 0},
    {"not": {}},
    {"type": "object", "maxProperties": -1},
]


@pytest.mark.parametrize("schema", ODD, ids=[str(i) for i in range(len(ODD))])
def test_never_raises(schema: Any) -> None:
    for seed in range(5):
        value = instance(schema, random.Random(seed))
        json.dumps(value)
