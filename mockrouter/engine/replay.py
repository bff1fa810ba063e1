"""Replaying recordings: a world whose fixtures carry ``recordings`` serves a request that matches one (method,
path and body, ``stream`` included) with the recorded status, headers and body, or the recorded events at the
recorded pace, scaled by ``time_scale`` (``mockrouter record`` writes them: ``mockrouter.http.recording``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockrouter.calls import Reply, Stream, json_bytes
from mockrouter.seeding import fingerprint

__all__ = ["find_recording", "replay_reply"]


def _body_key(body: Any) -> str:
    return fingerprint(body if body is not None else "")


def find_recording(
    recordings: Sequence[Mapping[str, Any]], method: str, path: str, body: Any
) -> Mapping[str, Any] | None:
    want = _body_key(body)
    for rec in recordings:
        req = rec["request"]
        if req["method"].upper() != method.upper() or req["path"] != path:
            continue
        if "body" not in req or _body_key(req.get("body")) == want:
            return rec
    return None


def replay_reply(rec: Mapping[str, Any], time_scale: float, keepalive_s: float) -> Reply:
    resp = rec["response"]
    headers = {k: v for k, v in (resp.get("headers") or {}).items() if k.lower() != "content-type"}
    events = resp.get("events")
    if events is not None:
        payloads = [
            (f"event: {e['event']}\n" if e.get("event") else "").encode() + f"data: {e['data']}\n\n".encode()
            for e in events
        ]
        delays = [float(e.get("delay_ms", 0.0)) for e in events]
        return Reply(
            200,
            headers=headers,
            content_type="text/event-stream",
            time_scale=time_scale,
            stream=Stream(payloads, delays, time_scale=time_scale, keepalive_s=keepalive_s),
        )
    body = resp.get("body")
    raw = body.encode("utf-8", "backslashreplace") if isinstance(body, str) else json_bytes(body)
    return Reply(int(resp["status"]), headers=headers, raw=raw)
