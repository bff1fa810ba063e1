"""The shipped default world (fixtures/default.yaml): valid against schemas/fixtures.json, and realistic.

Checks the data only (no mock is started): the GPT-5 launch facts, BYOK, :free variants, multi-provider
pricing, and internal consistency (providers declared, prices parse, limits fit the context window).
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "fixtures" / "default.yaml"
SCHEMA = ROOT / "schemas" / "fixtures.json"

GPT5_BYOK = (
    "OpenAI is requiring a key to access this model, which you can add in "
    "https://openrouter.ai/settings/integrations - you can also switch to gpt-5-chat or gpt-5-mini."
)
GPT5_PARAMS = ["include_reasoning", "max_tokens", "reasoning", "response_format", "seed", "structured_outputs",
               "tool_choice", "tools"]  # fmt: skip
CATEGORIES = {"programming", "roleplay", "marketing", "technology", "science", "translation", "legal", "finance",
              "health", "trivia", "academia", "seo"}  # fmt: skip


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def models(world: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in world["models"]}


def _endpoint_pricing(model: dict[str, Any], endpoint: dict[str, Any]) -> dict[str, str]:
    """What the loader serves: the model's pricing overridden by the endpoint's."""
    return {**model.get("pricing", {}), **endpoint.get("pricing", {})}


def test_validates_against_fixture_schema(world: dict[str, Any]) -> None:
    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    errors = sorted(validator.iter_errors(world), key=lambda e: list(e.absolute_path))
    report = "\n".join(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
    assert not errors, f"{len(errors)} schema violation(s):\n{report}"


def test_defaults(world: dict[str, Any]) -> None:
    assert world["defaults"] == {"credits": 10, "purchased": True}


def test_keys_are_unique(world: dict[str, Any], models: dict[str, dict[str, Any]]) -> None:
    ids = Counter(m["id"] for m in world["models"])
    slugs = Counter(p["slug"] for p in world["providers"])
    assert [i for i, n in ids.items() if n > 1] == []
    assert [s for s, n in slugs.items() if n > 1] == []
    for mid, m in models.items():  # endpoints are merged by provider, so one endpoint per provider
        providers = Counter(e["provider"] for e in m.get("endpoints", []))
        assert [p for p, n in providers.items() if n > 1] == [], mid


def test_catalogue_size(models: dict[str, dict[str, Any]]) -> None:
    assert len(models) >= 15
    assert len({mid.split("/")[0] for mid in models}) >= 6
    assert "openrouter/auto" not in models  # the auto router is code, not data


def test_providers(world: dict[str, Any]) -> None:
    providers = {p["slug"]: p for p in world["providers"]}
    assert len(providers) >= 12
    assert {"openai", "azure", "anthropic", "amazon-bedrock", "google-vertex", "google-ai-studio", "chutes"} <= set(
        providers
    )
    for slug, p in providers.items():
        assert p["name"], slug
        assert p.get("privacy_policy_url", "").startswith("https://"), slug
        assert isinstance(p.get("headquarters"), str) and len(p["headquarters"]) == 2, slug
        assert set(p.get("data_policy", {})) == {"training", "retains_prompts", "zdr"}, slug
    assert providers["chutes"]["data_policy"]["training"] is True
    assert providers["openai"]["data_policy"] == {"training": False, "retains_prompts": True, "zdr": False}
    assert any(p["data_policy"]["zdr"] for p in providers.values())


def test_gpt5_as_at_launch(models: dict[str, dict[str, Any]]) -> None:
    m = models["openai/gpt-5"]
    assert m["canonical_slug"] == "openai/gpt-5-2025-08-07"
    assert m["hugging_face_id"] == ""
    assert m["name"] == "OpenAI: GPT-5"
    assert m["created"] == 1754587413
    assert m["context_length"] == 400000
    assert m["input_modalities"] == ["text", "image", "file"]
    assert m["output_modalities"] == ["text"]
    assert m["tokenizer"] == "GPT"
    assert m["pricing"]["prompt"] == "0.00000125"
    assert m["pricing"]["completion"] == "0.00001"
    assert m["pricing"]["input_cache_read"] == "0.000000125"
    assert m["supported_parameters"] == GPT5_PARAMS
    assert m["default_parameters"] is None
    assert m["reasoning"] == "hidden"
    assert m["byok_required"] == GPT5_BYOK
    endpoints = {e["provider"]: e for e in m["endpoints"]}
    assert set(endpoints) == {"openai", "azure"}
    openai = endpoints["openai"]
    assert openai["max_completion_tokens"] == 128000
    assert openai["byok"] is True and openai["shared"] is False
    assert openai["native_finish_reason"] == "completed"
    azure = endpoints["azure"]
    assert azure["byok"] is True and azure["shared"] is False
    for e in endpoints.values():
        assert _endpoint_pricing(m, e) == m["pricing"]


@pytest.mark.parametrize(
    ("mid", "prompt", "completion", "cache_read", "context", "max_out", "reasoning"),
    [
        ("openai/gpt-5-mini", "0.00000025", "0.000002", "0.000000025", 400000, 128000, "hidden"),
        ("openai/gpt-5-nano", "0.00000005", "0.0000004", "0.000000005", 400000, 128000, "hidden"),
        ("openai/gpt-5-chat", "0.00000125", "0.00001", "0.000000125", 128000, 16384, "none"),
    ],
)
def test_gpt5_siblings_need_no_byok(
    models: dict[str, dict[str, Any]],
    mid: str,
    prompt: str,
    completion: str,
    cache_read: str,
    context: int,
    max_out: int,
    reasoning: str,
) -> None:
    m = models[mid]
    assert m.get("byok_required") is None
    assert (m["pricing"]["prompt"], m["pricing"]["completion"], m["pricing"]["input_cache_read"]) == (
        prompt,
        completion,
        cache_read,
    )
    assert m["context_length"] == context and m["reasoning"] == reasoning
    assert {e["provider"] for e in m["endpoints"]} >= {"openai"}
    assert all(e["max_completion_tokens"] == max_out for e in m["endpoints"])
    assert all(e.get("shared", True) for e in m["endpoints"])
    if mid == "openai/gpt-5-chat":
        assert "tools" not in m["supported_parameters"]
    else:
        assert {e["provider"] for e in m["endpoints"]} == {"openai", "azure"}


def test_only_gpt5_requires_byok(models: dict[str, dict[str, Any]]) -> None:
    assert [mid for mid, m in models.items() if m.get("byok_required")] == ["openai/gpt-5"]


def test_free_variants(world: dict[str, Any], models: dict[str, dict[str, Any]]) -> None:
    policies = {p["slug"]: p.get("data_policy", {}) for p in world["providers"]}
    free = {mid: m for mid, m in models.items() if mid.endswith(":free")}
    assert free
    for mid, m in free.items():
        assert all(v == "0" for v in m["pricing"].values()), mid
        assert m["endpoints"], mid
        for e in m["endpoints"]:
            assert all(v == "0" for v in _endpoint_pricing(m, e).values()), (mid, e["provider"])
            assert policies[e["provider"]].get("training") is True, (mid, e["provider"])
        assert mid.removesuffix(":free") in models  # the paid model exists too


def test_a_model_with_several_differently_priced_providers(models: dict[str, dict[str, Any]]) -> None:
    def distinct_prompt_prices(m: dict[str, Any]) -> int:
        return len({Decimal(_endpoint_pricing(m, e)["prompt"]) for e in m.get("endpoints", [])})

    many = [mid for mid, m in models.items() if len(m.get("endpoints", [])) >= 3 and distinct_prompt_prices(m) >= 3]
    assert "meta-llama/llama-3.3-70b-instruct" in many
    llama = models["meta-llama/llama-3.3-70b-instruct"]
    assert any("tools" not in e["supported_parameters"] for e in llama["endpoints"])
    assert len({e["quantization"] for e in llama["endpoints"]}) >= 3


def test_model_without_any_tool_endpoint(models: dict[str, dict[str, Any]]) -> None:
    m = models["gryphe/mythomax-l2-13b"]
    assert m["endpoints"] and "tools" not in m["supported_parameters"]
    assert all("tools" not in e.get("supported_parameters", m["supported_parameters"]) for e in m["endpoints"])


def test_gpt4o_mini_is_moderated_on_openai(models: dict[str, dict[str, Any]]) -> None:
    openai = next(e for e in models["openai/gpt-4o-mini"]["endpoints"] if e["provider"] == "openai")
    assert openai["moderation"] == {"flag": ["forbidden-example", "make a bomb"], "reasons": ["violence"]}


@pytest.mark.parametrize(
    ("mid", "tokenizer", "finish", "providers", "reasoning"),
    [
        ("anthropic/claude-sonnet-4", "Claude", "end_turn", {"anthropic", "amazon-bedrock", "google-vertex"}, None),
        ("anthropic/claude-opus-4.1", "Claude", "end_turn", {"anthropic", "amazon-bedrock", "google-vertex"}, None),
        ("anthropic/claude-3.5-haiku", "Claude", "end_turn", {"anthropic", "amazon-bedrock", "google-vertex"}, "none"),
        ("google/gemini-2.5-pro", "Gemini", "STOP", {"google-vertex", "google-ai-studio"}, None),
        ("google/gemini-2.5-flash", "Gemini", "STOP", {"google-vertex", "google-ai-studio"}, None),
        ("x-ai/grok-3-mini", "Grok", "stop", {"xai"}, "visible"),
        ("x-ai/grok-4", "Grok", "stop", {"xai"}, None),
        ("deepseek/deepseek-r1", "DeepSeek", "stop", None, "visible"),
        ("mistralai/mistral-large", "Mistral", "stop", {"mistral"}, None),
    ],
)
def test_family_conventions(
    models: dict[str, dict[str, Any]],
    mid: str,
    tokenizer: str,
    finish: str,
    providers: set[str] | None,
    reasoning: str | None,
) -> None:
    m = models[mid]
    assert m["tokenizer"] == tokenizer
    assert all(e["native_finish_reason"] == finish for e in m["endpoints"])
    if providers is not None:
        assert {e["provider"] for e in m["endpoints"]} == providers
    if reasoning is not None:
        assert m["reasoning"] == reasoning
    if mid.startswith("google/gemini"):
        assert {"image", "file", "audio", "video"} <= set(m["input_modalities"])


def test_every_endpoint_is_consistent(world: dict[str, Any], models: dict[str, dict[str, Any]]) -> None:
    slugs = {p["slug"] for p in world["providers"]}
    problems: list[str] = []
    for mid, m in models.items():
        if not m.get("endpoints"):
            problems.append(f"{mid}: no endpoints")
        model_params = set(m.get("supported_parameters", []))
        closed = m.get("hugging_face_id") in ("", None)
        for e in m.get("endpoints", []):
            where = f"{mid} @ {e.get('tag', e['provider'])}"
            if e["provider"] not in slugs:
                problems.append(f"{where}: undeclared provider")
            if "tag" in e and e["tag"].split("/")[0] != e["provider"]:
                problems.append(f"{where}: tag does not start with the provider slug")
            context = e.get("context_length", m.get("context_length"))
            if e.get("max_completion_tokens") is not None and e["max_completion_tokens"] > context:
                problems.append(
                    f"{where}: max_completion_tokens {e['max_completion_tokens']} > context_length {context}"
                )
            if not set(e.get("supported_parameters", [])) <= model_params:
                problems.append(f"{where}: parameters missing from the model's list")
            if closed and e.get("quantization") is not None:
                problems.append(f"{where}: closed model with a quantization")
            if not closed and e.get("quantization") is None and not mid.endswith(":free"):
                problems.append(f"{where}: open-weight model without a quantization")
            rates = e.get("reliability", {}).get("error_rates", {})
            if sum(rates.values()) > 0.01 or e.get("reliability", {}).get("down"):
                problems.append(f"{where}: the default world should be stable")
    assert not problems, "\n".join(problems)


def test_every_price_is_a_non_negative_decimal(world: dict[str, Any]) -> None:
    bad: list[str] = []

    def check(where: str, pricing: dict[str, Any]) -> None:
        for key, value in pricing.items():
            try:
                ok = isinstance(value, str) and Decimal(value) >= 0
            except InvalidOperation:
                ok = False
            if not ok:
                bad.append(f"{where} {key}={value!r}")

    for m in world["models"]:
        check(m["id"], m.get("pricing", {}))
        for e in m.get("endpoints", []):
            check(f"{m['id']} @ {e['provider']}", e.get("pricing", {}))
    assert not bad, "\n".join(bad)


def test_model_metadata(models: dict[str, dict[str, Any]]) -> None:
    for mid, m in models.items():
        author = mid.split("/")[0]
        assert m["canonical_slug"].startswith(f"{author}/"), mid
        assert ": " in m["name"], mid
        assert 1_600_000_000 < m["created"] < 1_800_000_000, mid
        assert m["description"], mid
        assert set(m["categories"]) <= CATEGORIES, mid
        assert m["reasoning"] in ("none", "hidden", "visible"), mid
        if m["reasoning"] != "none":
            assert "reasoning" in m["supported_parameters"], mid
