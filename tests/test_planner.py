"""The planner, as a pure function: tables of (request, world, account) -> attempts. No server."""

from __future__ import annotations

from collections import Counter

import pytest

from mockrouter.engine.planner import plan
from mockrouter.errors import MockRouterError
from mockrouter.fixtures import world_from
from mockrouter.state.protocol import Snapshot
from mockrouter.world import ByokKey

PROVIDERS = [
    {"slug": s, "name": n, "data_policy": dp}
    for s, n, dp in [
        ("openai", "OpenAI", {"zdr": False}),
        ("azure", "Azure", {"zdr": True}),
        ("cheap", "Cheap", {"training": True}),
        ("mid", "Mid", {}),
        ("pricey", "Pricey", {"zdr": True}),
        ("fast", "Fast", {}),
    ]
]


def ep(provider, prompt, completion=None, **extra):
    return {"provider": provider, "pricing": {"prompt": prompt, "completion": completion or prompt}, **extra}


WORLD = world_from({
    "providers": PROVIDERS,
    "models": [
        {"id": "meta/llama", "context_length": 8000, "supported_parameters": ["tools", "temperature", "max_tokens"], "endpoints": [
            ep("cheap", "0.000001", quantization="fp8", supported_parameters=["temperature", "max_tokens"]),
            ep("mid", "0.000002", quantization="bf16", latency={"ttft_ms": 100, "tokens_per_second": 50}),
            ep("pricey", "0.000003", quantization="bf16", latency={"ttft_ms": 900, "tokens_per_second": 40}),
            ep("fast", "0.000004", tag="fast/turbo", quantization="fp8", latency={"ttft_ms": 500, "tokens_per_second": 900}),
        ]},
        {"id": "meta/llama:free", "context_length": 8000, "endpoints": [ep("cheap", "0")]},
        {"id": "openai/gpt-5", "context_length": 400000, "byok_required": "OpenAI is requiring a key to access this model",
         "endpoints": [ep("openai", "0.00000125", "0.00001", byok=True, shared=False), ep("azure", "0.00000125", "0.00001", byok=True, shared=False)]},
        {"id": "openai/gpt-5-mini", "context_length": 400000, "supported_parameters": ["tools"],
         "endpoints": [ep("openai", "0.00000025", "0.000002", byok=True), ep("azure", "0.00000025", "0.000002", byok=True)]},
        {"id": "tiny/notools", "context_length": 100, "supported_parameters": ["temperature"], "endpoints": [ep("mid", "0.0000001")]},
    ],
})  # fmt: skip
SNAP = Snapshot(byok={}, elapsed_s=0.0, down=frozenset())
MSG = [{"role": "user", "content": "hello"}]


def tags(body, snap=SNAP, seed=0):
    p = plan({"messages": MSG, **body}, WORLD, snap, seed, "fp")
    if p.error is not None:
        raise p.error
    return [(a.model.id, a.endpoint.tag, a.byok) if a.byok else a.endpoint.tag for a in p.attempts]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "meta/llama", "provider": {"sort": "price"}}, ["cheap", "mid", "pricey", "fast/turbo"]),
        ({"model": "meta/llama:floor"}, ["cheap", "mid", "pricey", "fast/turbo"]),
        ({"model": "meta/llama", "provider": {"sort": "throughput"}}, ["fast/turbo", "cheap", "mid", "pricey"]),
        ({"model": "meta/llama:nitro"}, ["fast/turbo", "cheap", "mid", "pricey"]),
        ({"model": "meta/llama", "provider": {"sort": "latency"}}, ["mid", "cheap", "fast/turbo", "pricey"]),
        (
            {"model": "meta/llama", "provider": {"sort": {"by": "price", "partition": "none"}}},
            ["cheap", "mid", "pricey", "fast/turbo"],
        ),
        ({"model": "meta/llama", "provider": {"order": ["pricey", "mid"]}}, ["pricey", "mid", "cheap", "fast/turbo"]),
        (
            {"model": "meta/llama", "provider": {"order": ["Pricey", "MID"], "allow_fallbacks": False}},
            ["pricey", "mid"],
        ),
        ({"model": "meta/llama", "provider": {"order": ["fast"]}}, ["fast/turbo", "cheap", "mid", "pricey"]),
        ({"model": "meta/llama", "provider": {"only": ["mid", "fast"], "sort": "price"}}, ["mid", "fast/turbo"]),
        ({"model": "meta/llama", "provider": {"ignore": ["cheap"], "sort": "price"}}, ["mid", "pricey", "fast/turbo"]),
        ({"model": "meta/llama", "provider": {"quantizations": ["fp8"], "sort": "price"}}, ["cheap", "fast/turbo"]),
        (
            {"model": "meta/llama", "provider": {"data_collection": "deny", "sort": "price"}},
            ["mid", "pricey", "fast/turbo"],
        ),
        ({"model": "meta/llama", "provider": {"zdr": True}}, ["pricey"]),
        ({"model": "meta/llama", "provider": {"max_price": {"prompt": 2.5}, "sort": "price"}}, ["cheap", "mid"]),
        (
            {
                "model": "meta/llama",
                "provider": {"require_parameters": True, "sort": "price"},
                "tools": None,
                "temperature": 0.5,
            },
            ["cheap", "mid", "pricey", "fast/turbo"],
        ),
        (
            {
                "model": "meta/llama",
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "provider": {"sort": "price"},
            },
            ["mid", "pricey", "fast/turbo"],
        ),
        ({"model": "meta/llama", "provider": {"sort": "price", "allow_fallbacks": False}}, ["cheap"]),
        (
            {"model": "tiny/notools", "models": ["meta/llama"], "provider": {"sort": "price"}},
            ["mid", "cheap", "mid", "pricey", "fast/turbo"],
        ),
        ({"models": ["openai/gpt-5-mini", "meta/llama"], "provider": {"only": ["azure", "mid"]}}, ["azure", "mid"]),
    ],
)
def test_plan_table(body, expected):
    assert tags(body) == expected


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"model": "acme/nothing"}, 400, "acme/nothing is not a valid model ID"),
        (
            {"model": "tiny/notools", "tools": [{"type": "function", "function": {"name": "f"}}]},
            404,
            "No endpoints found that support tool use",
        ),
        (
            {"model": "meta/llama", "provider": {"only": ["openai"]}},
            404,
            "No allowed providers are available for the selected model.",
        ),
        ({"model": "openai/gpt-5"}, 403, "OpenAI is requiring a key"),
        ({"model": "meta/llama", "provider": {"max_price": {"prompt": 0.1}}}, 404, "max_price"),
        ({"model": "meta/llama", "provider": {"quantizations": ["int4"]}}, 404, "No endpoints found for meta/llama."),
        (
            {"model": "tiny/notools", "messages": [{"role": "user", "content": "word " * 500}]},
            400,
            "maximum context length is 100 tokens",
        ),
        ({"model": "tiny/notools", "provider": {"require_parameters": True}, "seed": 3}, 404, "requested parameters"),
        ({"model": "meta/llama", "provider": {"zdr": True, "ignore": ["pricey"]}}, 404, "data policy"),
    ],
)
def test_plan_errors(body, status, message):
    with pytest.raises(MockRouterError) as info:
        tags(body)
    assert info.value.status == status and message in info.value.message


