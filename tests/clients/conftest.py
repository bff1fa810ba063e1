"""What the client tests share: official SDK clients that check every response against its declaration and are
closed (and so their sockets) after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import openai
import pytest

from tests.conftest import KEY
from tests.contract_check import check_response


@pytest.fixture
def sdk() -> Iterator[Callable[..., openai.OpenAI]]:
    """``sdk(server, **options)``: an ``openai.OpenAI`` on ``server.base_url`` whose responses the contract hook
    checks; every client made is closed after the test."""
    with ExitStack() as stack:

        def make(server, **kw) -> openai.OpenAI:
            hooked = httpx.Client(event_hooks={"response": [check_response]})
            return stack.enter_context(openai.OpenAI(base_url=server.base_url, api_key=KEY, http_client=hooked, **kw))

        yield make
