"""The official openrouter Python SDK (pydantic-validated) over a real socket."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from openrouter import OpenRouter, errors
from openrouter.utils.retries import BackoffStrategy, RetryConfig

from tests.conftest import KEY
from tests.contract_check import check_response

pytestmark = pytest.mark.socket  # the SDK against the session's live server

NO_RETRY = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)


@contextmanager
def client(live) -> Iterator[OpenRouter]:
    # the SDK leaves a client it was given open: closing it here closes its sockets
    with httpx.Client(event_hooks={"response": [check_response]}) as hooked:
        with OpenRouter(api_key=KEY, server_url=live.base_url, retry_config=NO_RETRY, client=hooked) as sdk:
            yield sdk


def test_chat_send(live):
    with client(live) as c:
        res = c.chat.send(model="openai/gpt-5-mini", messages=[{"role": "user", "content": "Hello"}])
    assert res.id.startswith("gen-")
    assert res.choices[0].message.content
    assert res.usage.cost is not None and res.usage.cost > 0


def test_chat_stream(live):
    with client(live) as c:
        stream = c.chat.send(model="openai/gpt-5-mini", messages=[{"role": "user", "content": "Hello"}], stream=True)
        chunks = list(stream)
    assert len(chunks) > 2
    assert any(ch.usage is not None for ch in chunks)
    assert "".join((ch.choices[0].delta.content or "") for ch in chunks if ch.choices)


def test_models_list(live):
    with client(live) as c:
        res = c.models.list()
    assert len(res.result.data) >= 15
    assert res.result.total_count == len(res.result.data)
    assert any(m.id == "openai/gpt-5" for m in res.result.data)


def test_key_and_generation(live):
    with client(live) as c:
        res = c.chat.send(model="openai/gpt-5-nano", messages=[{"role": "user", "content": "Hello"}])
        gen = c.generations.get_generation(id=res.id)
        assert gen.data.id == res.id
        with warnings.catch_warnings():
            # the SDK's own bug: it requires the key's `rate_limit` yet warns on the model it parses it into
            warnings.filterwarnings("ignore", r"warning: \*\* DEPRECATED \*\*", DeprecationWarning)
            key = c.api_keys.get_current_key_metadata()
        assert key.data.usage > 0


def test_errors_are_typed(live):
    with client(live) as c, pytest.raises(errors.ForbiddenResponseError):
        c.chat.send(model="openai/gpt-5", messages=[{"role": "user", "content": "Hello"}])
    with client(live) as c, pytest.raises(errors.BadRequestResponseError):
        c.chat.send(model="acme/fake", messages=[{"role": "user", "content": "Hello"}])


def test_models_count_matches_the_list(live):
    """``GET /models/count``: one registry entry and one handler; the SDK's own model validates it."""
    with client(live) as c:
        listed = c.models.list()
        counted = c.models.count()
        every = c.models.count(output_modalities="all")
        images = c.models.count(output_modalities="image")
    assert counted.data.count == len(listed.result.data) > 0
    assert every.data.count >= counted.data.count
    assert images.data.count == sum(1 for m in live.mock.world.models.values() if "image" in m.output_modalities)


def test_embeddings_generate_and_list_models(live):
    with client(live) as c:
        res = c.embeddings.generate(model="openai/text-embedding-3-small", input=["hello", "hello world"])
        models = c.embeddings.list_models()
    assert len(res.data) == 2 and len(res.data[0].embedding) == 1536
    assert res.usage is not None and res.usage.cost is not None and res.usage.cost > 0
    assert {m.id for m in models.result.data} == {"openai/text-embedding-3-small", "openai/text-embedding-3-large"}
