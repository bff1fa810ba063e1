"""The floor of the TTFT measurement on this machine: a raw asyncio protocol (uvloop, no HTTP framework) that
answers each streaming request with the headers and a keep-alive comment at once, the first ``data:`` event
exactly 100 ms after the request's bytes arrived (topped-up sleep), then the rest and the end of the stream.

Whatever the TTFT client measures against it is the client's, the kernel's and the timer's share of the
latency, not a server's: ``bench/run.py`` reports the mock's TTFT next to it.

    python bench/floor.py --port 8799 [--ttft-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import time

_HEADERS = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


_OPEN = _HEADERS + _chunk(b": OPENROUTER PROCESSING\n\n")
_FIRST = _chunk(b'data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n')
_REST = _chunk(b'data: {"choices":[{"delta":{"content":" from the floor."}}]}\n\ndata: [DONE]\n\n') + b"0\r\n\r\n"


class Floor(asyncio.Protocol):
    ttft_s = 0.1

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if not sep:
                return
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
            if len(rest) < length:
                return
            self.buf = rest[length:]
            arrived = time.monotonic()
            self.transport.write(_OPEN)
            asyncio.get_running_loop().create_task(self._answer(arrived + self.ttft_s))

    async def _answer(self, due: float) -> None:
        while (left := due - time.monotonic()) > 0:
            await asyncio.sleep(left)
        self.transport.write(_FIRST)
        await asyncio.sleep(0)
        self.transport.write(_REST)


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(Floor, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ttft-ms", type=float, default=100.0)
    args = parser.parse_args()
    Floor.ttft_s = args.ttft_ms / 1000.0
    try:
        import uvloop

        uvloop.run(serve(args.port))
    except ImportError:  # pragma: no cover
        asyncio.run(serve(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
