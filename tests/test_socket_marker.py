"""The ``socket`` marker is enforced (tests/conftest.py): a test without it that connects, binds or listens on
a TCP socket fails, even when it swallows the error, and one that uses a socket server fixture fails at set-up;
socket pairs and event loops stay usable everywhere. Checked in a pytest subprocess, whose sockets are its own."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

INNER = """
import asyncio
import socket
import tempfile
from pathlib import Path

import pytest


def test_unmarked_connect():
    socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_unmarked_bind():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))


def test_unmarked_swallowed():
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    except Exception:
        pass


def test_unmarked_server_fixture(live_server):
    pass


def test_unmarked_socketpair_event_loop_and_unix_socket():
    a, b = socket.socketpair()
    a.close(), b.close()
    asyncio.run(asyncio.sleep(0))
    with tempfile.TemporaryDirectory() as folder, socket.socket(socket.AF_UNIX) as s:
        s.bind(str(Path(folder) / "s.sock"))
        s.listen()


@pytest.mark.socket
def test_marked_tcp():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=5).close()
"""


def test_unmarked_socket_tests_fail(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the inner run needs no third-party plugin
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # for `tests.conftest`
    pytester.makeini("[pytest]\nmarkers =\n    socket: opens a socket\n")
    pytester.makeconftest('pytest_plugins = ["tests.conftest"]\n')
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-rfE")
    result.assert_outcomes(passed=2, failed=3, errors=1)
    result.stdout.fnmatch_lines_random(
        [
            "E *UnmarkedSocketError: this test opens a socket (AF_INET connect(('127.0.0.1', 9))):"
            " mark it @pytest.mark.socket",
            "E *UnmarkedSocketError: this test opens a socket (AF_INET bind(('127.0.0.1', 0))):"
            " mark it @pytest.mark.socket",
            "test_inner.py::test_unmarked_swallowed opened a socket (AF_INET connect(('127.0.0.1', 9))):"
            " mark it @pytest.mark.socket",
            "E *Failed: test_inner.py::test_unmarked_server_fixture uses live_server (a server on a socket):"
            " mark it @pytest.mark.socket",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "FAILED test_inner.py::test_unmarked_connect*",
            "FAILED test_inner.py::test_unmarked_bind*",
            "FAILED test_inner.py::test_unmarked_swallowed*",
            "ERROR test_inner.py::test_unmarked_server_fixture*",
        ]
    )
