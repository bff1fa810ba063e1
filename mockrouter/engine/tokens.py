"""Token estimates without a tokenizer (no network; URLs are never fetched), and cutting text by them.

* text: ``ceil(len(text) / 4)`` characters-per-token, 0 for ``""``;
* chat messages: +4 per message, +3 priming once, plus the message text (``name``, tool-call names/arguments too);
* ``image_url`` parts: 85 tokens when ``detail`` is ``"low"``, 765 otherwise;
* ``input_audio`` parts: about 25 tokens per KB of decoded audio, ``ceil(len(base64) * 3/4 / 1000 * 25)``, min 1;
* ``file`` parts: 250 tokens + the text estimate of the filename; video parts: 1000 tokens;
* ``tools``: the text estimate of their compact JSON;
* legacy ``prompt``: a string is text; a list of ints counts one token per id; lists of strings/lists are summed.

``truncate`` cuts text to a number of estimated tokens; ``pieces`` splits it into stream chunks of about one token.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from mockrouter.values import value

__all__ = ["Prompt", "count_prompt", "estimate_tokens", "pieces", "truncate"]

_PIECE = re.compile(r"\s*\S+|\s+")


@value
class Prompt:
    tokens: int
    media: int
    audio_parts: int


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _part(part: Any) -> tuple[int, int, int]:
    """(tokens, media, audio) of one content part."""
    if isinstance(part, str):
        return estimate_tokens(part), 0, 0
    if not isinstance(part, Mapping):
        return 0, 0, 0
    kind, inner = part.get("type"), part.get(str(part.get("type")))
    inner = inner if isinstance(inner, Mapping) else {}
    if kind == "image_url":
        return (85 if inner.get("detail") == "low" else 765), 1, 0
    if kind == "input_audio":
        data = inner.get("data")
        return max(1, (len(data) * 75 + 3999) // 4000 if isinstance(data, str) else 1), 1, 1
    if kind == "file":
        name = inner.get("filename")
        return 250 + estimate_tokens(name if isinstance(name, str) else ""), 1, 0
    if kind in ("video_url", "input_video", "video"):
        return 1000, 1, 0
    text = part.get("text")
    return (estimate_tokens(text) if isinstance(text, str) else 0), 0, 0


def count_prompt(body: Mapping[str, Any]) -> Prompt:
    tokens = media = audio = 0
    messages = body.get("messages")
    if isinstance(messages, list):
        tokens += 3
        for m in messages:
            tokens += 4
            if not isinstance(m, Mapping):
                continue
            content = m.get("content")
            for p in content if isinstance(content, list) else [content]:
                t, md, au = _part(p)
                tokens, media, audio = tokens + t, media + md, audio + au
            if isinstance(m.get("name"), str):
                tokens += estimate_tokens(m["name"])
            for call in m.get("tool_calls") or [] if isinstance(m.get("tool_calls"), list) else []:
                fn = call.get("function") if isinstance(call, Mapping) else None
                if isinstance(fn, Mapping):
                    texts = (fn.get("name"), fn.get("arguments"))
                    tokens += sum(estimate_tokens(v) for v in texts if isinstance(v, str))
    prompt = body.get("prompt")
    for item in prompt if isinstance(prompt, list) else [] if prompt is None else [prompt]:
        for leaf in item if isinstance(item, list) else [item]:
            tokens += (
                estimate_tokens(leaf)
                if isinstance(leaf, str)
                else 1
                if isinstance(leaf, int) and not isinstance(leaf, bool)
                else 0
            )
    if body.get("tools"):
        tokens += estimate_tokens(json.dumps(body["tools"], sort_keys=True, separators=(",", ":"), default=str))
    return Prompt(tokens, media, audio)


def truncate(text: str, tokens: int) -> str:
    """Cut ``text`` to exactly ``tokens`` estimated tokens (at a word end when one is close)."""
    if estimate_tokens(text) <= tokens:
        return text
    if tokens <= 0:
        return ""
    end = 4 * tokens
    for j in range(end, end - 4, -1):
        if text[j].isspace() and not text[j - 1].isspace():
            return text[:j]
    return text[:end]


@functools.lru_cache(maxsize=256)
def pieces(text: str, max_pieces: int | None = None) -> tuple[str, ...]:
    """Stream chunks of about one token each (a word with its leading space; long words every 4 characters).
    Remembered for the last texts (a stub's content is cut once, not for every request it answers)."""
    out: list[str] = []
    for match in _PIECE.finditer(text):
        tok = match.group()
        head = len(tok) - len(tok.lstrip())
        if len(tok) - head <= 8:
            out.append(tok)
            continue
        out.append(tok[: head + 4])
        out.extend(tok[i : i + 4] for i in range(head + 4, len(tok), 4))
    if max_pieces is not None and len(out) > max(max_pieces, 1):
        m, size = max(max_pieces, 1), len(out)
        out = ["".join(out[i * size // m : (i + 1) * size // m]) for i in range(m)]
    return tuple(out)
