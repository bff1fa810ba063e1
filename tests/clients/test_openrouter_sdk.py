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


def test_model_endpoints(live):
    """``models.list_for_user``, ``models.get``, ``endpoints.list_zdr_endpoints``: parsed by the SDK's own models."""
    with client(live) as c:
        mine = c.models.list_for_user(security={"bearer": KEY})
        every = c.models.list()
        one = c.models.get(author="openai", slug="gpt-5")
        zdr = c.endpoints.list_zdr_endpoints()
        with pytest.raises(errors.NotFoundResponseError):
            c.models.get(author="openai", slug="no-such-model")
    assert [m.id for m in mine.result.data] == [m.id for m in every.result.data]
    assert one.data.id == "openai/gpt-5" and one.data.links.details.endswith("/openai/gpt-5/endpoints")
    want = sum(1 for m in live.mock.world.models.values() for e in m.endpoints if e.data_policy.zdr)
    assert len(zdr.data) == want > 0 and all(e.supports_tool_choice is not None for e in zdr.data)


def test_api_keys_and_generation_content(live):
    """``api_keys.list/create/get/update/delete`` with a management key; ``generations.list_generation_content``."""
    manager = "sk-or-v1-" + "fedcba9876543210" * 4
    with httpx.Client() as admin:
        assert admin.put(f"{live.base_url.removesuffix('/api/v1')}/__mockrouter/keys",
                         json={"key": manager, "management": True}).status_code == 200  # fmt: skip
    with httpx.Client(event_hooks={"response": [check_response]}) as hooked:
        sdk = OpenRouter(api_key=manager, server_url=live.base_url, retry_config=NO_RETRY, client=hooked)
        created = sdk.api_keys.create(name="ci", limit=2.5, limit_reset="weekly")
        h = created.data.hash
        assert created.key.startswith("sk-or-v1-") and created.data.limit == 2.5
        with OpenRouter(api_key=created.key, server_url=live.base_url, retry_config=NO_RETRY, client=hooked) as new:
            res = new.chat.send(model="openai/gpt-5-nano", messages=[{"role": "user", "content": "Hello"}])
            content = new.generations.list_generation_content(id=res.id)
        assert content.data.input.messages == [{"role": "user", "content": "Hello"}]
        assert content.data.output.completion == res.choices[0].message.content and content.data.error is None
        assert [k.hash for k in sdk.api_keys.list().data] == [h]
        assert sdk.api_keys.get(hash=h).data.usage == res.usage.cost
        assert sdk.api_keys.update(hash=h, name="renamed", disabled=True).data.disabled is True
        assert sdk.api_keys.list().data == [] and len(sdk.api_keys.list(include_disabled=True).data) == 1
        assert sdk.api_keys.delete(hash=h).DELETED is True
        with pytest.raises(errors.NotFoundResponseError):
            sdk.api_keys.get(hash=h)
    with OpenRouter(api_key=KEY, server_url=live.base_url, retry_config=NO_RETRY) as plain:
        with pytest.raises(errors.OpenRouterDefaultError) as refused:  # the SDK maps no 403 for this operation
            plain.api_keys.list()
    assert refused.value.status_code == 403 and "Only management keys" in refused.value.body
