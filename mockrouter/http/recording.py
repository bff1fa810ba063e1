"""Record and replay.

``Recorder``: an ASGI app that proxies every request to an upstream OpenRouter-compatible server with the
caller's key, streams the response through as it arrives, and appends each exchange (SSE events with their
timing) to a fixture file, keys redacted. The only code in mockrouter that opens outbound connections,
and only when asked to (``mockrouter record --upstream URL``).

Replaying what was recorded is the engine's (``mockrouter.engine.replay``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from mockrouter.state.journal import redact

__all__ = ["Recorder", "serve"]

log = logging.getLogger("mockrouter.record")

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host", "upgrade"}
_KEEP_HEADERS = (
    "content-type",
    "retry-after",
    "x-generation-id",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
)


class Recorder:
    """Proxy to ``upstream`` and write every exchange to ``out`` (YAML, fixture format)."""

    def __init__(self, upstream: str, out: str | Path, timeout: float = 600.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.out = Path(out)
        self.timeout = timeout
        self.recordings: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        if self.out.exists():
            existing = yaml.safe_load(self.out.read_text("utf-8")) or {}
            self.recordings = list(existing.get("recordings", []))

    def _save(self) -> None:
        with self._lock:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.out.write_text(
                yaml.safe_dump({"recordings": self.recordings}, sort_keys=False, allow_unicode=True), "utf-8"
            )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        import httpx

        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        path = scope["path"]
        prefix = "/api/v1"
        upstream_path = path[len(prefix) :] if path.startswith(prefix) else path
        query = scope.get("query_string", b"").decode()
        url = self.upstream + upstream_path + (f"?{query}" if query else "")
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k.decode().lower() not in _HOP]
        try:
            body_doc: Any = json.loads(raw) if raw else None
        except ValueError:
            body_doc = raw.decode("utf-8", "replace")
        record: dict[str, Any] = {
            "name": f"{scope['method']} {path} #{len(self.recordings) + 1}",
            "request": {"method": scope["method"], "path": path},
        }
        if body_doc is not None:
            record["request"]["body"] = body_doc
        auth = next((v for k, v in headers if k.lower() == "authorization"), None)
        if auth:
            record["request"]["authorization"] = f"Bearer {redact(auth.partition(' ')[2])}"
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            async with client.stream(scope["method"], url, content=raw, headers=headers) as upstream:
                out_headers = [(k.encode(), v.encode()) for k, v in upstream.headers.items() if k.lower() not in _HOP]
                await send({"type": "http.response.start", "status": upstream.status_code, "headers": out_headers})
                kept = {k: v for k, v in upstream.headers.items() if k.lower() in _KEEP_HEADERS}
                response: dict[str, Any] = {"status": upstream.status_code, "headers": kept}
                if upstream.headers.get("content-type", "").startswith("text/event-stream"):
                    events: list[dict[str, Any]] = []
                    last = time.monotonic()
                    buffer = ""
                    async for piece in upstream.aiter_bytes():
                        await send({"type": "http.response.body", "body": piece, "more_body": True})
                        buffer += piece.decode("utf-8", "replace")
                        while "\n\n" in buffer:
                            block, buffer = buffer.split("\n\n", 1)
                            data = "\n".join(
                                line[5:].lstrip() for line in block.splitlines() if line.startswith("data:")
                            )
                            if data:
                                now = time.monotonic()
                                event: dict[str, Any] = {"data": data, "delay_ms": round((now - last) * 1000, 1)}
                                name = next(
                                    (line[6:].strip() for line in block.splitlines() if line.startswith("event:")), None
                                )
                                if name:  # typed events (the Responses API) keep their names
                                    event["event"] = name
                                events.append(event)
                                last = now
                    response["events"] = events
                else:
                    content = await upstream.aread()
                    await send({"type": "http.response.body", "body": content, "more_body": True})
                    try:
                        response["body"] = json.loads(content)
                    except ValueError:
                        response["body"] = content.decode("utf-8", "replace")
                await send({"type": "http.response.body", "body": b""})
        record["response"] = response
        self.recordings.append(record)
        self._save()
        n_events = len(response.get("events", []))
        log.info(
            "recorded #%d %s %s -> %s%s into %s",
            len(self.recordings),
            scope["method"],
            path,
            response["status"],
            f" ({n_events} events)" if n_events else "",
            self.out,
        )


def serve(upstream: str, out: str, host: str, port: int) -> None:
    """Run a :class:`Recorder` on ``host:port`` until interrupted (``mockrouter record``)."""
    import uvicorn

    uvicorn.run(Recorder(upstream, out), host=host, port=port, log_level="info")
