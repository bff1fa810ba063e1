"""A tiny application under test: it calls OpenRouter through the official openai SDK."""

from __future__ import annotations

import openai

MODEL = "openai/gpt-5-mini"


class OutOfCredits(Exception):
    """OpenRouter said 402: the account cannot pay for the request."""


def ask(question: str, *, base_url: str, api_key: str, max_retries: int = 2) -> str:
    """One question, one answer; retries on 429/5xx are the SDK's job."""
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=max_retries)
    try:
        completion = client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": question}],
            extra_headers={"HTTP-Referer": "https://example.app", "X-Title": "app-under-test"},
        )
    except openai.APIStatusError as exc:
        if exc.status_code == 402:
            raise OutOfCredits(str(exc)) from exc
        raise
    return completion.choices[0].message.content or ""
