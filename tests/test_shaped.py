"""Content that follows the request (issue 12, section 4): a JSON Schema in the prompt, key names with
``json_object``, a single word, a number or a list when the prompt asks for one; stubs still win; deterministic."""

from __future__ import annotations

import json

import jsonschema
import pytest

from mockrouter.engine.shaped import shape_of
from tests.conftest import AUTH

URL = "/api/v1/chat/completions"
MODEL = "openai/gpt-4o-mini"
PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0},
                                          "tags": {"type": "array", "items": {"type": "string"}}},
          "required": ["name", "age", "tags"], "additionalProperties": False}  # fmt: skip


def content(client, messages, **extra):
    r = client.post(URL, json={"model": MODEL, "messages": messages, **extra}, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize(
    "prompt",
    [f"Extract the person. Answer with JSON following this schema:\n{json.dumps(PERSON)}",
     f"Here is the output schema:\n```json\n{json.dumps(PERSON, indent=2)}\n```\nText: Ada, 36, mathematician."],
    ids=["bare", "fenced"],
)  # fmt: skip
def test_a_json_schema_in_the_prompt_yields_a_valid_instance(client, prompt):
    jsonschema.validate(json.loads(content(client, [{"role": "user", "content": prompt}])), PERSON)


def test_json_object_with_the_keys_the_prompt_names(client):
    out = content(client, [{"role": "user", "content": 'Reply in JSON with keys "city" and "population".'}],
                  response_format={"type": "json_object"})  # fmt: skip
    doc = json.loads(out)
    assert set(doc) == {"city", "population"} and isinstance(doc["population"], int)
    listed = json.loads(content(client, [{"role": "system", "content": "Return a JSON object with fields: title, year"},
                                         {"role": "user", "content": "Dune"}], response_format={"type": "json_object"}))  # fmt: skip
    assert set(listed) == {"title", "year"}


def test_a_single_word_a_number_or_a_list(client):
    word = content(client, [{"role": "system", "content": "Answer with a single word."},
                            {"role": "user", "content": "Colour of the sky?"}])  # fmt: skip
    assert word and " " not in word and word.isalpha()
    number = content(client, [{"role": "system", "content": "Reply with only a number."},
                              {"role": "user", "content": "How many legs has a spider?"}])  # fmt: skip
    assert number.isdigit()
    commas = content(client, [{"role": "user", "content": "Give me a comma-separated list of fruits."}])
    assert 3 <= len(commas.split(", ")) <= 5 and "\n" not in commas
    bullets = content(client, [{"role": "user", "content": "Name some rivers as a bullet list."}])
    assert all(line.startswith("- ") for line in bullets.splitlines()) and 3 <= len(bullets.splitlines()) <= 5


def test_stubs_still_win_and_an_explicit_json_schema_keeps_its_own_path(client):
    stub = {"name": "fixed", "match": {"model": MODEL}, "respond": {"content": "fixed answer"}}
    schema_prompt = f"Follow this schema: {json.dumps(PERSON)}"
    assert client.post("/__mockrouter/stubs", json=stub).status_code == 201
    assert content(client, [{"role": "user", "content": schema_prompt}]) == "fixed answer"
    client.delete("/__mockrouter/stubs")
    city = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
            "additionalProperties": False}  # fmt: skip
    out = content(client, [{"role": "user", "content": schema_prompt}],
                  response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": city}})  # fmt: skip
    jsonschema.validate(json.loads(out), city)


def test_deterministic_per_seed(client, mock):
    messages = [{"role": "user", "content": f"Schema: {json.dumps(PERSON)}"}]
    first, again = content(client, messages), content(client, messages)
    mock.seed = 5
    other = content(client, messages)
    assert first == again != other


def test_plain_prompts_keep_their_prose():
    assert shape_of({"messages": [{"role": "user", "content": "Tell me about owls."}]}) is None
    assert shape_of({"messages": [{"role": "user", "content": "Use {curly} braces in prose."}]}) is None


def test_every_ask_contains_a_word_the_prefilter_looks_for():
    """shape_of searches a prompt for the asks only when one of ``_ASK_WORDS`` is in it: every phrase the three
    patterns accept must contain one of them."""
    from mockrouter.engine import shaped

    for pattern in (shaped._WORD, shaped._NUMBER, shaped._LIST):
        body = pattern.pattern.removeprefix(r"\b(?:").removesuffix(r")\b")
        depth, start, phrases = 0, 0, []
        for i, ch in enumerate(body + "|"):
            depth += ch == "("
            depth -= ch == ")"
            if ch == "|" and depth == 0:
                phrases.append(body[start:i])
                start = i + 1
        assert phrases and all(any(w in p.lower() for w in shaped._ASK_WORDS) for p in phrases), phrases
