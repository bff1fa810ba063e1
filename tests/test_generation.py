from __future__ import annotations

import base64
import json
import random
import re
import socket
from typing import Any

import jsonschema
import pytest

from mockrouter.engine.generation import Choice, Prompt, Spec, count_prompt, estimate_tokens, generate, pieces

QUESTION = "What is the capital of France and why is it famous?"
BODY: dict[str, Any] = {
    "model": "openai/gpt-4o",
    "messages": [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": QUESTION}],
}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
EMAIL = {
    "type": "function",
    "function": {
        "name": "send_email",
        "description": "Send an email message",
        "parameters": {
            "type": "object",
            "properties": {
                "to": {"type": "string", "format": "email"},
                "subject": {"type": "string"},
                "cc": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
            "required": ["to", "subject"],
        },
    },
}
NO_PARAMS = {"type": "function", "function": {"name": "ping"}}
TOOLS = [WEATHER, EMAIL, NO_PARAMS]
SCHEMAS = {t["function"]["name"]: t["function"].get("parameters", {}) for t in TOOLS}
CALL_ID = re.compile(r"^call_[A-Za-z0-9]{24}$")


def body(**extra: Any) -> dict[str, Any]:
    return {**BODY, **extra}


def with_messages(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": list(messages), **extra}


def only(choices: tuple[Choice, ...]) -> Choice:
    assert len(choices) == 1
    return choices[0]


# ------------------------------------------------------------------------------------------------ tokens


@pytest.mark.parametrize(("text", "tokens"), [("", 0), ("a", 1), ("abcd", 1), ("abcde", 2), ("x" * 400, 100)])
def test_estimate_tokens(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


AUDIO = base64.b64encode(b"\0" * 30_000).decode()  # 40_000 base64 chars -> 30 KB -> 750 tokens
PROMPTS: list[tuple[str, dict[str, Any], Prompt]] = [
    ("one message", with_messages({"role": "user", "content": "abcd"}), Prompt(3 + 4 + 1, 0, 0)),
    (
        "two messages",
        with_messages({"role": "system", "content": "x" * 8}, {"role": "user", "content": "y" * 5}),
        Prompt(3 + 8 + 2 + 2, 0, 0),
    ),
    (
        "text parts",
        with_messages(
            {"role": "user", "content": [{"type": "text", "text": "abcd"}, {"type": "text", "text": "efgh"}]}
        ),
        Prompt(9, 0, 0),
    ),
    (
        "image low",
        with_messages(
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "https://example.invalid/cat.png", "detail": "low"}}
                ],
            }
        ),
        Prompt(7 + 85, 1, 0),
    ),
    (
        "image high",
        with_messages(
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "https://example.invalid/cat.png", "detail": "high"}}
                ],
            }
        ),
        Prompt(7 + 765, 1, 0),
    ),
    (
        "image auto",
        with_messages(
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}
        ),
        Prompt(7 + 765, 1, 0),
    ),
    (
        "audio",
        with_messages(
            {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": AUDIO, "format": "wav"}}]}
        ),
        Prompt(7 + 750, 1, 1),
    ),
    (
        "tiny audio",
        with_messages(
            {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "mp3"}}]}
        ),
        Prompt(7 + 1, 1, 1),
    ),
    (
        "file",
        with_messages(
            {
                "role": "user",
                "content": [
                    {"type": "file", "file": {"filename": "report.pdf", "file_data": "https://example.invalid/r.pdf"}}
                ],
            }
        ),
        Prompt(7 + 250 + 3, 1, 0),
    ),
    (
        "video",
        with_messages(
            {"role": "user", "content": [{"type": "video_url", "video_url": {"url": "https://example.invalid/v.mp4"}}]}
        ),
        Prompt(7 + 1000, 1, 0),
    ),
    (
        "mixed",
        with_messages(
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this"},
                    {"type": "image_url", "image_url": {"url": "https://example.invalid/a.png", "detail": "low"}},
                    {"type": "input_audio", "input_audio": {"data": AUDIO, "format": "wav"}},
                ],
            }
        ),
        Prompt(7 + 3 + 85 + 750, 2, 1),
    ),
    (
        "tool round trip",
        with_messages(
            {"role": "user", "content": "abcd"},
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
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ),
        Prompt(3 + 12 + 1 + 3 + 4 + 2, 0, 0),
    ),
    ("legacy string", {"model": "m", "prompt": "abcdefgh"}, Prompt(2, 0, 0)),
    ("legacy strings", {"model": "m", "prompt": ["abcd", "abcdefgh"]}, Prompt(3, 0, 0)),
    ("legacy token ids", {"model": "m", "prompt": [101, 2023, 2003, 102]}, Prompt(4, 0, 0)),
    ("legacy token id lists", {"model": "m", "prompt": [[1, 2, 3], [4, 5]]}, Prompt(5, 0, 0)),
]


