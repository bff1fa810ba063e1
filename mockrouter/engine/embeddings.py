"""Embeddings, worked out: deterministic unit-norm vectors and the ``POST /embeddings`` response.

A vector is a hashed bag of words: every token of a text adds a dense pseudo-random direction seeded by
(model, seed, token), and the sum is normalised to length 1. Identical texts embed identically; texts sharing words
are closer (cosine) than unrelated ones, as real embeddings of related texts are; ``dimensions`` keeps the first N
components and normalises again (the Matryoshka shortening OpenAI's text-embedding-3 models offer). Token arrays
embed their ids as words; the text parts of multimodal inputs embed, an image part adds one token of its own.
Pure functions: the core plans, simulates and charges an embeddings request exactly as a completion.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import random
import re
import struct
from collections.abc import Sequence
from typing import Any

from mockrouter import errors
from mockrouter.engine.bodies import usage_requested
from mockrouter.engine.completion import dumps
from mockrouter.engine.documents import Served
from mockrouter.engine.memo import CREATED_MARK, ID_MARK, Admission, Lazy, Prepared, prepared_for
from mockrouter.engine.records import generation_record
from mockrouter.engine.simulation import Outcome
from mockrouter.engine.tokens import Prompt, estimate_tokens
from mockrouter.engine.usage import account
from mockrouter.kinds import Profile

__all__ = ["NATIVE_DIMENSIONS", "embed", "inputs", "prepare_embeddings", "prompt_tokens"]

#: a model's own vector length, when its catalogue entry says nothing (OpenAI's text-embedding-3 sizes)
NATIVE_DIMENSIONS = {"openai/text-embedding-3-small": 1536, "openai/text-embedding-3-large": 3072}
_DEFAULT_DIMENSIONS = 1024
_WORD = re.compile(r"\w+", re.UNICODE)


def _items(body: dict[str, Any]) -> list[Any]:
    """The request's inputs, one item each: a text, a token array or a multimodal input."""
    raw = body["input"]
    items: list[Any] = [raw] if isinstance(raw, str) else list(raw)
    if items and all(isinstance(i, int | float) and not isinstance(i, bool) for i in items):
        return [items]  # one token array
    return items


def inputs(body: dict[str, Any]) -> list[list[str]]:
    """Each input of the request as its list of tokens (words, token ids or media placeholders)."""
    out: list[list[str]] = []
    for item in _items(body):
        if isinstance(item, str):
            out.append(_WORD.findall(item.lower()))
        elif isinstance(item, list):
            out.append([f"#{int(t)}" for t in item])
        elif isinstance(item, dict):
            words: list[str] = []
            for part in item.get("content") or ():
                if part.get("type") == "text":
                    words += _WORD.findall(str(part.get("text", "")).lower())
                else:
                    words.append("<" + hashlib.sha1(repr(sorted(part.items())).encode()).hexdigest()[:12] + ">")
            out.append(words)
    return out


def prompt_tokens(body: dict[str, Any]) -> int:
    """What the request is billed for: the tokens of every input."""
    total = 0
    for item in _items(body):
        if isinstance(item, str):
            total += estimate_tokens(item)
        elif isinstance(item, list):
            total += len(item)
        elif isinstance(item, dict):
            for part in item.get("content") or ():
                total += estimate_tokens(str(part.get("text", ""))) if part.get("type") == "text" else 85
    return max(total, 1)


@functools.lru_cache(maxsize=8192)
def _direction(model: str, seed: int, token: str, size: int) -> tuple[float, ...]:
    digest = hashlib.blake2b(f"{model}\x00{seed}\x00{token}".encode(), digest_size=8).digest()
    rnd = random.Random(int.from_bytes(digest, "big"))
    return tuple(rnd.gauss(0.0, 1.0) for _ in range(size))


def _normalised(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def embed(model: str, tokens: Sequence[str], seed: int, size: int, dimensions: int | None = None) -> list[float]:
    """The unit vector of one input (``dimensions``: the first N components, normalised again)."""
    total = [0.0] * size
    for token in tokens or ("<empty>",):
        for i, x in enumerate(_direction(model, seed, token, size)):
            total[i] += x
    vector = _normalised(total)
    if dimensions is not None and dimensions < size:
        vector = _normalised(vector[:dimensions])
    return [round(x, 8) for x in vector]


def _encoded(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def prepare_embeddings(
    body: dict[str, Any],
    outcome: Outcome,
    seed: int,
    fp: str,
    profile: Profile,
    account_id: str | None,
    admission: Admission,
    *,
    epoch: int,
    replayable: bool,
) -> Prepared:
    """The served embeddings response with the id left open (``memo``), its usage and its generation record."""
    attempt = outcome.served
    assert attempt is not None
    model, endpoint = attempt.model, attempt.endpoint
    size = NATIVE_DIMENSIONS.get(model.id, _DEFAULT_DIMENSIONS)
    dims = int(body["dimensions"]) if body.get("dimensions") is not None else None  # 474.0 is an integer too
    if dims is not None and dims > size:
        raise errors.bad_request(f"dimensions must be at most {size} for {model.id}", param="dimensions")
    encoding = body.get("encoding_format") or "float"
    data = [
        {"object": "embedding", "embedding": _encoded(embed(model.id, words, seed, size, dims), encoding), "index": i}
        for i, words in enumerate(inputs(body))
    ]
    tokens = prompt_tokens(body)
    usage = account(endpoint, tokens, [0], [0], is_byok=attempt.byok)
    block: dict[str, Any] = {"prompt_tokens": tokens, "total_tokens": tokens}
    if profile.usage_always or usage_requested(body):
        block.update({"cost": usage.cost, "is_byok": usage.is_byok})
    served = Served(ID_MARK, CREATED_MARK, model.id, endpoint.provider_name, endpoint.native_finish_reason, "")
    record = Lazy(
        functools.partial(
            generation_record, account_id, body, served, (), usage, outcome, False, Prompt(tokens, 0, 0), "embeddings"
        )
    )
    doc = {
        "id": ID_MARK,
        "object": "list",
        "data": data,
        "model": model.id,
        "provider": endpoint.provider_name,
        "usage": block,
    }
    return prepared_for(
        attempt,
        usage,
        block,
        record,
        epoch=epoch,
        admission=admission,
        seed=seed,
        fp=fp,
        id_header=profile.generation_id_header,
        raw=dumps(doc),
        delay_ms=outcome.timeline.ttft_ms,
        replayable=replayable,
    )
