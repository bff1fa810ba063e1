"""Issue 14: mockrouter's httptools protocol (mockrouter/http/protocol.py) extends uvicorn's private classes, so it
is used only with the uvicorn it was verified against (``TESTED_UVICORN``, pyproject.toml's pin); with another,
or one that lacks what it relies on, the server falls back to uvicorn's h11 with one warning, and stays correct."""

from __future__ import annotations

import inspect
import json
import logging
import socket
import time
import tomllib
from pathlib import Path

import httpx
import pytest
import uvicorn
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from mockrouter import MockRouterServer, Settings
from mockrouter.http import protocol
from mockrouter.http.server import uvicorn_config
from tests.conftest import AUTH
from tests.test_layering import MODULES, imports
from tests.test_robustness import MODEL, _http10

ROOT = Path(__file__).resolve().parent.parent

RE_VERIFY = (
    "Before widening TESTED_UVICORN (mockrouter/http/protocol.py) and pyproject.toml's pin together, re-verify "
    "StampedHttpTools and CloseDelimited against the new uvicorn's protocols/http/httptools_impl.py: the members in "
    "protocol._RELIED_ON and _NAMES_USED, that on_headers_complete still makes the RequestResponseCycle and ends "
    "keep-alive for HTTP/1.0, that RequestResponseCycle.send still frames by chunked_encoding and "
    "expected_content_length; then run tests/test_protocol.py, tests/test_robustness.py and tests/test_rendering.py."
)


# ---------------------------------------------------------------- the loud upgrade tests


def test_the_installed_uvicorn_is_the_one_the_protocol_was_tested_with():
    assert protocol.within(uvicorn.__version__), (
        f"uvicorn {uvicorn.__version__} is outside TESTED_UVICORN ({protocol.TESTED_UVICORN}), so mockrouter serves "
        f"with h11, without its protocol (arrival stamps, corked writes, the early 431). {RE_VERIFY}"
    )
    assert protocol.fallback_reason() is None
    assert issubclass(protocol.http_protocol(Settings()), protocol.StampedHttpTools)


def test_the_uvicorn_protocol_still_has_what_the_head_limit_relies_on():
    """``protocol.StampedHttpTools`` extends uvicorn's (private) httptools protocol: if an upgrade renames or drops
    one of these, fail here rather than serve without a header limit (at run time it falls back to h11)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

    assert protocol._MISSING == [], f"uvicorn {uvicorn.__version__} lacks {protocol._MISSING}. {RE_VERIFY}"
    for name in ("connection_made", "data_received", "on_message_begin", "on_headers_complete", "on_message_complete"):
        assert callable(getattr(HttpToolsProtocol, name, None)), name
    assert list(inspect.signature(HttpToolsProtocol.data_received).parameters) == ["self", "data"]
    assert "self.transport" in inspect.getsource(HttpToolsProtocol.connection_made)
    # the HTTP/1.0 close-delimited body (protocol.CloseDelimited): the cycle is made in on_headers_complete
    assert "self.cycle = RequestResponseCycle(" in inspect.getsource(HttpToolsProtocol.on_headers_complete)
    send = inspect.getsource(RequestResponseCycle.send)
    for name in ("self.chunked_encoding", "self.expected_content_length", "self.keep_alive"):
        assert name in send, name
    assert 'http_version != "1.0"' in inspect.getsource(HttpToolsProtocol.on_headers_complete)  # 1.0: no keep-alive


def test_pyproject_pins_uvicorn_to_the_tested_range():
    """One fact in two places: pyproject.toml's uvicorn range is TESTED_UVICORN, and the lock is inside it."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (uvicorn_req,) = (r for r in map(Requirement, dependencies) if r.name == "uvicorn")
    assert "standard" in uvicorn_req.extras  # httptools and uvloop
    assert uvicorn_req.specifier == SpecifierSet(protocol.TESTED_UVICORN), (uvicorn_req, protocol.TESTED_UVICORN)
    (locked,) = (
        line.split("==")[1].split()[0]
        for line in (ROOT / "requirements" / "dev.lock").read_text().splitlines()
        if line.startswith("uvicorn==")
    )
    assert protocol.within(locked), f"requirements/dev.lock has uvicorn {locked}, outside {protocol.TESTED_UVICORN}"


