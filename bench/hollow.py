"""The mock's HTTP layer with its engine hollowed out: ``mockrouter``'s own app, routes, rendering and uvicorn
protocol (``serve``'s settings), with ``Mock.handle`` answering every request with the same captured body.

``bench/run.py`` measures it beside the bare Starlette baseline: the difference between this and the mock is the
mock's own work a request (auth, journal, planning, simulation, generation, accounting, documents); the difference
between this and the baseline is the HTTP layer's::

    python bench/hollow.py --port 18102 --body bench/out/bodies/chat.json
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import uvicorn

from mockrouter.calls import Reply
from mockrouter.http.app import create_app
from mockrouter.http.server import uvicorn_config
from mockrouter.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18102)
    parser.add_argument("--body", type=Path, required=True)
    args = parser.parse_args()
    body = args.body.read_bytes()
    settings = Settings(port=args.port, time_scale=0, log_level="warning")
    app = create_app(settings)

    def handle(*_: Any, **__: Any) -> Reply:
        return Reply(200, raw=body)

    app.state.mock.handle = handle  # type: ignore[attr-defined]
    uvicorn.Server(uvicorn_config(app, settings)).run()


if __name__ == "__main__":
    main()
