"""Static checks of the wire schemas in ``schemas/`` (no server involved).

The schemas are the one contract that both mockrouter and the real OpenRouter API are checked
against, so besides being valid JSON Schema 2020-12 documents they must accept the real payloads
quoted in the contract notes (``openrouter-contract.md``, Era A = GPT-5 launch 2025 and Era B =
current) and reject nonsense.

The payloads live in ``schemas/examples/<schema-stem>/<example-name>.json``, one file per payload:
``{"summary": "<one line>", "source": "<contract section or capture>", "value": <the payload>}``,
valid against ``schemas/<schema-stem>.json`` (the OpenAPI document shows them as the documented
examples). Every file is validated here; the negative cases below are mutations of them.
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

try:  # optional second implementation: the verdicts must not depend on the validator library
    import jsonschema_rs
except ImportError:  # pragma: no cover
    jsonschema_rs = None  # type: ignore[assignment]

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SCHEMA_FILES = sorted(SCHEMA_DIR.glob("*.json"))
SCHEMAS: dict[str, dict[str, Any]] = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMA_FILES}
EXAMPLES_DIR = SCHEMA_DIR / "examples"
EXAMPLE_FILES = sorted(EXAMPLES_DIR.glob("*/*.json"))
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

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


def _load_examples() -> dict[str, dict[str, dict[str, Any]]]:
    """``{schema stem: {example name: file contents}}`` for every file in ``schemas/examples/*/``."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for path in EXAMPLE_FILES:
        found.setdefault(path.parent.name, {})[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return found


EXAMPLES = _load_examples()


def example(stem: str, name: str) -> Any:
    """A fresh copy of the payload in ``schemas/examples/<stem>/<name>.json`` (tests mutate it)."""
    return copy.deepcopy(EXAMPLES[stem][name]["value"])


def examples(stem: str, prefix: str) -> list[Any]:
    """Fresh copies of the payloads of ``<stem>/<prefix>*.json``, in file-name order (a numbered sequence)."""
    return [copy.deepcopy(doc["value"]) for name, doc in sorted(EXAMPLES[stem].items()) if name.startswith(prefix)]


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


# --------------------------------------------------------------------------- the example files


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.relative_to(EXAMPLES_DIR).as_posix())
def test_example_file_validates_against_its_schema(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict) and set(doc) == {"summary", "source", "value"}, f"keys: {sorted(doc)}"
    assert isinstance(doc["summary"], str) and doc["summary"].strip() and "\n" not in doc["summary"]
    assert isinstance(doc["source"], str) and doc["source"].strip()
    assert KEBAB.match(path.stem), f"{path.name}: example names are kebab-case"
    schema = f"{path.parent.name}.json"
    assert schema in SCHEMAS, f"{path.parent.name}/ names no schema in schemas/"
    assert_valid(schema, doc["value"])


#: The payloads the checks below and the documented examples rely on: removing one must be deliberate.
EXPECTED_EXAMPLES: dict[str, str] = {
    "chat-completion": "gpt-5-response grok-response gpt-5-byok-era-a gpt-5-byok-2026 tool-calls choice-error",
    "chat-completion-chunk": "gpt-5-stream-1-content gpt-5-stream-2-content gpt-5-stream-3-finish gpt-5-stream-4-usage"
    " usage-2025 usage-2026 usage-empty-choices reasoning tool-call-first-fragment tool-call-later-fragment"
    " debug-echo mid-stream-error mid-stream-error-era-a mid-stream-error-era-b",
    "error": "user-not-found no-credentials-era-a no-credentials-era-b input-required invalid-model byok-required"
    " insufficient-credits insufficient-credits-after-fallbacks key-limit-exceeded moderation-flagged"
    " free-models-per-day upstream-rate-limited no-tool-endpoints no-allowed-providers provider-timeout-524"
    " bare-error-http-200 management-key-required capacity-exhausted-era-b invalid-request-era-b",
    "chat-completion-request": "minimal ort-cli every-field",
    "completion-request": "every-legacy-field",
    "completion": "gpt-4o-mini-text-completion",
    "completion-chunk": "gpt-4o-mini-stream-1-text gpt-4o-mini-stream-2-finish gpt-4o-mini-stream-3-usage",
    "model": "gpt-5-model gpt-5-model-era-b auto-router-model",
    "model-endpoints": "gpt-5-endpoints gpt-5-endpoints-era-b",
    "generation": "generation-era-a generation-era-b",
    "key": "key-era-a key-era-b key-unlimited",
    "credits": "credits-balance",
    "providers": "providers-era-a providers-era-b",
}


def test_example_folders_hold_only_example_files() -> None:
    for entry in sorted(EXAMPLES_DIR.iterdir()):
        assert entry.is_dir() and KEBAB.match(entry.name), f"{entry}: only one folder per schema here"
        strays = [p.name for p in entry.iterdir() if not (p.is_file() and p.suffix == ".json")]
        assert not strays, f"{entry.name}/: not example files: {strays}"


def test_expected_examples_are_there() -> None:
    for stem, names in EXPECTED_EXAMPLES.items():
        missing = sorted(set(names.split()) - set(EXAMPLES.get(stem, {})))
        assert not missing, f"schemas/examples/{stem}/ lacks {missing}"
    uncovered = [n for n in WIRE_SCHEMAS if n not in ("common.json", "models-list.json") and n[:-5] not in EXAMPLES]
    assert not uncovered, f"wire schemas without an example: {uncovered}"


# --------------------------------------------------------------------------- the brief's named negatives


def test_named_negative_cases_are_rejected_for_the_right_reason() -> None:
    minimal = example("chat-completion-request", "minimal")
    assert_rejected_at(
        "chat-completion-chunk.json",
        {**example("chat-completion-chunk", "reasoning"), "system_fingerprint": 7},
        ["system_fingerprint"],
        "is not of type 'string', 'null'",
    )
    bogus = example("chat-completion", "gpt-5-response")
    bogus["choices"][0]["finish_reason"] = "bogus"
    assert_rejected_at("chat-completion.json", bogus, ["choices", 0, "finish_reason"], "is not one of")
    as_number = example("model", "gpt-5-model")
    as_number["pricing"]["prompt"] = 0.00000125
    assert_rejected_at("model.json", as_number, ["pricing", "prompt"], "not of type 'string'")
    assert_rejected_at(
        "chat-completion-request.json",
        {**minimal, "provider": {"order": ["openai"], "sort_by": "price"}},
        ["provider"],
        "'sort_by' was unexpected",
    )
    assert_rejected_at("chat-completion-request.json", {**minimal, "messages": []}, ["messages"], "non-empty")
    assert_rejected_at("chat-completion-request.json", {**minimal, "temperature": 3}, ["temperature"], "maximum of 2")
    assert_rejected_at("error.json", {"error": {"code": 400}}, ["error"], "'message' is a required property")
    flagged = example("error", "moderation-flagged")
    flagged["error"]["metadata"]["flagged_input"] = "x" * 101
    assert_rejected_at("error.json", flagged, ["error", "metadata", "flagged_input"], "is too long")


# --------------------------------------------------------------------------- chat completion (§5)


def test_chat_completion_rejects_nonsense() -> None:
    def gpt5() -> Any:
        return example("chat-completion", "gpt-5-response")

    bogus = gpt5()
    bogus["choices"][0]["finish_reason"] = "bogus"
    assert_invalid("chat-completion.json", bogus)

    no_fingerprint = gpt5()
    del no_fingerprint["system_fingerprint"]  # the openrouter SDK requires the key
    assert_invalid("chat-completion.json", no_fingerprint)

    wrong_object = gpt5()
    wrong_object["object"] = "chat.completion.chunk"
    assert_invalid("chat-completion.json", wrong_object)

    string_created = gpt5()
    string_created["created"] = "1754612345"
    assert_invalid("chat-completion.json", string_created)

    no_tokens = gpt5()
    del no_tokens["usage"]["total_tokens"]
    assert_invalid("chat-completion.json", no_tokens)

    bad_role = gpt5()
    bad_role["choices"][0]["message"]["role"] = "user"
    assert_invalid("chat-completion.json", bad_role)

    bad_reasoning = example("chat-completion", "grok-response")
    bad_reasoning["choices"][0]["message"]["reasoning_details"] = [{"type": "reasoning.summary"}]
    assert_invalid("chat-completion.json", bad_reasoning)


# --------------------------------------------------------------------------- streaming (§6)


def test_section_6_4_verbatim_chunks_validate() -> None:
    """§6.4 chunks carry ``system_fingerprint: null``, as real June/Aug 2025 captures did. A real recording
    that violates the schema means the schema is wrong, so the chunk schema accepts null (the mock itself
    omits the key, because @openrouter/sdk rejects null there)."""
    transcript = examples("chat-completion-chunk", "gpt-5-stream-")
    assert len(transcript) == 4
    for chunk in transcript:
        assert_valid("chat-completion-chunk.json", chunk)
        assert_valid("chat-completion-chunk.json", {**chunk, "system_fingerprint": "fp_34a54ae93c"})


def test_mid_stream_error_chunks_validate() -> None:
    # Real 2026 traffic: error chunk with an empty choices array.
    assert_valid(
        "chat-completion-chunk.json", {**example("chat-completion-chunk", "mid-stream-error-era-b"), "choices": []}
    )


def test_stream_chunks_reject_nonsense() -> None:
    reasoning = example("chat-completion-chunk", "reasoning")
    number_fp = {**reasoning, "system_fingerprint": 7}
    assert_invalid("chat-completion-chunk.json", number_fp)

    bogus = example("chat-completion-chunk", "reasoning")
    bogus["choices"][0]["finish_reason"] = "bogus"
    assert_invalid("chat-completion-chunk.json", bogus)

    no_delta = example("chat-completion-chunk", "reasoning")
    del no_delta["choices"][0]["delta"]
    assert_invalid("chat-completion-chunk.json", no_delta)

    no_index = example("chat-completion-chunk", "tool-call-later-fragment")
    del no_index["choices"][0]["delta"]["tool_calls"][0]["index"]
    assert_invalid("chat-completion-chunk.json", no_index)

    wrong_object = {**reasoning, "object": "chat.completion"}
    assert_invalid("chat-completion-chunk.json", wrong_object)

    # Error chunk whose choice does not finish with "error".
    not_terminated = example("chat-completion-chunk", "mid-stream-error")
    not_terminated["choices"][0]["finish_reason"] = "stop"
    assert_invalid("chat-completion-chunk.json", not_terminated)

    no_message = example("chat-completion-chunk", "mid-stream-error")
    del no_message["error"]["message"]
    assert_invalid("chat-completion-chunk.json", no_message)

    string_code = example("chat-completion-chunk", "mid-stream-error")
    string_code["error"]["code"] = "server_error"  # old docs example; the wire sends integers
    assert_invalid("chat-completion-chunk.json", string_code)

    non_object_error = {**reasoning, "error": "boom"}
    assert_invalid("chat-completion-chunk.json", non_object_error)

    bad_error_type = example("chat-completion-chunk", "mid-stream-error")
    bad_error_type["error"]["metadata"]["error_type"] = "kaboom"
    assert_invalid("chat-completion-chunk.json", bad_error_type)


# --------------------------------------------------------------------------- errors (§7, §8.2, §16)


def test_era_a_mid_stream_error_object_matches_common_error_object() -> None:
    body = {"error": example("chat-completion-chunk", "mid-stream-error-era-a")["error"]}
    assert_valid("error.json", body)


def test_error_bodies_reject_nonsense() -> None:
    assert_invalid("error.json", {"error": {"code": 400}})  # no message
    assert_invalid("error.json", {"error": {"message": "x"}})  # no code
    assert_invalid("error.json", {"error": {"code": "400", "message": "x"}})
    assert_invalid("error.json", {"error": {"code": 42, "message": "x"}})
    assert_invalid("error.json", {"message": "x", "code": 400})  # not enveloped
    assert_invalid("error.json", {"error": {"code": 404, "message": "x", "metadata": "oops"}})
    too_long = example("error", "moderation-flagged")
    too_long["error"]["metadata"]["flagged_input"] = "x" * 101
    assert_invalid("error.json", too_long)
    exactly_100 = example("error", "moderation-flagged")
    exactly_100["error"]["metadata"]["flagged_input"] = "x" * 100
    assert_valid("error.json", exactly_100)
    bad_availability = example("error", "capacity-exhausted-era-b")
    bad_availability["error"]["availability"]["code"] = "sunspots"
    assert_invalid("error.json", bad_availability)
    bad_headers = example("error", "free-models-per-day")
    bad_headers["error"]["metadata"]["headers"]["X-RateLimit-Limit"] = 50
    assert_invalid("error.json", bad_headers)


# --------------------------------------------------------------------------- requests (§3, §4)


def test_chat_requests_validate() -> None:
    minimal = example("chat-completion-request", "minimal")
    no_model = {"messages": minimal["messages"]}
    assert_valid("chat-completion-request.json", no_model)
    for tool_choice in ("none", "auto", "required", {"type": "openrouter:web_search"}):
        assert_valid("chat-completion-request.json", {**minimal, "tool_choice": tool_choice})
    for fmt in (
        {"type": "text"},
        {"type": "json_object"},
        {"type": "grammar", "grammar": 'root ::= "a"'},
        {"type": "python"},
    ):
        assert_valid("chat-completion-request.json", {**minimal, "response_format": fmt})
    for sort in ("price", "throughput", "latency", "exacto", None, {"by": "price"}):
        assert_valid("chat-completion-request.json", {**minimal, "provider": {"sort": sort}})
    assert_valid("chat-completion-request.json", {**minimal, "provider": None})
    assert_valid("chat-completion-request.json", {**minimal, "tools": [{"type": "openrouter:web_search"}]})
    assert_valid("chat-completion-request.json", {**minimal, "stop": "END", "max_tokens": None, "temperature": None})


def test_chat_requests_reject_nonsense() -> None:
    minimal = example("chat-completion-request", "minimal")

    def bad(**overrides: Any) -> None:
        assert_invalid("chat-completion-request.json", {**minimal, **overrides})

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


def test_legacy_completions_validate() -> None:
    for prompt in ("Once upon a time", ["a", "b"], [1, 2, 3], [[1, 2], [3]]):
        assert_valid("completion-request.json", {"model": "openai/gpt-4o-mini", "prompt": prompt})
    assert_valid("completion-request.json", {"prompt": "x", "logprobs": True})
    first = example("completion-chunk", "gpt-4o-mini-stream-1-text")
    assert_valid("completion-chunk.json", {**first, "object": "text_completion"})
    assert_valid(
        "completion-chunk.json",
        {
            **first,
            "error": {"code": 502, "message": "Provider disconnected unexpectedly"},
            "choices": [{"index": 0, "text": "", "finish_reason": "error"}],
        },
    )


def test_legacy_completions_reject_nonsense() -> None:
    response = example("completion", "gpt-4o-mini-text-completion")
    first = example("completion-chunk", "gpt-4o-mini-stream-1-text")
    assert_invalid("completion-request.json", {"model": "openai/gpt-4o-mini"})
    assert_invalid("completion-request.json", {"prompt": [1.5]})
    assert_invalid("completion-request.json", {"prompt": "x", "temperature": 3})
    assert_invalid("completion-request.json", {"prompt": "x", "provider": {"bogus": 1}})
    assert_invalid("completion-request.json", {"prompt": "x", "logprobs": 6})
    bad = copy.deepcopy(response)
    bad["choices"][0]["finish_reason"] = "bogus"
    assert_invalid("completion.json", bad)
    no_text = copy.deepcopy(response)
    del no_text["choices"][0]["text"]
    assert_invalid("completion.json", no_text)
    assert_invalid("completion.json", {**response, "object": "chat.completion"})
    assert_invalid("completion-chunk.json", {**first, "system_fingerprint": None})
    assert_invalid("completion-chunk.json", {**first, "object": "chat.completion"})
    assert_invalid("completion-chunk.json", {**first, "error": {"code": 502, "message": "x"}})


# --------------------------------------------------------------------------- models (§10)


def test_models_list_validates() -> None:
    assert_valid("models-list.json", {"data": [example("model", "gpt-5-model")]})  # Era A
    era_b = example("model", "gpt-5-model-era-b")
    assert_valid("models-list.json", {"data": [era_b], "total_count": 1, "links": {"next": None}})  # Era B


def test_models_reject_nonsense() -> None:
    gpt5 = example("model", "gpt-5-model")
    as_number = copy.deepcopy(gpt5)
    as_number["pricing"]["prompt"] = 0.00000125
    assert_invalid("model.json", as_number)
    not_decimal = copy.deepcopy(gpt5)
    not_decimal["pricing"]["completion"] = "$10/M"
    assert_invalid("model.json", not_decimal)
    cache_as_number = copy.deepcopy(gpt5)
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
        missing = {k: v for k, v in gpt5.items() if k != field}
        assert_invalid("model.json", missing)
    bad_modality = copy.deepcopy(gpt5)
    bad_modality["architecture"]["input_modalities"] = ["smell"]
    assert_invalid("model.json", bad_modality)
    assert_invalid("models-list.json", {"data": gpt5})
    assert_invalid("models-list.json", {"data": [gpt5], "links": {}})


# --------------------------------------------------------------------------- endpoints (§11)


def test_endpoints_reject_nonsense() -> None:
    for field, value in (
        ("quantization", "fp7"),
        ("status", "ok"),
        ("status", 3),
        ("uptime_last_30m", 101),
        ("context_length", "400000"),
        ("latency_last_30m", {"p50": 1}),
    ):
        bad = example("model-endpoints", "gpt-5-endpoints")
        bad["data"]["endpoints"][0][field] = value
        assert_invalid("model-endpoints.json", bad)
    priced = example("model-endpoints", "gpt-5-endpoints")
    priced["data"]["endpoints"][0]["pricing"]["prompt"] = 0.00000125
    assert_invalid("model-endpoints.json", priced)
    unpriced = example("model-endpoints", "gpt-5-endpoints")
    del unpriced["data"]["endpoints"][0]["pricing"]
    assert_invalid("model-endpoints.json", unpriced)


# --------------------------------------------------------------------------- generation (§12)


def test_generation_validates() -> None:
    era_a = example("generation", "generation-era-a")["data"]
    era_b = example("generation", "generation-era-b")["data"]
    assert_valid("generation.json", {"data": {**era_b, "provider_responses": None}})
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
    assert_valid("generation.json", {"data": {**era_a, **nulls}})
    negative_discount = {"data": {**era_a, "cache_discount": -0.0002}}
    assert_valid("generation.json", negative_discount)


def test_generation_rejects_nonsense() -> None:
    era_a = example("generation", "generation-era-a")["data"]
    for field in ("id", "total_cost", "is_byok", "native_tokens_prompt", "origin", "api_type"):
        missing = {"data": {k: v for k, v in era_a.items() if k != field}}
        assert_invalid("generation.json", missing)
    for field, value in (
        ("total_cost", None),
        ("is_byok", None),
        ("tokens_prompt", 1.5),
        ("api_type", "chat"),
        ("streamed", "yes"),
    ):
        assert_invalid("generation.json", {"data": {**era_a, field: value}})
    assert_invalid("generation.json", {"data": {**era_a, "data_region": "mars"}})


# --------------------------------------------------------------------------- key, credits, providers (§13)


def test_key_credits_providers_reject_nonsense() -> None:
    key = example("key", "key-era-a")["data"]
    assert_invalid("key.json", {"data": {**key, "limit_reset": "yearly"}})
    assert_invalid("key.json", {"data": {**key, "usage": "224.81"}})
    assert_invalid("key.json", {"data": {k: v for k, v in key.items() if k != "is_free_tier"}})
    assert_invalid("credits.json", {"data": {"total_credits": "100.5", "total_usage": 25.75}})
    assert_invalid("credits.json", {"data": {"total_credits": 100.5}})
    assert_invalid(
        "providers.json", {"data": [{"name": "OpenAI", "slug": "openai"}]}
    )  # privacy_policy_url key required
    assert_invalid(
        "providers.json",
        {"data": [{"name": "OpenAI", "slug": "openai", "privacy_policy_url": None, "headquarters": "USA"}]},
    )
