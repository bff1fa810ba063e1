"""Static checks of the wire schemas in ``schemas/`` (no server involved).

The schemas are the one contract that both mockrouter and the real OpenRouter API are checked
against, so besides being valid JSON Schema 2020-12 documents they must accept the real payloads
quoted in the contract notes (``openrouter-contract.md``, Era A = GPT-5 launch 2025 and Era B =
current) and reject nonsense. The payloads below are transcribed from those notes (section numbers
in the comments); a few are real wire captures the notes cite.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockrouter.contract.openapi import examples

try:  # optional second implementation: the verdicts must not depend on the validator library
    import jsonschema_rs
except ImportError:  # pragma: no cover
    jsonschema_rs = None  # type: ignore[assignment]

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SCHEMA_FILES = sorted(SCHEMA_DIR.glob("*.json"))
SCHEMAS: dict[str, dict[str, Any]] = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMA_FILES}

# The wire documents this test file owns (other files in schemas/ are only checked generically).
WIRE_SCHEMAS: list[str] = [
    "common.json",
    "chat-completion-request.json",
    "chat-completion.json",
    "chat-completion-chunk.json",
    "error.json",
    "completion-request.json",
    "completion.json",
    "completion-chunk.json",
    "model.json",
    "models-list.json",
    "model-endpoints.json",
    "generation.json",
    "key.json",
    "credits.json",
    "providers.json",
]
REQUEST_SCHEMAS: set[str] = {"chat-completion-request.json", "completion-request.json"}
RESPONSE_SCHEMAS = [n for n in WIRE_SCHEMAS if n not in REQUEST_SCHEMAS]

REF_FORMS = (
    re.compile(r"^#/\$defs/[A-Za-z0-9_]+$"),
    re.compile(r"^[a-z0-9-]+\.json$"),
    re.compile(r"^[a-z0-9-]+\.json#/\$defs/[A-Za-z0-9_]+$"),
)
FORBIDDEN_KEYWORDS: set[str] = {"$dynamicRef", "$dynamicAnchor", "unevaluatedProperties", "$anchor"}


def _registry() -> Registry:
    return Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in SCHEMAS.values()
    )


REGISTRY = _registry()


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[name], registry=REGISTRY)


_RS_VALIDATORS: dict[str, Any] = {}


def rs_is_valid(name: str, instance: Any) -> bool | None:
    """Verdict of jsonschema_rs (None when it is not installed)."""
    if jsonschema_rs is None:
        return None
    if name not in _RS_VALIDATORS:
        registry = jsonschema_rs.Registry([(s["$id"], s) for s in SCHEMAS.values()])
        _RS_VALIDATORS[name] = jsonschema_rs.validator_for(SCHEMAS[name], registry=registry)
    return bool(_RS_VALIDATORS[name].is_valid(instance))


def errors(name: str, instance: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(instance)]


def assert_valid(name: str, instance: Any) -> None:
    errs = errors(name, instance)
    assert not errs, f"{name} rejected a payload it must accept:\n" + "\n".join(errs)
    assert rs_is_valid(name, instance) in (True, None), f"jsonschema_rs disagrees: {name} rejected it"


def assert_invalid(name: str, instance: Any) -> None:
    assert not validator(name).is_valid(instance), f"{name} accepted a payload it must reject"
    assert rs_is_valid(name, instance) in (False, None), f"jsonschema_rs disagrees: {name} accepted it"


def assert_rejected_at(name: str, instance: Any, path: list[Any], fragment: str) -> None:
    """Rejected, and every reported error is at `path` and mentions `fragment`."""
    assert_invalid(name, instance)
    errs = list(validator(name).iter_errors(instance))
    assert all(list(e.absolute_path) == path for e in errs), [(list(e.absolute_path), e.message) for e in errs]
    assert any(fragment in e.message for e in errs), [e.message for e in errs]


def walk(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (json-pointer-ish path, dict) for every object inside a schema document."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


# --------------------------------------------------------------------------- schema documents


def test_all_wire_schemas_exist() -> None:
    missing = [n for n in WIRE_SCHEMAS if n not in SCHEMAS]
    assert not missing, f"missing schema files: {missing}"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_valid_2020_12(name: str) -> None:
    schema = SCHEMAS[name]
    Draft202012Validator.check_schema(schema)
    assert schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
    assert schema.get("$id") == name
    assert isinstance(schema.get("title"), str) and schema["title"]
    assert isinstance(schema.get("description"), str) and schema["description"]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_refs_use_allowed_forms_and_resolve(name: str) -> None:
    schema = SCHEMAS[name]
    resolver = REGISTRY.resolver(base_uri=schema["$id"])
    for path, node in walk(schema):
        used = FORBIDDEN_KEYWORDS.intersection(node)
        # `$defs` keys are names, not keywords; only flag keywords on schema objects.
        assert not used or path.endswith(("/$defs", "/properties")), f"{name}{path}: {used}"
        if "$ref" in node and isinstance(node["$ref"], str):
            ref = node["$ref"]
            assert any(f.match(ref) for f in REF_FORMS), f"{name}{path}: $ref {ref!r} has a disallowed form"
            resolver.lookup(ref)  # raises if unresolvable


@pytest.mark.parametrize("name", RESPONSE_SCHEMAS)
def test_response_schemas_allow_extra_properties(name: str) -> None:
    for path, node in walk(SCHEMAS[name]):
        if path.endswith(("/properties", "/$defs")):
            continue
        assert node.get("additionalProperties") is not False, f"{name}{path} forbids extra properties"


def test_provider_preferences_is_closed() -> None:
    provider = SCHEMAS["chat-completion-request.json"]["$defs"]["ProviderPreferences"]
    assert provider["additionalProperties"] is False


def test_no_unused_defs() -> None:
    used: set[str] = set()
    for name in WIRE_SCHEMAS:
        for _, node in walk(SCHEMAS[name]):
            ref = node.get("$ref")
            if isinstance(ref, str):
                used.add(name + ref if ref.startswith("#") else ref)
    unused = [
        f"{n}#/$defs/{d}" for n in WIRE_SCHEMAS for d in SCHEMAS[n].get("$defs", {}) if f"{n}#/$defs/{d}" not in used
    ]
    assert not unused, unused


def test_common_defs_present() -> None:
    expected = {
        "Usage",
        "CostDetails",
        "PromptTokensDetails",
        "CompletionTokensDetails",
        "ToolCall",
        "ReasoningDetail",
        "Pricing",
        "Architecture",
        "ErrorObject",
        "FinishReason",
        "Logprobs",
    }
    assert expected <= set(SCHEMAS["common.json"]["$defs"])
    assert "Availability" in SCHEMAS["error.json"]["$defs"]


# --------------------------------------------------------------------------- the brief's named negatives


def test_named_negative_cases_are_rejected_for_the_right_reason() -> None:
    assert_rejected_at(
        "chat-completion-chunk.json",
        {**REASONING_CHUNK, "system_fingerprint": 7},
        ["system_fingerprint"],
        "is not of type 'string', 'null'",
    )
    bogus = copy.deepcopy(GPT5_RESPONSE)
    bogus["choices"][0]["finish_reason"] = "bogus"
    assert_rejected_at("chat-completion.json", bogus, ["choices", 0, "finish_reason"], "is not one of")
    as_number = copy.deepcopy(GPT5_MODEL)
    as_number["pricing"]["prompt"] = 0.00000125
    assert_rejected_at("model.json", as_number, ["pricing", "prompt"], "not of type 'string'")
    assert_rejected_at(
        "chat-completion-request.json",
        {**MINIMAL_REQUEST, "provider": {"order": ["openai"], "sort_by": "price"}},
        ["provider"],
        "'sort_by' was unexpected",
    )
    assert_rejected_at("chat-completion-request.json", {**MINIMAL_REQUEST, "messages": []}, ["messages"], "non-empty")
    assert_rejected_at(
        "chat-completion-request.json", {**MINIMAL_REQUEST, "temperature": 3}, ["temperature"], "maximum of 2"
    )
    assert_rejected_at("error.json", {"error": {"code": 400}}, ["error"], "'message' is a required property")
    flagged = copy.deepcopy(ERROR_BODIES["403 moderation"])
    flagged["error"]["metadata"]["flagged_input"] = "x" * 101
    assert_rejected_at("error.json", flagged, ["error", "metadata", "flagged_input"], "is too long")


# --------------------------------------------------------------------------- chat completion (§5)

# §5.4: realistic openai/gpt-5 response, Era A, usage.include = true.
GPT5_RESPONSE: dict[str, Any] = copy.deepcopy(examples("chat-completion.json")["gpt5-launch"]["value"])  # §5.4, the same transcription

# §5.1 source capture (Aug 2025, x-ai/grok-3-mini via xAI), reasoning text shortened.
GROK_RESPONSE: dict[str, Any] = {
    "id": "gen-1754393352-8VQA1BZTXTpSuK2ULyYT",
    "provider": "xAI",
    "model": "x-ai/grok-3-mini",
    "object": "chat.completion",
    "created": 1754393352,
    "choices": [
        {
            "logprobs": None,
            "finish_reason": "stop",
            "native_finish_reason": "stop",
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "product_3,product_222,product_404",
                "refusal": None,
                "reasoning": "Zuerst muss ich den Intent verstehen ...",
                "reasoning_details": [
                    {
                        "type": "reasoning.text",
                        "text": "Zuerst muss ich den Intent verstehen ...",
                        "format": "unknown",
                        "index": 0,
                    }
                ],
            },
        }
    ],
    "system_fingerprint": "fp_bcbcada1ec",
    "usage": {
        "prompt_tokens": 724,
        "completion_tokens": 936,
        "total_tokens": 1660,
        "prompt_tokens_details": {"cached_tokens": 723},
        "completion_tokens_details": {"reasoning_tokens": 905},
    },
}

# §8.3: BYOK usage, Era A example and the real 2026 capture.
BYOK_USAGE_ERA_A: dict[str, Any] = {
    "prompt_tokens": 24,
    "completion_tokens": 410,
    "total_tokens": 434,
    "cost": 0.0002065,
    "is_byok": True,
    "prompt_tokens_details": {"cached_tokens": 0},
    "cost_details": {"upstream_inference_cost": 0.00413},
    "completion_tokens_details": {"reasoning_tokens": 384},
}
BYOK_USAGE_2026: dict[str, Any] = {
    "prompt_tokens": 24,
    "completion_tokens": 410,
    "total_tokens": 434,
    "cost": 0,
    "is_byok": True,
    "cost_details": {
        "upstream_inference_cost": 0.024645,
        "upstream_inference_prompt_cost": 0,
        "upstream_inference_completions_cost": 0,
    },
}


def test_chat_completion_real_examples_validate() -> None:
    assert_valid("chat-completion.json", GPT5_RESPONSE)
    assert_valid("chat-completion.json", GROK_RESPONSE)
    for usage in (BYOK_USAGE_ERA_A, BYOK_USAGE_2026):
        body = copy.deepcopy(GPT5_RESPONSE)
        body["usage"] = usage
        assert_valid("chat-completion.json", body)


def test_chat_completion_tool_calls_images_and_choice_error_validate() -> None:
    body = copy.deepcopy(GPT5_RESPONSE)
    body["choices"][0]["finish_reason"] = "tool_calls"
    body["choices"][0]["message"].update(
        content=None,
        tool_calls=[
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
        ],
        reasoning_details=[
            {
                "type": "reasoning.encrypted",
                "data": "gAAAA...",
                "id": "rs_1",
                "format": "openai-responses-v1",
                "index": 0,
            }
        ],
        annotations=[
            {
                "type": "url_citation",
                "url_citation": {"url": "https://example.com", "title": "Example", "start_index": 0, "end_index": 5},
            }
        ],
        images=[{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}, "index": 0}],
    )
    body["service_tier"] = "default"
    assert_valid("chat-completion.json", body)

    interrupted = copy.deepcopy(GPT5_RESPONSE)
    interrupted["choices"][0]["finish_reason"] = "error"
    interrupted["choices"][0]["error"] = {
        "code": 502,
        "message": "Provider returned error",
        "metadata": {"provider_name": "OpenAI", "raw": "..."},
    }
    assert_valid("chat-completion.json", interrupted)


def test_chat_completion_rejects_nonsense() -> None:
    bogus = copy.deepcopy(GPT5_RESPONSE)
    bogus["choices"][0]["finish_reason"] = "bogus"
    assert_invalid("chat-completion.json", bogus)

    no_fingerprint = copy.deepcopy(GPT5_RESPONSE)
    del no_fingerprint["system_fingerprint"]  # the openrouter SDK requires the key
    assert_invalid("chat-completion.json", no_fingerprint)

    wrong_object = copy.deepcopy(GPT5_RESPONSE)
    wrong_object["object"] = "chat.completion.chunk"
    assert_invalid("chat-completion.json", wrong_object)

    string_created = copy.deepcopy(GPT5_RESPONSE)
    string_created["created"] = "1754612345"
    assert_invalid("chat-completion.json", string_created)

    no_tokens = copy.deepcopy(GPT5_RESPONSE)
    del no_tokens["usage"]["total_tokens"]
    assert_invalid("chat-completion.json", no_tokens)

    bad_role = copy.deepcopy(GPT5_RESPONSE)
    bad_role["choices"][0]["message"]["role"] = "user"
    assert_invalid("chat-completion.json", bad_role)

    bad_reasoning = copy.deepcopy(GROK_RESPONSE)
    bad_reasoning["choices"][0]["message"]["reasoning_details"] = [{"type": "reasoning.summary"}]
    assert_invalid("chat-completion.json", bad_reasoning)


# --------------------------------------------------------------------------- streaming (§6)

# §6.4 transcript (Era A, usage.include = true). Verbatim it carries "system_fingerprint": null on
# every content chunk; see test_section_6_4_verbatim_chunks_validate.
_S64: dict[str, Any] = {
    "id": "gen-1754612400-b2KcT9wQmRj4xLzP0aVe",
    "provider": "OpenAI",
    "model": "openai/gpt-5",
    "object": "chat.completion.chunk",
    "created": 1754612400,
}
S64_CHUNKS_VERBATIM: list[dict[str, Any]] = [
    {
        **_S64,
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": "The"},
                "finish_reason": None,
                "native_finish_reason": None,
                "logprobs": None,
            }
        ],
        "system_fingerprint": None,
    },
    {
        **_S64,
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": " capital of France is Paris."},
                "finish_reason": None,
                "native_finish_reason": None,
                "logprobs": None,
            }
        ],
        "system_fingerprint": None,
    },
    {
        **_S64,
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "finish_reason": "stop",
                "native_finish_reason": "completed",
                "logprobs": None,
            }
        ],
        "system_fingerprint": None,
    },
    {
        **_S64,
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "finish_reason": None,
                "native_finish_reason": None,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": 24,
            "completion_tokens": 410,
            "total_tokens": 434,
            "cost": 0.00413,
            "is_byok": False,
            "prompt_tokens_details": {"cached_tokens": 0},
            "cost_details": {"upstream_inference_cost": None},
            "completion_tokens_details": {"reasoning_tokens": 384},
        },
    },
]

# §6.3: real usage chunk, Aug 10 2025 (anthropic/claude-3.5-sonnet via Google).
USAGE_CHUNK_2025: dict[str, Any] = {
    "id": "gen-1754854411-CSuOMdkzzX4onip4XTBU",
    "provider": "Google",
    "model": "anthropic/claude-3.5-sonnet",
    "object": "chat.completion.chunk",
    "created": 1754854413,
    "choices": [
        {
            "index": 0,
            "delta": {"role": "assistant", "content": ""},
            "finish_reason": None,
            "native_finish_reason": None,
            "logprobs": None,
        }
    ],
    "usage": {
        "prompt_tokens": 22,
        "completion_tokens": 7,
        "total_tokens": 29,
        "cost": 0.000171,
        "is_byok": False,
        "prompt_tokens_details": {"cached_tokens": 0},
        "cost_details": {"upstream_inference_cost": None},
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
}
# §6.3: the same layout in a real Jan 2026 capture (z-ai/glm-4.7 via Parasail), full cost_details.
USAGE_CHUNK_2026: dict[str, Any] = {
    "id": "gen-1767661749-Ot82GxmBb3KHB9UFhSnd",
    "provider": "Parasail",
    "model": "z-ai/glm-4.7",
    "object": "chat.completion.chunk",
    "created": 1767661749,
    "choices": [
        {
            "index": 0,
            "delta": {"role": "assistant", "content": ""},
            "finish_reason": None,
            "native_finish_reason": None,
            "logprobs": None,
        }
    ],
    "usage": {
        "prompt_tokens": 8,
        "completion_tokens": 174,
        "total_tokens": 182,
        "cost": 0.00036531,
        "is_byok": False,
        "prompt_tokens_details": {"cached_tokens": 2, "audio_tokens": 0, "video_tokens": 0},
        "cost_details": {
            "upstream_inference_cost": None,
            "upstream_inference_prompt_cost": 0.0000036,
            "upstream_inference_completions_cost": 0.0003654,
        },
        "completion_tokens_details": {"reasoning_tokens": 173, "image_tokens": 0},
    },
}
# §6.2 observed specifics: reasoning chunk (real Aug 2025 grok-3-mini capture).
REASONING_CHUNK: dict[str, Any] = {
    "id": "gen-1754393359-8c1W90WuFxFpb9z8UkKc",
    "provider": "xAI",
    "model": "x-ai/grok-3-mini",
    "object": "chat.completion.chunk",
    "created": 1754393359,
    "choices": [
        {
            "index": 0,
            "delta": {
                "role": "assistant",
                "content": "",
                "reasoning": "Z",
                "reasoning_details": [{"type": "reasoning.text", "text": "Z", "format": "unknown", "index": 0}],
            },
            "finish_reason": None,
            "native_finish_reason": None,
            "logprobs": None,
        }
    ],
    "system_fingerprint": "fp_bcbcada1ec",
}
# §6.2: later tool-call fragment (real capture, openai/gpt-4.1, id elided by the source).
TOOL_CALL_CHUNK: dict[str, Any] = {
    "id": "snip",
    "provider": "OpenAI",
    "model": "openai/gpt-4.1",
    "object": "chat.completion.chunk",
    "created": 1753924334,
    "choices": [
        {
            "index": 0,
            "delta": {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"index": 0, "function": {"arguments": " USA"}, "type": "function"}],
            },
            "finish_reason": None,
            "native_finish_reason": None,
            "logprobs": None,
        }
    ],
    "system_fingerprint": "snip",
}
FIRST_TOOL_CALL_CHUNK: dict[str, Any] = {
    **_S64,
    "choices": [
        {
            "index": 0,
            "delta": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_EkEAi8FSp8St8OBEmE8pZDuC",
                        "type": "function",
                        "function": {"name": "get_fundamental_data", "arguments": ""},
                    }
                ],
            },
            "finish_reason": None,
            "native_finish_reason": None,
            "logprobs": None,
        }
    ],
}
# §6.3 documented layout (choices: []) and §16 item 27 debug chunk.
EMPTY_CHOICES_USAGE_CHUNK: dict[str, Any] = {
    **_S64,
    "choices": [],
    "usage": {"prompt_tokens": 24, "completion_tokens": 410, "total_tokens": 434},
}
DEBUG_CHUNK: dict[str, Any] = {
    **_S64,
    "choices": [],
    "debug": {"echo_upstream_body": {"model": "gpt-5", "stream": True}},
}

# §6.5: mid-stream error chunk (docs example; "gen-…" made concrete).
MID_STREAM_ERROR_CHUNK: dict[str, Any] = {
    "id": "gen-1754612401-b2KcT9wQmRj4xLzP0aVe",
    "object": "chat.completion.chunk",
    "created": 1754612401,
    "model": "openai/gpt-5",
    "provider": "OpenAI",
    "error": {
        "code": 502,
        "message": "Provider disconnected unexpectedly",
        "metadata": {"provider_name": "OpenAI", "raw": "…"},
    },
    "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
}
# §6.5: Era A real error object (cline/cline#5449, Aug 2025): raw is the provider's own JSON.
MID_STREAM_ERROR_ERA_A: dict[str, Any] = {
    "message": "Upstream error from AtlasCloud: Unexpected token 173781 while expecting start token 200006",
    "code": 502,
    "metadata": {
        "raw": {
            "object": "error",
            "message": "Unexpected token 173781 while expecting start token 200006",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
        "provider_name": "AtlasCloud",
    },
}


def test_stream_chunk_real_examples_validate() -> None:
    for chunk in (
        USAGE_CHUNK_2025,
        USAGE_CHUNK_2026,
        REASONING_CHUNK,
        TOOL_CALL_CHUNK,
        FIRST_TOOL_CALL_CHUNK,
        EMPTY_CHOICES_USAGE_CHUNK,
        DEBUG_CHUNK,
        S64_CHUNKS_VERBATIM[3],
    ):
        assert_valid("chat-completion-chunk.json", chunk)


def test_section_6_4_verbatim_chunks_validate() -> None:
    """§6.4 chunks carry ``system_fingerprint: null``, as real June/Aug 2025 captures did. A real recording
    that violates the schema means the schema is wrong, so the chunk schema accepts null (the mock itself
    omits the key, because @openrouter/sdk rejects null there)."""
    for chunk in S64_CHUNKS_VERBATIM:
        assert_valid("chat-completion-chunk.json", chunk)
        assert_valid("chat-completion-chunk.json", {**chunk, "system_fingerprint": "fp_34a54ae93c"})


def test_mid_stream_error_chunks_validate() -> None:
    assert_valid("chat-completion-chunk.json", MID_STREAM_ERROR_CHUNK)
    era_a = {**MID_STREAM_ERROR_CHUNK, "error": MID_STREAM_ERROR_ERA_A}
    assert_valid("chat-completion-chunk.json", era_a)
    era_b = copy.deepcopy(MID_STREAM_ERROR_CHUNK)
    era_b["error"]["metadata"].update(error_type="provider_unavailable", provider_code="503")
    assert_valid("chat-completion-chunk.json", era_b)
    # Real 2026 traffic: error chunk with an empty choices array.
    assert_valid("chat-completion-chunk.json", {**era_b, "choices": []})


def test_stream_chunks_reject_nonsense() -> None:
    number_fp = {**REASONING_CHUNK, "system_fingerprint": 7}
    assert_invalid("chat-completion-chunk.json", number_fp)

    bogus = copy.deepcopy(REASONING_CHUNK)
    bogus["choices"][0]["finish_reason"] = "bogus"
    assert_invalid("chat-completion-chunk.json", bogus)

    no_delta = copy.deepcopy(REASONING_CHUNK)
    del no_delta["choices"][0]["delta"]
    assert_invalid("chat-completion-chunk.json", no_delta)

    no_index = copy.deepcopy(TOOL_CALL_CHUNK)
    del no_index["choices"][0]["delta"]["tool_calls"][0]["index"]
    assert_invalid("chat-completion-chunk.json", no_index)

    wrong_object = {**REASONING_CHUNK, "object": "chat.completion"}
    assert_invalid("chat-completion-chunk.json", wrong_object)

    # Error chunk whose choice does not finish with "error".
    not_terminated = copy.deepcopy(MID_STREAM_ERROR_CHUNK)
    not_terminated["choices"][0]["finish_reason"] = "stop"
    assert_invalid("chat-completion-chunk.json", not_terminated)

    no_message = copy.deepcopy(MID_STREAM_ERROR_CHUNK)
    del no_message["error"]["message"]
    assert_invalid("chat-completion-chunk.json", no_message)

    string_code = copy.deepcopy(MID_STREAM_ERROR_CHUNK)
    string_code["error"]["code"] = "server_error"  # old docs example; the wire sends integers
    assert_invalid("chat-completion-chunk.json", string_code)

    non_object_error = {**REASONING_CHUNK, "error": "boom"}
    assert_invalid("chat-completion-chunk.json", non_object_error)

    bad_error_type = copy.deepcopy(MID_STREAM_ERROR_CHUNK)
    bad_error_type["error"]["metadata"]["error_type"] = "kaboom"
    assert_invalid("chat-completion-chunk.json", bad_error_type)


# --------------------------------------------------------------------------- errors (§7, §8.2, §16)

ERROR_BODIES: dict[str, dict[str, Any]] = {
    # §7.1 envelope
    "401 user not found": {
        "error": {"code": 401, "message": "User not found.", "metadata": {}},
        "user_id": "user_2zAklG7HDLZgAMY7y5rgO0dYwwN",
    },
    "401 no header (Era A)": {"error": {"message": "No auth credentials found", "code": 401}},
    "401 no header (Era B)": {"error": {"message": "No cookie auth credentials found", "code": 401}},
    # §3 / §16.4
    "400 input required": {"error": {"message": 'Input required: specify "prompt" or "messages"', "code": 400}},
    # §16.5
    "400 invalid model": {
        "error": {"message": "acme/fake is not a valid model ID", "code": 400},
        "user_id": "user_2zAklG7HDLZgAMY7y5rgO0dYwwN",
    },
    # §8.2 BYOK-required GPT-5 (open-webui#16817)
    "403 byok": {
        "error": {
            "message": "OpenAI is requiring a key to access this model, which you can add in https://openrouter.ai/settings/integrations - you can also switch to gpt-5-chat or gpt-5-mini.",
            "code": 403,
        }
    },
    # §7.2 / §16.31
    "402 credits": {
        "error": {
            "message": "This request requires more credits, or fewer max_tokens. You requested up to 65536 tokens, but can only afford 10114. To increase, visit https://openrouter.ai/settings/credits and upgrade to a paid account",
            "code": 402,
            "metadata": {"provider_name": None},
        },
        "user_id": "user_2zAklG7HDLZgAMY7y5rgO0dYwwN",
    },
    "402 with previous_errors": {
        "error": {
            "message": "Insufficient credits. Add more using https://openrouter.ai/credits",
            "code": 402,
            "metadata": {
                "provider_name": None,
                "previous_errors": [{"code": 429, "message": "Provider returned error"}],
            },
        }
    },
    # §16.32
    "403 key limit": {
        "error": {
            "message": "Key limit exceeded (total limit). Manage it using https://openrouter.ai/settings/keys",
            "code": 403,
        },
        "user_id": "org_2zAklG7HDLZgAMY7y5rgO0dYwwN",
    },
    # §7.3 / §16.33 moderation
    "403 moderation": {
        "error": {
            "message": 'openai/gpt-5 requires moderation on OpenAI. Your input was flagged for "harassment". No credits were charged.',
            "code": 403,
            "metadata": {
                "reasons": ["harassment"],
                "flagged_input": "you are a ...terrible person",
                "provider_name": "OpenAI",
                "model_slug": "openai/gpt-5",
            },
        }
    },
    # §7.2 / §16.34 platform 429 with mirrored headers
    "429 free per day": {
        "error": {
            "message": "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
            "code": 429,
            "metadata": {
                "headers": {
                    "X-RateLimit-Limit": "50",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": "1788825600000",
                },
                "provider_name": None,
            },
        },
        "user_id": "user_2zAklG7HDLZgAMY7y5rgO0dYwwN",
    },
    # §7.2 / §16.36 upstream 429
    "429 upstream": {
        "error": {
            "message": "Provider returned error",
            "code": 429,
            "metadata": {
                "raw": "deepseek/deepseek-r1:free is temporarily rate-limited upstream. Please retry shortly, or add your own key to accumulate your rate limits: https://openrouter.ai/settings/integrations",
                "provider_name": "Venice",
                "is_byok": False,
            },
        },
        "user_id": "user_2zAklG7HDLZgAMY7y5rgO0dYwwN",
    },
    # §16.39 / §16.40
    "404 tool use": {
        "error": {
            "message": "No endpoints found that support tool use. To learn more about provider routing, visit: https://openrouter.ai/docs/provider-routing",
            "code": 404,
        }
    },
    "404 no allowed providers": {
        "error": {
            "message": "No allowed providers are available for the selected model.",
            "code": 404,
            "metadata": {"available_providers": ["openai", "azure"], "requested_providers": ["groq"]},
        },
        "user_id": "user_2zAklG7HDLZgAMY7y5rgO0dYwwN",
    },
    # §7.2 524 (2025)
    "524 provider": {
        "error": {
            "message": "Provider returned error",
            "code": 524,
            "metadata": {"raw": "error code: 524", "provider_name": "Google AI Studio"},
        }
    },
    # §6.5: bare error envelope sent with HTTP 200
    "200 bare error": {
        "error": {"message": "Internal Server Error", "code": 500},
        "user_id": "org_2zAklG7HDLZgAMY7y5rgO0dYwwN",
    },
    # §2: admin route with a normal key
    "403 management": {"error": {"code": 403, "message": "Only management keys can perform this operation"}},
    # §7.4 / §7.5 / §7.6 Era B additions
    "Era B availability": {
        "error": {
            "code": 429,
            "message": "Provider returned error",
            "metadata": {
                "error_type": "rate_limit_exceeded",
                "provider_code": "429",
                "limit_source": "upstream_provider_shared_pool",
            },
            "availability": {
                "code": "capacity_exhausted",
                "retryable": True,
                "retry_after": 12,
                "requested_models": ["openai/gpt-5"],
                "affected_providers": ["openai"],
                "docs_url": "https://openrouter.ai/docs/api-reference/errors",
            },
        },
        "user_id": "user_2zAklG7HDLZgAMY7y5rgO0dYwwN",
    },
    "Era B violations": {
        "error": {
            "code": 400,
            "message": "Invalid request",
            "metadata": {
                "error_type": "invalid_request",
                "violations": [{"pointer": "/temperature", "message": "must be <= 2"}],
            },
        }
    },
}


@pytest.mark.parametrize("label", sorted(ERROR_BODIES))
def test_error_bodies_validate(label: str) -> None:
    assert_valid("error.json", ERROR_BODIES[label])


def test_era_a_mid_stream_error_object_matches_common_error_object() -> None:
    body = {"error": MID_STREAM_ERROR_ERA_A}
    assert_valid("error.json", body)


def test_error_bodies_reject_nonsense() -> None:
    assert_invalid("error.json", {"error": {"code": 400}})  # no message
    assert_invalid("error.json", {"error": {"message": "x"}})  # no code
    assert_invalid("error.json", {"error": {"code": "400", "message": "x"}})
    assert_invalid("error.json", {"error": {"code": 42, "message": "x"}})
    assert_invalid("error.json", {"message": "x", "code": 400})  # not enveloped
    assert_invalid("error.json", {"error": {"code": 404, "message": "x", "metadata": "oops"}})
    too_long = copy.deepcopy(ERROR_BODIES["403 moderation"])
    too_long["error"]["metadata"]["flagged_input"] = "x" * 101
    assert_invalid("error.json", too_long)
    exactly_100 = copy.deepcopy(ERROR_BODIES["403 moderation"])
    exactly_100["error"]["metadata"]["flagged_input"] = "x" * 100
    assert_valid("error.json", exactly_100)
    bad_availability = copy.deepcopy(ERROR_BODIES["Era B availability"])
    bad_availability["error"]["availability"]["code"] = "sunspots"
    assert_invalid("error.json", bad_availability)
    bad_headers = copy.deepcopy(ERROR_BODIES["429 free per day"])
    bad_headers["error"]["metadata"]["headers"]["X-RateLimit-Limit"] = 50
    assert_invalid("error.json", bad_headers)


# --------------------------------------------------------------------------- requests (§3, §4)

MINIMAL_REQUEST: dict[str, Any] = {
    "model": "openai/gpt-5",
    "messages": [{"role": "user", "content": "What is the capital of France?"}],
}

# Real Era A client body (ort CLI, Aug 2025): usage.include, provider.sort string, reasoning.
ORT_REQUEST: dict[str, Any] = {
    "model": "openrouter/auto",
    "stream": True,
    "usage": {"include": True},
    "messages": [
        {"role": "system", "content": "Respond like a pirate"},
        {"role": "user", "content": "Write a limerick about AI"},
    ],
    "provider": {"sort": "price"},
    "reasoning": {"effort": "medium", "exclude": False, "enabled": True},
}

FULL_REQUEST: dict[str, Any] = {
    "model": "openai/gpt-5",
    "models": ["openai/gpt-5", "openai/gpt-5-mini"],
    "route": "fallback",
    "messages": [
        {
            "role": "developer",
            "content": [{"type": "text", "text": "Be terse.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        },
        {
            "role": "user",
            "name": "alice",
            "content": [
                {"type": "text", "text": "Describe these."},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "high"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                {"type": "file", "file": {"filename": "doc.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}},
                {"type": "video_url", "video_url": {"url": "https://example.com/v.mp4"}},
                {"type": "input_video", "video_url": {"url": "https://example.com/v.mp4"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21}'},
        {"role": "assistant", "content": "The weather in Paris is"},
    ],
    "stream": True,
    "stream_options": {"include_usage": True},
    "max_tokens": 1024,
    "max_completion_tokens": 2048,
    "temperature": 0.7,
    "top_p": 0.9,
    "top_k": 40,
    "min_p": 0.05,
    "top_a": 0.1,
    "frequency_penalty": -0.5,
    "presence_penalty": 2,
    "repetition_penalty": 1.1,
    "logit_bias": {"50256": -100},
    "logprobs": True,
    "top_logprobs": 20,
    "seed": 42,
    "stop": ["\n\n", "END"],
    "n": 1,
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                "strict": True,
            },
        }
    ],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "parallel_tool_calls": False,
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "weather", "schema": {"type": "object"}, "strict": True},
    },
    "prediction": {"type": "content", "content": "The weather in Paris is"},
    "modalities": ["text", "image"],
    "audio": {"voice": "alloy", "format": "wav"},
    "user": "user-123",
    "metadata": {"run": "42"},
    "service_tier": "flex",
    "reasoning_effort": "minimal",
    "verbosity": "low",
    "web_search_options": {"search_context_size": "low"},
    "provider": {
        "order": ["OpenAI", "azure"],
        "allow_fallbacks": False,
        "require_parameters": True,
        "data_collection": "deny",
        "zdr": True,
        "enforce_distillable_text": False,
        "only": ["openai"],
        "ignore": ["together"],
        "quantizations": ["fp8", "bf16"],
        "sort": {"by": "throughput", "partition": "none"},
        "max_price": {"prompt": 1, "completion": "10"},
        "preferred_min_throughput": {"p90": 50},
        "preferred_max_latency": 3,
        "experimental": {"force_chat_completions": True},
    },
    "transforms": ["middle-out"],
    "usage": {"include": True},
    "reasoning": {"effort": "high", "max_tokens": 4000, "exclude": False, "summary": "auto"},
    "include_reasoning": True,
    "plugins": [
        {"id": "web", "engine": "exa", "max_results": 3, "search_prompt": "Sources:"},
        {"id": "file-parser", "pdf": {"engine": "mistral-ocr"}},
        {"id": "response-healing"},
        {"id": "context-compression", "enabled": True},
        {"id": "moderation"},
        {"id": "auto-router", "allowed_models": ["openai/*"], "cost_tier": "low"},
        {"id": "web-fetch", "some_future_option": 1},
    ],
    "debug": {"echo_upstream_body": True},
    "session_id": "session-1",
    "cache_control": {"type": "ephemeral"},
    "some_unknown_parameter": {"ignored": True},
}


def test_chat_requests_validate() -> None:
    assert_valid("chat-completion-request.json", MINIMAL_REQUEST)
    assert_valid("chat-completion-request.json", ORT_REQUEST)
    assert_valid("chat-completion-request.json", FULL_REQUEST)
    no_model = {"messages": MINIMAL_REQUEST["messages"]}
    assert_valid("chat-completion-request.json", no_model)
    for tool_choice in ("none", "auto", "required", {"type": "openrouter:web_search"}):
        assert_valid("chat-completion-request.json", {**MINIMAL_REQUEST, "tool_choice": tool_choice})
    for fmt in (
        {"type": "text"},
        {"type": "json_object"},
        {"type": "grammar", "grammar": 'root ::= "a"'},
        {"type": "python"},
    ):
        assert_valid("chat-completion-request.json", {**MINIMAL_REQUEST, "response_format": fmt})
    for sort in ("price", "throughput", "latency", "exacto", None, {"by": "price"}):
        assert_valid("chat-completion-request.json", {**MINIMAL_REQUEST, "provider": {"sort": sort}})
    assert_valid("chat-completion-request.json", {**MINIMAL_REQUEST, "provider": None})
    assert_valid("chat-completion-request.json", {**MINIMAL_REQUEST, "tools": [{"type": "openrouter:web_search"}]})
    assert_valid(
        "chat-completion-request.json", {**MINIMAL_REQUEST, "stop": "END", "max_tokens": None, "temperature": None}
    )


def test_chat_requests_reject_nonsense() -> None:
    def bad(**overrides: Any) -> None:
        assert_invalid("chat-completion-request.json", {**MINIMAL_REQUEST, **overrides})

    bad(messages=[])
    bad(temperature=3)
    bad(temperature=-0.1)
    bad(temperature="0.7")
    bad(top_p=1.5)
    bad(frequency_penalty=-2.5)
    bad(presence_penalty=2.1)
    bad(top_logprobs=21)
    bad(max_tokens=0)
    bad(max_completion_tokens=1.5)
    bad(n=0)
    bad(stop=["a", "b", "c", "d", "e"])
    bad(repetition_penalty=0)
    bad(provider={"order": ["openai"], "sort_by": "price"})  # unknown key in provider
    bad(provider={"sort": "cheapest"})
    bad(provider={"quantizations": ["fp7"]})
    bad(provider={"data_collection": "maybe"})
    bad(reasoning={"effort": "extreme"})
    bad(reasoning_effort="extreme")
    bad(response_format={"type": "json_schema"})
    bad(response_format={"type": "yaml"})
    bad(tool_choice="sometimes")
    bad(tool_choice={"type": "function"})
    bad(tools=[{"type": "function", "function": {"description": "no name"}}])
    bad(tools=[{"type": "function", "function": {"name": "has space"}}])
    bad(plugins=[{"engine": "exa"}])  # no id
    bad(plugins=[{"id": "web", "max_results": "3"}])
    bad(metadata={f"k{i}": "v" for i in range(17)})
    bad(logit_bias={"50256": 101})
    bad(messages=[{"role": "wizard", "content": "hi"}])
    bad(messages=[{"content": "hi"}])
    bad(messages=[{"role": "user"}])
    bad(messages=[{"role": "tool", "content": "x"}])  # tool_call_id missing
    bad(messages=[{"role": "user", "content": [{"type": "image_url"}]}])
    bad(messages=[{"role": "user", "content": [{"type": "hologram", "hologram": {}}]}])
    bad(messages=[{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]}])
    bad(session_id="x" * 257)
    bad(model=42)
    assert_invalid("chat-completion-request.json", {"model": "openai/gpt-5"})  # messages missing


# --------------------------------------------------------------------------- legacy /completions (§13.6)

# Real /completions stream capture (May 2025, openai/gpt-4o-mini): object is chat.completion.chunk
# with `text` choices, not text_completion.
COMPLETION_CHUNKS_2025: list[dict[str, Any]] = [
    {
        "id": "gen-1748550593-SiBpqgpnEC1joxVF6DZZ",
        "provider": "OpenAI",
        "model": "openai/gpt-4o-mini",
        "object": "chat.completion.chunk",
        "created": 1748550593,
        "choices": [
            {"index": 0, "text": "Hello", "finish_reason": None, "native_finish_reason": None, "logprobs": None}
        ],
        "system_fingerprint": "fp_34a54ae93c",
    },
    {
        "id": "gen-1748550593-SiBpqgpnEC1joxVF6DZZ",
        "provider": "OpenAI",
        "model": "openai/gpt-4o-mini",
        "object": "chat.completion.chunk",
        "created": 1748550593,
        "choices": [
            {"index": 0, "text": "!", "finish_reason": "stop", "native_finish_reason": "stop", "logprobs": None}
        ],
        "system_fingerprint": "fp_34a54ae93c",
    },
    {
        "id": "gen-1748550593-SiBpqgpnEC1joxVF6DZZ",
        "provider": "OpenAI",
        "model": "openai/gpt-4o-mini",
        "object": "chat.completion.chunk",
        "created": 1748550593,
        "choices": [{"index": 0, "text": "", "finish_reason": None, "native_finish_reason": None, "logprobs": None}],
        "usage": {"prompt_tokens": 16, "completion_tokens": 61, "total_tokens": 77},
    },
]
COMPLETION_RESPONSE: dict[str, Any] = {
    "id": "gen-1754612500-Zx8cV2bN4mQ6wE1rT3yU",
    "object": "text_completion",
    "created": 1754612500,
    "model": "openai/gpt-4o-mini",
    "provider": "OpenAI",
    "choices": [
        {"text": " Paris.", "index": 0, "finish_reason": "stop", "native_finish_reason": "stop", "logprobs": None}
    ],
    "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
}


def test_legacy_completions_validate() -> None:
    for prompt in ("Once upon a time", ["a", "b"], [1, 2, 3], [[1, 2], [3]]):
        assert_valid("completion-request.json", {"model": "openai/gpt-4o-mini", "prompt": prompt})
    assert_valid(
        "completion-request.json",
        {
            "model": "openai/gpt-4o-mini",
            "prompt": "x",
            "max_tokens": 16,
            "temperature": 0,
            "stop": ["\n"],
            "stream": True,
            "stream_options": {"include_usage": True},
            "seed": 1,
            "n": 1,
            "best_of": 2,
            "echo": False,
            "suffix": None,
            "logprobs": 5,
            "logit_bias": {"1": 1},
            "presence_penalty": 0,
            "frequency_penalty": 0,
            "user": "u",
            "provider": {"order": ["OpenAI"]},
            "models": ["openai/gpt-4o-mini"],
            "transforms": [],
            "usage": {"include": True},
            "response_format": None,
            "top_k": 5,
            "repetition_penalty": 1.2,
            "min_p": 0.1,
            "top_a": 0.8,
            "top_logprobs": 3,
        },
    )
    assert_valid("completion-request.json", {"prompt": "x", "logprobs": True})
    assert_valid("completion.json", COMPLETION_RESPONSE)
    for chunk in COMPLETION_CHUNKS_2025:
        assert_valid("completion-chunk.json", chunk)
    assert_valid("completion-chunk.json", {**COMPLETION_CHUNKS_2025[0], "object": "text_completion"})
    assert_valid(
        "completion-chunk.json",
        {
            **COMPLETION_CHUNKS_2025[0],
            "error": {"code": 502, "message": "Provider disconnected unexpectedly"},
            "choices": [{"index": 0, "text": "", "finish_reason": "error"}],
        },
    )


def test_legacy_completions_reject_nonsense() -> None:
    assert_invalid("completion-request.json", {"model": "openai/gpt-4o-mini"})
    assert_invalid("completion-request.json", {"prompt": [1.5]})
    assert_invalid("completion-request.json", {"prompt": "x", "temperature": 3})
    assert_invalid("completion-request.json", {"prompt": "x", "provider": {"bogus": 1}})
    assert_invalid("completion-request.json", {"prompt": "x", "logprobs": 6})
    bad = copy.deepcopy(COMPLETION_RESPONSE)
    bad["choices"][0]["finish_reason"] = "bogus"
    assert_invalid("completion.json", bad)
    no_text = copy.deepcopy(COMPLETION_RESPONSE)
    del no_text["choices"][0]["text"]
    assert_invalid("completion.json", no_text)
    assert_invalid("completion.json", {**COMPLETION_RESPONSE, "object": "chat.completion"})
    assert_invalid("completion-chunk.json", {**COMPLETION_CHUNKS_2025[0], "system_fingerprint": None})
    assert_invalid("completion-chunk.json", {**COMPLETION_CHUNKS_2025[0], "object": "chat.completion"})
    assert_invalid("completion-chunk.json", {**COMPLETION_CHUNKS_2025[0], "error": {"code": 502, "message": "x"}})


# --------------------------------------------------------------------------- models (§10)

# §10.3: realistic openai/gpt-5 entry (Era A).
GPT5_MODEL: dict[str, Any] = {
    "id": "openai/gpt-5",
    "canonical_slug": "openai/gpt-5-2025-08-07",
    "hugging_face_id": "",
    "name": "OpenAI: GPT-5",
    "created": 1754587413,
    "description": "GPT-5 is OpenAI’s most advanced model, offering major improvements in reasoning, code quality, and user experience. …",
    "context_length": 400000,
    "architecture": {
        "modality": "text+image->text",
        "input_modalities": ["text", "image", "file"],
        "output_modalities": ["text"],
        "tokenizer": "GPT",
        "instruct_type": None,
    },
    "pricing": {
        "prompt": "0.00000125",
        "completion": "0.00001",
        "request": "0",
        "image": "0",
        "audio": "0",
        "web_search": "0",
        "internal_reasoning": "0",
        "input_cache_read": "0.000000125",
    },
    "top_provider": {"context_length": 400000, "max_completion_tokens": 128000, "is_moderated": True},
    "per_request_limits": None,
    "supported_parameters": [
        "include_reasoning",
        "max_tokens",
        "reasoning",
        "response_format",
        "seed",
        "structured_outputs",
        "tool_choice",
        "tools",
    ],
    "default_parameters": None,
}
# Era B additions (links, supported_voices, expiration_date, knowledge_cutoff, reasoning, discount).
GPT5_MODEL_ERA_B: dict[str, Any] = {
    **GPT5_MODEL,
    "pricing": {**GPT5_MODEL["pricing"], "discount": 0},
    "expiration_date": None,
    "knowledge_cutoff": "2024-09-30",
    "links": {"details": "/api/v1/models/openai/gpt-5/endpoints"},
    "supported_voices": None,
    "default_parameters": {"temperature": None, "top_p": None, "frequency_penalty": None},
    "reasoning": {
        "mandatory": True,
        "default_enabled": True,
        "default_effort": "medium",
        "supported_efforts": ["minimal", "low", "medium", "high"],
        "supports_max_tokens": False,
    },
}
AUTO_ROUTER_MODEL: dict[str, Any] = {
    **GPT5_MODEL,
    "id": "openrouter/auto",
    "canonical_slug": "openrouter/auto",
    "name": "Auto Router",
    "pricing": {"prompt": "-1", "completion": "-1"},
    "context_length": 2000000,
    "architecture": {**GPT5_MODEL["architecture"], "tokenizer": "Router"},
}


def test_models_validate() -> None:
    for model in (GPT5_MODEL, GPT5_MODEL_ERA_B, AUTO_ROUTER_MODEL):
        assert_valid("model.json", model)
    assert_valid("models-list.json", {"data": [GPT5_MODEL]})  # Era A
    assert_valid("models-list.json", {"data": [GPT5_MODEL_ERA_B], "total_count": 1, "links": {"next": None}})  # Era B


def test_models_reject_nonsense() -> None:
    as_number = copy.deepcopy(GPT5_MODEL)
    as_number["pricing"]["prompt"] = 0.00000125
    assert_invalid("model.json", as_number)
    not_decimal = copy.deepcopy(GPT5_MODEL)
    not_decimal["pricing"]["completion"] = "$10/M"
    assert_invalid("model.json", not_decimal)
    cache_as_number = copy.deepcopy(GPT5_MODEL)
    cache_as_number["pricing"]["input_cache_read"] = 1.25e-7
    assert_invalid("model.json", cache_as_number)
    for field in (
        "id",
        "canonical_slug",
        "name",
        "created",
        "context_length",
        "architecture",
        "pricing",
        "top_provider",
        "per_request_limits",
        "supported_parameters",
    ):
        missing = {k: v for k, v in GPT5_MODEL.items() if k != field}
        assert_invalid("model.json", missing)
    bad_modality = copy.deepcopy(GPT5_MODEL)
    bad_modality["architecture"]["input_modalities"] = ["smell"]
    assert_invalid("model.json", bad_modality)
    assert_invalid("models-list.json", {"data": GPT5_MODEL})
    assert_invalid("models-list.json", {"data": [GPT5_MODEL], "links": {}})


# --------------------------------------------------------------------------- endpoints (§11)

GPT5_ENDPOINTS: dict[str, Any] = {
    "data": {
        "id": "openai/gpt-5",
        "name": "OpenAI: GPT-5",
        "created": 1754587413,
        "description": "GPT-5 is OpenAI’s most advanced model, …",
        "architecture": {
            "tokenizer": "GPT",
            "instruct_type": None,
            "modality": "text+image->text",
            "input_modalities": ["text", "image", "file"],
            "output_modalities": ["text"],
        },
        "endpoints": [
            {
                "name": "OpenAI | openai/gpt-5-2025-08-07",
                "model_name": "OpenAI: GPT-5",
                "context_length": 400000,
                "pricing": {
                    "prompt": "0.00000125",
                    "completion": "0.00001",
                    "request": "0",
                    "image": "0",
                    "web_search": "0",
                    "internal_reasoning": "0",
                    "input_cache_read": "0.000000125",
                    "discount": 0,
                },
                "provider_name": "OpenAI",
                "tag": "openai",
                "quantization": None,
                "max_completion_tokens": 128000,
                "max_prompt_tokens": None,
                "supported_parameters": [
                    "tools",
                    "tool_choice",
                    "seed",
                    "max_tokens",
                    "response_format",
                    "structured_outputs",
                    "reasoning",
                    "include_reasoning",
                ],
                "status": 0,
                "uptime_last_30m": 100,
                "supports_implicit_caching": True,
            }
        ],
    }
}


def test_endpoints_validate() -> None:
    assert_valid("model-endpoints.json", GPT5_ENDPOINTS)
    era_b = copy.deepcopy(GPT5_ENDPOINTS)
    era_b["data"]["endpoints"][0].update(
        model_id="openai/gpt-5-2025-08-07",
        uptime_last_5m=100,
        uptime_last_1d=99.8,
        latency_last_30m={"p50": 0.25, "p75": 0.35, "p90": 0.48, "p99": 0.85},
        throughput_last_30m=None,
        quantization="fp8",
    )
    era_b["data"]["architecture"]["tokenizer"] = None
    assert_valid("model-endpoints.json", era_b)


def test_endpoints_reject_nonsense() -> None:
    for field, value in (
        ("quantization", "fp7"),
        ("status", "ok"),
        ("status", 3),
        ("uptime_last_30m", 101),
        ("context_length", "400000"),
        ("latency_last_30m", {"p50": 1}),
    ):
        bad = copy.deepcopy(GPT5_ENDPOINTS)
        bad["data"]["endpoints"][0][field] = value
        assert_invalid("model-endpoints.json", bad)
    priced = copy.deepcopy(GPT5_ENDPOINTS)
    priced["data"]["endpoints"][0]["pricing"]["prompt"] = 0.00000125
    assert_invalid("model-endpoints.json", priced)
    unpriced = copy.deepcopy(GPT5_ENDPOINTS)
    del unpriced["data"]["endpoints"][0]["pricing"]
    assert_invalid("model-endpoints.json", unpriced)


# --------------------------------------------------------------------------- generation (§12)

GENERATION_ERA_A: dict[str, Any] = {
    "data": {
        "id": "gen-3bhGkxlo4XFrqiabUM7NDtwDzWwG",
        "upstream_id": "chatcmpl-791bcf62-080e-4568-87d0-94c72e3b4946",
        "total_cost": 0.0015,
        "cache_discount": None,
        "upstream_inference_cost": 0.0012,
        "created_at": "2024-07-15T23:33:19.433273+00:00",
        "model": "sao10k/l3-stheno-8b",
        "app_id": 12345,
        "streamed": True,
        "cancelled": False,
        "provider_name": "Infermatic",
        "latency": 1250,
        "moderation_latency": 50,
        "generation_time": 1200,
        "finish_reason": "stop",
        "tokens_prompt": 10,
        "tokens_completion": 25,
        "native_tokens_prompt": 10,
        "native_tokens_completion": 25,
        "native_tokens_completion_images": 0,
        "native_tokens_reasoning": 5,
        "native_tokens_cached": 3,
        "num_media_prompt": 1,
        "num_input_audio_prompt": 0,
        "num_media_completion": 0,
        "num_search_results": 5,
        "origin": "https://openrouter.ai/",
        "usage": 0.0015,
        "is_byok": False,
        "native_finish_reason": "stop",
        "external_user": "user-123",
        "api_type": "completions",
    }
}
GENERATION_ERA_B_EXTRAS: dict[str, Any] = {
    "service_tier": "priority",
    "num_fetches": 0,
    "web_search_engine": "exa",
    "preset_id": None,
    "router": "openrouter/auto",
    "provider_responses": [
        {
            "provider_name": "Infermatic",
            "status": 200,
            "latency": 1250,
            "is_byok": False,
            "model_permaslug": "sao10k/l3-stheno-8b",
            "endpoint_id": "ep_1",
            "id": "chatcmpl-791bcf62",
        }
    ],
    "user_agent": "Mozilla/5.0",
    "http_referer": "https://openrouter.ai/",
    "data_region": "global",
    "workspace_id": None,
    "request_id": "req-1727282430-aBcDeFgHiJkLmNoPqRsT",
    "session_id": None,
    "response_cache_source_id": None,
}


def test_generation_validates() -> None:
    assert_valid("generation.json", GENERATION_ERA_A)
    assert_valid("generation.json", {"data": {**GENERATION_ERA_A["data"], **GENERATION_ERA_B_EXTRAS}})
    assert_valid(
        "generation.json", {"data": {**GENERATION_ERA_A["data"], **GENERATION_ERA_B_EXTRAS, "provider_responses": None}}
    )
    nulls = {
        k: None
        for k in (
            "upstream_id",
            "cache_discount",
            "upstream_inference_cost",
            "app_id",
            "streamed",
            "cancelled",
            "provider_name",
            "latency",
            "moderation_latency",
            "generation_time",
            "finish_reason",
            "tokens_prompt",
            "native_tokens_cached",
            "native_finish_reason",
            "external_user",
            "api_type",
        )
    }
    assert_valid("generation.json", {"data": {**GENERATION_ERA_A["data"], **nulls}})
    negative_discount = {"data": {**GENERATION_ERA_A["data"], "cache_discount": -0.0002}}
    assert_valid("generation.json", negative_discount)


def test_generation_rejects_nonsense() -> None:
    for field in ("id", "total_cost", "is_byok", "native_tokens_prompt", "origin", "api_type"):
        missing = {"data": {k: v for k, v in GENERATION_ERA_A["data"].items() if k != field}}
        assert_invalid("generation.json", missing)
    for field, value in (
        ("total_cost", None),
        ("is_byok", None),
        ("tokens_prompt", 1.5),
        ("api_type", "chat"),
        ("streamed", "yes"),
    ):
        assert_invalid("generation.json", {"data": {**GENERATION_ERA_A["data"], field: value}})
    assert_invalid("generation.json", {"data": {**GENERATION_ERA_A["data"], "data_region": "mars"}})


# --------------------------------------------------------------------------- key, credits, providers (§13)

KEY_ERA_A: dict[str, Any] = {
    "data": {
        "label": "sk-or-v1-a20...c62",
        "limit": 100,
        "limit_reset": "monthly",
        "limit_remaining": 92.63,
        "include_byok_in_limit": False,
        "usage": 224.81,
        "usage_daily": 0.13,
        "usage_weekly": 0.69,
        "usage_monthly": 7.37,
        "byok_usage": 0,
        "byok_usage_daily": 0,
        "byok_usage_weekly": 0,
        "byok_usage_monthly": 0,
        "is_free_tier": False,
        "is_provisioning_key": False,
        "rate_limit": {"requests": -1, "interval": "10s", "note": "This field is deprecated and safe to ignore."},
    }
}
KEY_ERA_B: dict[str, Any] = {
    "data": {
        **KEY_ERA_A["data"],
        "is_management_key": False,
        "expires_at": "2027-12-31T23:59:59Z",
        "creator_user_id": "user_2dHFtVWx2n56w6HkM0000000000",
    }
}
KEY_UNLIMITED: dict[str, Any] = {
    "data": {**KEY_ERA_A["data"], "limit": None, "limit_remaining": None, "limit_reset": None}
}


def test_key_credits_providers_validate() -> None:
    for key in (KEY_ERA_A, KEY_ERA_B, KEY_UNLIMITED):
        assert_valid("key.json", key)
    assert_valid("credits.json", {"data": {"total_credits": 100.5, "total_usage": 25.75}})
    assert_valid(
        "providers.json",
        {
            "data": [
                {
                    "name": "OpenAI",
                    "slug": "openai",
                    "privacy_policy_url": "https://openai.com/privacy",
                    "terms_of_service_url": "https://openai.com/terms",
                    "status_page_url": "https://status.openai.com",
                }
            ]
        },
    )
    assert_valid(
        "providers.json",
        {
            "data": [
                {
                    "name": "OpenAI",
                    "slug": "openai",
                    "privacy_policy_url": None,
                    "headquarters": "US",
                    "datacenters": ["US", "IE"],
                }
            ]
        },
    )


def test_key_credits_providers_reject_nonsense() -> None:
    assert_invalid("key.json", {"data": {**KEY_ERA_A["data"], "limit_reset": "yearly"}})
    assert_invalid("key.json", {"data": {**KEY_ERA_A["data"], "usage": "224.81"}})
    assert_invalid("key.json", {"data": {k: v for k, v in KEY_ERA_A["data"].items() if k != "is_free_tier"}})
    assert_invalid("credits.json", {"data": {"total_credits": "100.5", "total_usage": 25.75}})
    assert_invalid("credits.json", {"data": {"total_credits": 100.5}})
    assert_invalid(
        "providers.json", {"data": [{"name": "OpenAI", "slug": "openai"}]}
    )  # privacy_policy_url key required
    assert_invalid(
        "providers.json",
        {"data": [{"name": "OpenAI", "slug": "openai", "privacy_policy_url": None, "headquarters": "USA"}]},
    )