@pytest.mark.parametrize(("request_body", "expected"), [(b, p) for _, b, p in PROMPTS], ids=[n for n, _, _ in PROMPTS])
def test_count_prompt(request_body: dict[str, Any], expected: Prompt) -> None:
    assert count_prompt(request_body) == expected


def test_tools_add_their_json() -> None:
    plain = count_prompt(BODY).tokens
    assert count_prompt(body(tools=[WEATHER])).tokens > plain + 20


def test_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for _, request_body, expected in PROMPTS:
        assert count_prompt(request_body) == expected
        assert generate(request_body, 1)[0].finish_reason in ("stop", "length")


# ------------------------------------------------------------------------------------------------ determinism


def test_same_seed_same_output() -> None:
    assert generate(BODY, 42) == generate(BODY, 42)
    assert generate(body(tools=TOOLS), 7) == generate(body(tools=TOOLS), 7)


def test_different_seed_different_output() -> None:
    assert len({only(generate(BODY, seed)).content for seed in range(20)}) == 20


@pytest.mark.parametrize(
    "extra",
    [
        {"stream": True},
        {"stream": True, "stream_options": {"include_usage": True}},
        {"usage": {"include": True}},
        {"provider": {"order": ["openai"], "allow_fallbacks": False}},
        {"models": ["a/b", "c/d"], "route": "fallback"},
        {"transforms": ["middle-out"]},
        {"plugins": [{"id": "web"}]},
    ],
)
def test_routing_and_streaming_do_not_change_output(extra: dict[str, Any]) -> None:
    for seed in range(3):
        assert generate(body(**extra), seed) == generate(BODY, seed)


def test_other_parameters_change_output() -> None:
    assert generate(body(temperature=0.2), 1) != generate(BODY, 1)


# ------------------------------------------------------------------------------------------------ natural text


def test_natural_answer_shape() -> None:
    lengths = []
    for seed in range(200):
        c = only(generate(BODY, seed))
        assert c.finish_reason == "stop" and c.tool_calls == () and c.reasoning is None and c.reasoning_tokens == 0
        assert c.content and c.content[0].isupper() and c.content.endswith(".")
        assert c.completion_tokens == estimate_tokens(c.content)
        lengths.append(c.completion_tokens)
    assert 6 <= min(lengths) and max(lengths) <= 110 and 35 <= sum(lengths) / len(lengths) <= 70
    assert any("France" in (only(generate(BODY, s)).content or "") for s in range(20))  # echoes the topic


@pytest.mark.parametrize(
    ("limits", "spec", "expected"),
    [
        ({"max_tokens": 5}, Spec(), 5),
        ({"max_completion_tokens": 7}, Spec(), 7),
        ({"max_tokens": 9, "max_completion_tokens": 4}, Spec(), 4),
        ({"max_tokens": 3, "max_completion_tokens": None}, Spec(), 3),
        ({}, Spec(max_output_tokens=6), 6),
        ({"max_tokens": 8}, Spec(max_output_tokens=100), 8),
        ({"max_tokens": 1}, Spec(), 1),
    ],
)
def test_max_tokens_truncates(limits: dict[str, Any], spec: Spec, expected: int) -> None:
    for seed in range(10):
        full = only(generate(body(**limits), seed, Spec()))
        c = only(generate(body(**limits), seed, spec))
        assert c.finish_reason == "length"
        assert c.completion_tokens == expected == estimate_tokens(c.content or "")
        assert (full.content or "").startswith(c.content or "")


def test_max_tokens_large_enough_is_not_length() -> None:
    c = only(generate(body(max_tokens=4000), 3))
    assert c.finish_reason == "stop" and c.completion_tokens < 4000


