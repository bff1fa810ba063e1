"""A bare Starlette app with the mock's hot routes, returning fixed bodies: the yardstick for ``bench/run.py``.

Routes (same paths as the mock):

* ``POST /api/v1/chat/completions``: a fixed chat completion JSON, or, when the request body contains
  ``"stream":true``, a fixed SSE stream sent one event per ASGI message (``StreamingResponse``);
* ``GET /api/v1/models``: a fixed JSON body.

The bodies come from ``--bodies DIR`` (``chat.json``, ``models.json``, ``stream.sse``: ``bench/run.py`` captures
them from the running mock so that sizes and event counts match byte for byte); without it, built-in stand-ins are
used (a ~1.3 KB completion, 50 ``data:`` chunks + ``[DONE]``, a ~37 KB models list).

Served with the same uvicorn settings as ``mockrouter serve`` (uvloop, httptools, access log off, keep-alive 30 s,
lifespan off, one worker)::

    python bench/baseline.py --port 18101 [--bodies DIR]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def default_bodies() -> tuple[bytes, bytes, list[bytes]]:
    chunk = {
        "id": "gen-1700000000-abcdefghijklmnopqrst",
        "provider": "OpenAI",
        "model": "openai/gpt-5-chat",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": " word"}, "finish_reason": None}],
    }
    events = [b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n" for _ in range(50)]
    events.append(b"data: [DONE]\n\n")
    chat = {
        "id": "gen-1700000000-abcdefghijklmnopqrst",
        "provider": "OpenAI",
        "model": "openai/gpt-5-mini",
        "object": "chat.completion",
        "created": 1700000000,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Hello there. " * 60, "refusal": None},
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 136, "total_tokens": 145, "cost": 0.00027425},
    }
    models = {"data": [{"id": f"vendor/model-{i}", "name": f"Model {i}", "description": "x" * 300} for i in range(90)]}
    return json.dumps(chat).encode(), json.dumps(models).encode(), events


def load_bodies(directory: Path | None) -> tuple[bytes, bytes, list[bytes]]:
    if directory is None:
        return default_bodies()
    chat = (directory / "chat.json").read_bytes()
    models = (directory / "models.json").read_bytes()
    raw = (directory / "stream.sse").read_bytes()
    # one ASGI message per SSE event (comments included), as the mock sends them
    events = [part + b"\n\n" for part in raw.split(b"\n\n") if part]
    return chat, models, events


def create_app(chat: bytes, models: bytes, events: list[bytes]) -> Starlette:
    async def chat_completions(request: Request) -> Response:
        body = await request.body()
        if b'"stream":true' in body:

            async def gen() -> AsyncIterator[bytes]:
                for event in events:
                    yield event

            return StreamingResponse(gen(), media_type="text/event-stream", headers=SSE_HEADERS)
        return Response(chat, media_type="application/json")

    async def list_models(request: Request) -> Response:
        return Response(models, media_type="application/json")

    return Starlette(
        routes=[
            Route("/api/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/api/v1/models", list_models, methods=["GET"]),
        ]
    )


def config(app: Starlette, port: int) -> uvicorn.Config:
    # keep in step with mockrouter.http.server.uvicorn_config
    return uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
        proxy_headers=False,
        lifespan="off",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18101)
    parser.add_argument("--bodies", type=Path, default=None)
    args = parser.parse_args()
    app = create_app(*load_bodies(args.bodies))
    uvicorn.Server(config(app, args.port)).run()


if __name__ == "__main__":
    main()
