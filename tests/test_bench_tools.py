"""The bench's instruments are measured against the mock, so they must answer what the mock answers: the hollowed
engine's skeleton (bench/hollow.py) serves a real chat completion, journals it, and leaves every other call to the
real engine."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from types import ModuleType

from mockrouter import Mock, Settings
from mockrouter.calls import Call
from mockrouter.contract.operations import find
from tests.conftest import KEY
from tests.contract_check import check_body

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _hollow() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_hollow", BENCH / "hollow.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _call(method: str, path: str, body: bytes = b"") -> Call:
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    return Call(method, path, {}, headers, body, "127.0.0.1", time.monotonic(), False)


def test_skeleton_serves_a_contract_valid_completion_and_journals_it() -> None:
    mock = Mock(Settings(time_scale=0))
    handle = _hollow().skeleton(mock)
    path = "/api/v1/chat/completions"
    bodies = [
        json.dumps({"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": f"Hello, request {i}"}]})
        for i in range(2)
    ]
    replies = [handle(_call("POST", path, b.encode()), find("POST", path)) for b in bodies]
    docs = []
    for reply in replies:
        assert reply.status == 200 and reply.raw is not None
        check_body("POST", path, 200, "application/json", reply.raw)
        docs.append(json.loads(reply.raw))
    assert docs[0]["choices"][0]["message"]["content"] != docs[1]["choices"][0]["message"]["content"]
    assert docs[0]["usage"]["prompt_tokens"] > 0 and docs[0]["usage"]["completion_tokens"] > 0
    entries = list(mock.journal)
    assert [(e.path, e.status, e.done) for e in entries] == [(path, 200, True)] * 2
    assert all(e.headers["authorization"].endswith("...") for e in entries)  # redacted as the real engine does


def test_skeleton_leaves_other_calls_to_the_real_engine() -> None:
    mock = Mock(Settings(time_scale=0))
    handle = _hollow().skeleton(mock)
    op = find("GET", "/api/v1/models")
    reply = handle(_call("GET", "/api/v1/models"), op)
    assert reply.status == 200 and reply.raw is not None
    assert reply.raw == mock.handle(_call("GET", "/api/v1/models"), op).raw  # the real engine's catalogue
    assert len(json.loads(reply.raw)["data"]) > 10
    assert [e.path for e in mock.journal] == ["/api/v1/models"] * 2
    missing = handle(_call("GET", "/api/v1/nowhere"), None)
    assert missing.status == 404