@pytest.mark.parametrize("stop", ["e", ["zzz", "e"], ["a", "e", "i", "o"]])
def test_stop_cuts_content(stop: str | list[str]) -> None:
    stops = [stop] if isinstance(stop, str) else stop
    for seed in range(10):
        c = only(generate(body(stop=stop), seed))
        assert c.finish_reason == "stop"
        assert not any(s in (c.content or "") for s in stops)
        assert c.completion_tokens == estimate_tokens(c.content or "")


def test_stop_on_forced_content() -> None:
    c = only(generate(body(stop=["END", "never"]), 1, Spec(content="Hello there. END and more")))
    assert c.content == "Hello there. " and c.finish_reason == "stop"


def test_stop_before_length_wins() -> None:
    c = only(generate(body(stop="STOP", max_tokens=5), 1, Spec(content="Hi STOP " + "word " * 40)))
    assert (c.content, c.finish_reason) == ("Hi ", "stop")
    c = only(generate(body(stop="STOP", max_tokens=5), 1, Spec(content="word " * 40 + "STOP")))
    assert c.finish_reason == "length" and c.completion_tokens == 5


@pytest.mark.parametrize("n", [1, 2, 5])
def test_n_choices_are_distinct(n: int) -> None:
    choices = generate(body(n=n), 11)
    assert [c.index for c in choices] == list(range(n))
    assert len({c.content for c in choices}) == n


@pytest.mark.parametrize(
    ("prefill", "lead"),
    [
        ("The capital of France is", " "),
        ("Sure. ", ""),
        ("Here is my answer:", " "),
        ("Well,\n", ""),
    ],
)
def test_prefill_is_continued(prefill: str, lead: str) -> None:
    request_body = body(messages=[*BODY["messages"], {"role": "assistant", "content": prefill}])
    for seed in range(10):
        c = only(generate(request_body, seed))
        assert c.content and c.content.startswith(lead) and not c.content.startswith(lead + " ")
        assert prefill.strip() not in c.content
        if lead:
            assert c.content[1:2].strip()


def test_json_prefill_completes_an_object() -> None:
    request_body = body(messages=[*BODY["messages"], {"role": "assistant", "content": "{"}])
    for seed in range(5):
        assert isinstance(json.loads("{" + (only(generate(request_body, seed)).content or "")), dict)


# ------------------------------------------------------------------------------------------------ tools


def test_named_tool_choice() -> None:
    for name in SCHEMAS:
        choice = {"type": "function", "function": {"name": name}}
        for seed in range(10):
            c = only(generate(body(tools=TOOLS, tool_choice=choice), seed))
            assert c.finish_reason == "tool_calls" and c.content is None and len(c.tool_calls) == 1
            call = c.tool_calls[0]
            assert call.name == name and CALL_ID.match(call.id)
            jsonschema.Draft202012Validator(SCHEMAS[name]).validate(json.loads(call.arguments))
            assert c.completion_tokens == estimate_tokens(call.arguments)
            if name == "ping":
                assert call.arguments == "{}"


def test_required_tool_choice_even_after_tool_result() -> None:
    messages = [
        *BODY["messages"],
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_x", "type": "function", "function": {"name": "ping", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "call_x", "content": "pong"},
    ]
    for request_body in (
        body(tools=TOOLS, tool_choice="required"),
        body(messages=messages, tools=TOOLS, tool_choice="required"),
    ):
        for seed in range(20):
            c = only(generate(request_body, seed))
            assert c.finish_reason == "tool_calls" and c.content is None and 1 <= len(c.tool_calls) <= 2
            for call in c.tool_calls:
                jsonschema.Draft202012Validator(SCHEMAS[call.name]).validate(json.loads(call.arguments))
            assert len({call.id for call in c.tool_calls}) == len(c.tool_calls)


def test_tool_choice_none_gives_text() -> None:
    for seed in range(20):
        c = only(generate(body(tools=TOOLS, tool_choice="none"), seed))
        assert c.tool_calls == () and c.content and c.finish_reason == "stop"


@pytest.mark.parametrize("tool_choice", [None, "auto"])
def test_auto_usually_calls_a_tool(tool_choice: str | None) -> None:
    extra = {"tool_choice": tool_choice} if tool_choice else {}
    calls = [bool(only(generate(body(tools=TOOLS, **extra), seed)).tool_calls) for seed in range(100)]
    assert 70 <= sum(calls) < 100


