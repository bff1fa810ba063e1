"""OpenAI-shaped chat log probabilities for generated text: ``{"content": [TokenLogprob], "refusal": null}``.

Pure and deterministic: the values are a function of the model, the choice and the text (itself a function of
the seed), so a replay or a stream sends the same numbers. Tokens are the stream's pieces (``tokens.pieces``).
"""

from __future__ import annotations

from typing import Any

from mockrouter.engine.tokens import pieces
from mockrouter.seeding import stream

__all__ = ["MAX_TOP", "logprobs", "token_logprobs"]

MAX_TOP = 20
#: alternatives offered in ``top_logprobs`` after the chosen token
_ALTERNATIVES = tuple(
    " the| a|,|.| and| of| to| is| in| it| that| for| on| with| as| this| be| are| or| an| can".split("|")
)


def _entry(token: str, logprob: float, top: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8"))}
    if top is not None:
        out["top_logprobs"] = top
    return out


def token_logprobs(text: str, top: int, *key: object) -> list[dict[str, Any]]:
    """One entry per token of ``text``, each with ``top`` alternatives (the chosen token first)."""
    out = []
    for position, token in enumerate(pieces(text)):
        rnd = stream(0, "logprobs", *key, position, token)
        chosen = round(-rnd.expovariate(6.0), 6)
        alternatives = [_entry(token, chosen)]
        value = chosen
        for alt in rnd.sample([a for a in _ALTERNATIVES if a != token], min(top, MAX_TOP) - 1 if top else 0):
            value = round(value - rnd.uniform(0.4, 3.0), 6)
            alternatives.append(_entry(alt, value))
        out.append(_entry(token, chosen, alternatives[: max(top, 0)]))
    return out


def logprobs(text: str | None, top: int | None, *key: object) -> dict[str, Any] | None:
    """The ``logprobs`` of a choice (``top`` None: not requested or not supported, hence null)."""
    if top is None:
        return None
    return {"content": token_logprobs(text or "", top, *key), "refusal": None}
