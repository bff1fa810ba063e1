"""A private ``redis-server`` (the tests' and ``serve --workers N``'s when no ``--redis URL`` is given)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["RedisServer"]


class RedisServer:
    """A private ``redis-server`` on a unix socket in a temporary folder, without persistence.

    >>> with RedisServer() as server:
    ...     server.url  # 'unix:///tmp/mockrouter-redis-.../redis.sock'
    """

    def __init__(self, executable: str | None = None) -> None:
        found = executable or shutil.which("redis-server")
        if found is None:
            raise ValueError(
                "redis-server is not installed (Debian: apt-get install -y redis-server); "
                "install it or pass --redis URL of a running Redis"
            )
        self.executable = found
        self.folder = Path(tempfile.mkdtemp(prefix="mockrouter-redis-"))
        self.socket = self.folder / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> RedisServer:
        args = [self.executable, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.folder), "--loglevel", "warning"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                self.stop()
                raise ValueError(f"redis-server did not start: {err.strip() or 'timed out'}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