def test_auto_answers_in_text_after_tool_result() -> None:
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_x",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_x", "content": '{"temp": 21}'},
    ]
    for seed in range(20):
        c = only(generate(with_messages(*messages, tools=TOOLS), seed))
        assert c.tool_calls == () and c.content and c.finish_reason == "stop"


def test_relevant_tool_preferred() -> None:
    request_body = with_messages(
        {"role": "user", "content": "What's the weather like in Paris today?"}, tools=TOOLS, tool_choice="required"
    )
    names = [call.name for seed in range(30) for call in only(generate(request_body, seed)).tool_calls]
    assert names.count("get_weather") == len(names)


def test_parallel_tool_calls() -> None:
    unrelated = with_messages({"role": "user", "content": "Do something useful."}, tools=TOOLS, tool_choice="required")
    counts = [len(only(generate(unrelated, seed)).tool_calls) for seed in range(60)]
    assert set(counts) == {1, 2}
    serial = {**unrelated, "parallel_tool_calls": False}
    assert {len(only(generate(serial, seed)).tool_calls) for seed in range(60)} == {1}


def test_tool_arguments_over_budget_are_cut() -> None:
    c = only(
        generate(
            body(tools=TOOLS, tool_choice={"type": "function", "function": {"name": "send_email"}}, max_tokens=3), 1
        )
    )
    assert c.finish_reason == "length" and c.completion_tokens == 3


# ------------------------------------------------------------------------------------------------ response formats


def test_json_object() -> None:
    for seed in range(20):
        c = only(generate(body(response_format={"type": "json_object"}), seed))
        value = json.loads(c.content or "")
        assert isinstance(value, dict) and value and c.finish_reason == "stop"


RESPONSE_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "population": {"type": "integer", "minimum": 0},
        "landmarks": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "facts": {"type": "array", "items": {"$ref": "#/$defs/fact"}},
    },
    "required": ["city", "population", "landmarks", "facts"],
    "additionalProperties": False,
    "$defs": {
        "fact": {
            "type": "object",
            "properties": {"text": {"type": "string"}, "year": {"type": "integer"}},
            "required": ["text", "year"],
            "additionalProperties": False,
        }
    },
}


def test_json_schema() -> None:
    rf = {"type": "json_schema", "json_schema": {"name": "city", "strict": True, "schema": RESPONSE_SCHEMA}}
    for seed in range(20):
        c = only(generate(body(response_format=rf), seed))
        jsonschema.Draft202012Validator(RESPONSE_SCHEMA).validate(json.loads(c.content or ""))


def test_json_schema_without_schema_is_an_object() -> None:
    c = only(generate(body(response_format={"type": "json_schema", "json_schema": {"name": "x"}}), 1))
    assert isinstance(json.loads(c.content or ""), dict)


# ------------------------------------------------------------------------------------------------ reasoning


def test_hidden_reasoning() -> None:
    for seed in range(10):
        c = only(generate(BODY, seed, Spec(reasoning="hidden")))
        assert c.reasoning is None and 16 <= c.reasoning_tokens <= 400
        assert c.completion_tokens == estimate_tokens(c.content or "")


def test_visible_reasoning() -> None:
    for seed in range(10):
        c = only(generate(BODY, seed, Spec(reasoning="visible")))
        assert c.reasoning and c.reasoning_tokens == estimate_tokens(c.reasoning)
        assert c.content and c.reasoning != c.content


def test_no_reasoning_model() -> None:
    c = only(generate(body(reasoning={"effort": "high"}), 1))
    assert c.reasoning is None and c.reasoning_tokens == 0


def test_effort_scales_reasoning() -> None:
    def mean(effort: str) -> float:
        return (
            sum(
                only(generate(body(reasoning={"effort": effort}), s, Spec(reasoning="hidden"))).reasoning_tokens
                for s in range(40)
            )
            / 40
        )

    assert mean("minimal") < mean("low") < mean("medium") < mean("high")
    top_level = [
        only(generate(body(reasoning_effort="minimal"), s, Spec(reasoning="hidden"))).reasoning_tokens
        for s in range(20)
    ]
    assert max(top_level) <= 64