# ---------------------------------------------------------------- the guard


@pytest.mark.parametrize(
    "version", ["0.54.9", "0.55", "0.55.0", "0.55.12", "0.55.1rc1", "0.56.0", "0.56.0rc1", "0.9.0", "1.0.0"]
)
def test_within_agrees_with_packaging(version):
    expected = SpecifierSet(protocol.TESTED_UVICORN).contains(version, prereleases=True)
    assert protocol.within(version) is expected


def test_within_refuses_a_specifier_it_does_not_understand():
    with pytest.raises(ValueError, match="only >= and <"):
        protocol.within("0.55.0", "~=0.55")


class RequestResponseCycle:  # stands in for uvicorn's, as the name on_headers_complete below refers to
    def __init__(self) -> None:
        self.scope, self.chunked_encoding, self.expected_content_length = None, None, 0

    async def send(self, message):
        pass


class _Protocol:  # an imagined uvicorn: data_received's parameter renamed, on_message_complete gone
    def __init__(self) -> None:
        self.transport = self.scope = self.cycle = None

    def connection_made(self, transport):
        pass

    def data_received(self, chunk):
        pass

    def on_message_begin(self):
        pass

    def on_headers_complete(self):
        self.cycle = RequestResponseCycle()


def test_missing_or_changed_members_are_named():
    classes = {"HttpToolsProtocol": _Protocol, "RequestResponseCycle": RequestResponseCycle}
    assert protocol._missing(classes) == [
        "HttpToolsProtocol.data_received(self, data)",
        "HttpToolsProtocol.on_message_complete(self)",
    ]
    bare = protocol._missing({})
    assert "HttpToolsProtocol.__init__ using cycle" in bare and "RequestResponseCycle.send(self, message)" in bare


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mockrouter" and r.levelno == logging.WARNING]


def test_an_untested_uvicorn_gets_h11_and_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(uvicorn, "__version__", "0.99.0")
    monkeypatch.setattr(protocol, "_warned", set())
    caplog.set_level(logging.WARNING, logger="mockrouter")
    assert protocol.http_protocol(Settings()) == "h11"
    assert protocol.http_protocol(Settings(max_header_bytes=1000)) == "h11"
    (warning,) = _warnings(caplog)
    assert "uvicorn 0.99.0" in warning and protocol.TESTED_UVICORN in warning and "h11" in warning
    config = uvicorn_config(app := object(), Settings())
    assert config.http == "h11" and isinstance(config.app, protocol.HeadLimit) and config.app.app is app


def test_a_uvicorn_missing_a_member_gets_h11_and_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(protocol, "_MISSING", ["HttpToolsProtocol.on_message_begin(self)"])
    monkeypatch.setattr(protocol, "_warned", set())
    caplog.set_level(logging.WARNING, logger="mockrouter")
    assert protocol.http_protocol(Settings()) == "h11"
    (warning,) = _warnings(caplog)
    assert f"uvicorn {uvicorn.__version__}" in warning and "on_message_begin" in warning


def test_the_tested_uvicorn_gets_the_stamped_protocol_limited_per_server():
    settings = Settings(max_header_bytes=1000)
    http = protocol.http_protocol(settings)
    assert not isinstance(http, str) and issubclass(http, protocol.StampedHttpTools)
    assert http.head_limit == 1000 and http.refusal == protocol.head_refusal(settings)
    assert http.refusal.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert uvicorn_config(app := object(), settings).app is app  # no HeadLimit: the protocol limits heads