def test_no_allowed_providers_metadata():
    with pytest.raises(MockRouterError) as info:
        tags({"model": "meta/llama", "provider": {"only": ["openai"]}})
    assert info.value.metadata == {
        "available_providers": ["cheap", "fast/turbo", "mid", "pricey"],
        "requested_providers": ["openai"],
    }


def test_byok_endpoints_first_and_required_model_needs_key():
    snap = Snapshot(byok={"openai": ByokKey()}, elapsed_s=0.0, down=frozenset())
    assert tags({"model": "openai/gpt-5"}, snap) == [("openai/gpt-5", "openai", True)]
    attempts = tags({"model": "openai/gpt-5-mini", "provider": {"order": ["azure"]}}, snap)
    assert attempts[0] == ("openai/gpt-5-mini", "openai", True)  # BYOK first regardless of order
    assert attempts[1:] == ["azure", "openai"]
    always = Snapshot(byok={"openai": ByokKey(always_use=True)}, elapsed_s=0.0, down=frozenset())
    assert tags({"model": "openai/gpt-5-mini", "provider": {"sort": "price"}}, always) == [
        ("openai/gpt-5-mini", "openai", True),
        "azure",
    ]


def test_byok_first_only_within_what_order_and_fallbacks_allow():
    snap = Snapshot(byok={"openai": ByokKey()}, elapsed_s=0.0, down=frozenset())
    strict = {"model": "openai/gpt-5-mini", "provider": {"order": ["azure"], "allow_fallbacks": False}}
    assert tags(strict, snap) == ["azure"]  # the BYOK provider is outside the order: never tried
    inside = {"model": "openai/gpt-5-mini", "provider": {"order": ["azure", "openai"], "allow_fallbacks": False}}
    assert tags(inside, snap) == [("openai/gpt-5-mini", "openai", True), "azure", "openai"]
    ignored = {"model": "openai/gpt-5-mini", "provider": {"ignore": ["openai"]}}
    assert tags(ignored, snap) == ["azure"]
    with pytest.raises(MockRouterError) as exc:
        tags({"model": "openai/gpt-5", "provider": {"only": ["azure"]}}, snap)
    assert exc.value.status == 404


def test_load_balancing_is_inverse_square_of_price_and_seeded():
    firsts = Counter(tags({"model": "meta/llama"}, seed=s)[0] for s in range(3000))
    # weights 1, 1/4, 1/9, 1/16 -> shares 0.70, 0.18, 0.08, 0.04
    assert 0.64 < firsts["cheap"] / 3000 < 0.76
    assert 0.13 < firsts["mid"] / 3000 < 0.23
    assert firsts["cheap"] / firsts["mid"] == pytest.approx(4, rel=0.35)
    assert tags({"model": "meta/llama"}, seed=42) == tags({"model": "meta/llama"}, seed=42)


def test_unstable_providers_go_last():
    snap = Snapshot(byok={}, elapsed_s=0.0, down=frozenset({"cheap"}))
    for seed in range(20):
        assert tags({"model": "meta/llama"}, snap, seed)[-1] == "cheap"


def test_auto_router_picks_a_concrete_model():
    p = plan({"model": "openrouter/auto", "messages": MSG}, WORLD, SNAP, 0, "fp")
    assert p.router == "openrouter/auto"
    assert p.attempts and p.attempts[0].model.id not in ("openrouter/auto", "openai/gpt-5", "meta/llama:free")


def test_free_variant_is_its_own_model():
    assert tags({"model": "meta/llama:free"}) == ["cheap"]