@pytest.mark.parametrize("reasoning", [{"enabled": False}, {"effort": "none"}])
def test_reasoning_disabled(reasoning: dict[str, Any]) -> None:
    c = only(generate(body(reasoning=reasoning), 1, Spec(reasoning="visible")))
    assert c.reasoning is None and c.reasoning_tokens == 0


@pytest.mark.parametrize("kind", ["hidden", "visible"])
def test_reasoning_max_tokens_caps(kind: str) -> None:
    for seed in range(10):
        c = only(generate(body(reasoning={"effort": "high", "max_tokens": 20}), seed, Spec(reasoning=kind)))
        assert 0 < c.reasoning_tokens <= 20


@pytest.mark.parametrize("kind", ["hidden", "visible"])
def test_reasoning_counts_against_max_tokens(kind: str) -> None:
    c = only(generate(body(max_tokens=10, reasoning={"effort": "high"}), 1, Spec(reasoning=kind)))
    assert (c.content, c.finish_reason, c.reasoning_tokens, c.completion_tokens) == ("", "length", 10, 0)
    for seed in range(10):
        c = only(generate(body(max_tokens=420, reasoning={"effort": "high"}), seed, Spec(reasoning=kind)))
        if c.finish_reason == "length":
            assert c.reasoning_tokens + c.completion_tokens == 420
        else:
            assert c.reasoning_tokens + c.completion_tokens < 420


def test_excluded_reasoning_still_counts() -> None:
    c = only(generate(body(reasoning={"exclude": True}), 1, Spec(reasoning="visible")))
    assert c.reasoning_tokens > 0


# ------------------------------------------------------------------------------------------------ forced content


def test_forced_content_verbatim() -> None:
    for request_body in (BODY, body(tools=TOOLS), body(response_format={"type": "json_object"})):
        c = only(generate(request_body, 1, Spec(content="Stubbed answer.")))
        assert (c.content, c.finish_reason, c.tool_calls) == ("Stubbed answer.", "stop", ())
        assert c.completion_tokens == estimate_tokens("Stubbed answer.")


def test_forced_content_still_truncated() -> None:
    c = only(generate(body(max_tokens=2), 1, Spec(content="Stubbed answer that is long.")))
    assert (c.content, c.finish_reason, c.completion_tokens) == ("Stubbed", "length", 2)


def test_forced_tool_calls() -> None:
    spec = Spec(tool_calls=(("lookup", '{"q": "x"}'), ("ping", "{}")))
    c = only(generate(BODY, 1, spec))
    assert [(t.name, t.arguments) for t in c.tool_calls] == [("lookup", '{"q": "x"}'), ("ping", "{}")]
    assert c.content is None and c.finish_reason == "tool_calls"
    assert all(CALL_ID.match(t.id) for t in c.tool_calls)


# ------------------------------------------------------------------------------------------------ legacy


@pytest.mark.parametrize("prompt", ["Once upon a time", ["Say hi.", "Once upon a time"], [1, 2, 3], [[1, 2], [3]]])
def test_legacy_prompt(prompt: Any) -> None:
    request_body = {"model": "m", "prompt": prompt, "max_tokens": 30}
    c = only(generate(request_body, 3))
    assert c.content and c.finish_reason in ("stop", "length") and c.completion_tokens <= 30
    assert generate(request_body, 3) == generate({**request_body, "stream": True}, 3)
    if prompt == "Once upon a time":
        assert c.content.startswith(" ")


# ------------------------------------------------------------------------------------------------ pieces


def test_pieces_examples() -> None:
    assert pieces("") == ()
    assert pieces("Hello world") == ("Hello", " world")
    assert pieces(" a  b ") == (" a", "  b", " ")
    assert pieces("internationalization") == ("inte", "rnat", "iona", "liza", "tion")
    assert pieces("one two three four", 2) == ("one two", " three four")
    assert pieces("one two three", 10) == ("one", " two", " three")


def test_pieces_join_invariant() -> None:
    rnd = random.Random(0)
    alphabet = 'ab cdé\n\t{}",:😀xyz  '
    for _ in range(2000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 80)))
        limit = rnd.choice([None, 1, 2, 3, 7, 50])
        parts = pieces(text, limit)
        assert "".join(parts) == text
        assert all(parts)
        if limit is not None:
            assert len(parts) <= limit