def test_only_http_protocol_imports_uvicorns_protocols():
    offenders = {
        m: sorted(n for n in imports(p) if n.startswith("uvicorn.protocols"))
        for m, p in MODULES.items()
        if m != "mockrouter.http.protocol"
    }
    assert {m: v for m, v in offenders.items() if v} == {}


# ---------------------------------------------------------------- the h11 fallback, served


def _send(port: int, *parts: bytes) -> bytes:
    """Send ``parts`` (a pause between them: separate reads), then read the answer until its body is complete or
    the server closes the connection."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            for part in parts:
                sock.sendall(part)
                time.sleep(0.01)
        except OSError:  # refused half-way
            pass
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                head, _, body = answer.partition(b"\r\n\r\n")
                if b"content-length: " in head.lower():
                    if len(body) >= int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0]):
                        break
        except OSError:  # a reset after the answer
            pass
    return answer


def _head(size: int) -> bytes:
    """A GET whose request line and headers take exactly ``size`` bytes."""
    start, end = b"GET /api/v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ", b"\r\n\r\n"
    return start + b"a" * (size - len(start) - len(end)) + end


@pytest.mark.socket
def test_the_h11_fallback_serves_and_answers_large_heads(monkeypatch):
    """With the fallback forced, a request is served as before and a head over the limit is refused: 431 in
    OpenRouter's envelope when it arrives whole (``HeadLimit``); while still incomplete beyond the limit, h11
    refuses it first, and uvicorn answers that with its own plain-text 400, which mockrouter cannot change without
    its protocol."""
    monkeypatch.setattr(uvicorn, "__version__", "0.99.0")
    monkeypatch.setattr(protocol, "_warned", set())
    server = MockRouterServer(Settings(time_scale=0))
    assert server.server.config.http == "h11"
    limit = server.settings.max_header_bytes
    with server:
        payload = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
        r = httpx.post(server.base_url + "/chat/completions", json=payload, headers=AUTH, timeout=30)
        assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]

        assert _send(server.port, _head(limit)).startswith(b"HTTP/1.1 200 ")  # exactly the limit: served
        for size in (limit + 1, 100_000):  # whole, in one write
            answer = _send(server.port, _head(size))
            assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
            error = json.loads(answer.partition(b"\r\n\r\n")[2])["error"]
            assert error["code"] == 431 and error["message"] == "Request Header Fields Too Large"
            assert error["metadata"]["max_bytes"] == limit

        unfinished = _head(limit + 8192)[:-4]  # never ends: h11's incomplete-event limit, in the last piece
        answer = _send(server.port, *(unfinished[i : i + 8192] for i in range(0, len(unfinished), 8192)))
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
        assert answer.endswith(b"\r\n\r\nInvalid HTTP request received."), answer[-200:]

        for stream in (True, False):  # HTTP/1.0: h11 frames it, never chunked
            head, body = _http10(server, {**payload, "stream": stream})
            assert head.startswith(b"http/1.1 200 ") and b"transfer-encoding" not in head, head
            if stream:
                assert b"content-length" not in head and body.endswith(b"data: [DONE]\n\n"), body[-200:]
            else:
                assert json.loads(body)["choices"][0]["message"]["content"]

        r = httpx.get(server.url + "/__mockrouter/requests", timeout=30)
        assert r.status_code == 200 and [e["status"] for e in r.json()["requests"]] == [200] * 4


@pytest.mark.socket
def test_the_stamped_protocol_draws_the_head_limit_at_the_same_byte():
    """The same boundary as the fallback's ``HeadLimit`` above: a head of exactly the limit is served."""
    with MockRouterServer(Settings(time_scale=0)) as server:
        assert issubclass(server.server.config.http, protocol.StampedHttpTools)
        limit = server.settings.max_header_bytes
        assert _send(server.port, _head(limit)).startswith(b"HTTP/1.1 200 ")
        assert _send(server.port, _head(limit + 1)).startswith(b"HTTP/1.1 431 ")