def test_pieces_of_generated_text_are_token_sized() -> None:
    text = only(generate(BODY, 4)).content or ""
    parts = pieces(text)
    assert "".join(parts) == text and all(len(p.strip()) <= 8 for p in parts)
    assert abs(len(parts) - estimate_tokens(text)) <= estimate_tokens(text)


def test_a_fixed_answer_draws_nothing_but_reasoning_and_tool_ids_still_do() -> None:
    body = {"messages": [{"role": "user", "content": "Hi"}], "n": 3, "max_tokens": 2}
    fixed = generate(body, 0, Spec(content="one two three four five"))
    assert [c.content for c in fixed] == ["one two"] * 3 and all(c.finish_reason == "length" for c in fixed)
    # a reasoning model answering a stub's content: its reasoning tokens are drawn, per seed
    thinking = Spec(reasoning="hidden", reasoning_mandatory=True, content="fixed")
    a, b = generate({**body, "max_tokens": 1000}, 1, thinking), generate({**body, "max_tokens": 1000}, 2, thinking)
    assert all(c.content == "fixed" and c.reasoning_tokens > 0 for c in a)
    assert [c.reasoning_tokens for c in a] != [c.reasoning_tokens for c in b]
    # a stub's tool calls: fixed names and arguments, drawn ids (different per choice)
    calls = generate(body | {"max_tokens": 1000}, 0, Spec(tool_calls=(("f", "{}"),)))
    assert len({c.tool_calls[0].id for c in calls}) == 3 and all(c.tool_calls[0].name == "f" for c in calls)


def test_the_fixed_answer_generator_refuses_a_draw() -> None:
    from mockrouter.engine.generation import _NO_DRAWS

    with pytest.raises(AssertionError):
        _NO_DRAWS.random()
    with pytest.raises(AssertionError):
        _NO_DRAWS.randint(1, 6)


# --- reading a message's words: one rule (engine.bodies) for every reader ---------------------------------------

_MIXED = [
    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    {"type": "text", "text": "Tell me about Ada Lovelace"},
    {"text": "not a text part: no type"},
    {"type": "text", "text": "in one word"},
]


def test_content_text_keeps_only_text_parts() -> None:
    from mockrouter.engine.bodies import content_text, part_text

    assert content_text("plain") == "plain"
    assert content_text(_MIXED) == "Tell me about Ada Lovelace in one word"
    assert content_text(None) == "" and content_text(42) == ""
    assert part_text(_MIXED[0]) is None and part_text("bare") is None
    assert part_text({"type": "text", "text": 7}) == ""


def test_last_user_text_system_text_and_prompt_fallback() -> None:
    from mockrouter.engine.bodies import last_user_text, system_text, user_text

    body = {
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "first question"},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in JSON."}]},
            "not a message",
            {"role": "user", "content": _MIXED},
            {"role": "assistant", "content": "Ada"},
        ]
    }
    assert last_user_text(body) == "Tell me about Ada Lovelace in one word"
    assert system_text(body) == "Be terse. Answer in JSON."
    assert user_text(body).split("\n") == [
        "Be terse.",
        "first question",
        "Answer in JSON.",
        "Tell me about Ada Lovelace in one word",
    ]
    assert last_user_text({"prompt": ["one", 3, "two"]}) == "two"
    assert last_user_text({"prompt": "legacy", "messages": [{"role": "system", "content": "x"}]}) == "legacy"
    assert user_text({"prompt": ["a", 1, "b"]}) == "a\nb"


def test_every_reader_follows_the_text_part_rule() -> None:
    """The answer echoes, the shape detector reads and moderation flags only the text parts' words."""
    from mockrouter.engine.shaped import shape_of

    parts = [{"type": "text", "text": "Describe Grace Hopper"}, {"text": "Reply with one word"}]
    body = {"model": "m", "messages": [{"role": "user", "content": parts}]}
    assert shape_of(body) is None  # the untyped part's "one word" is not read
    typed = {
        "model": "m",
        "messages": [{"role": "user", "content": [parts[0], {"type": "text", "text": "Reply with one word"}]}],
    }
    assert shape_of(typed) is not None and shape_of(typed).kind == "word"
    answers = " ".join(c.content or "" for s in range(20) for c in generate(body, s))
    assert "Grace" in answers or "Hopper" in answers
