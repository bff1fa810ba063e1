"""The mock's HTTP layer with its engine hollowed out: ``mockrouter``'s own app, routes, rendering and uvicorn
protocol (``serve``'s settings), with ``Mock.handle`` replaced.

``--engine constant`` (the default) answers every request with the same captured body: the difference between this
and the mock is the mock's own work a request (auth, journal, planning, simulation, generation, accounting,
documents); the difference between this and the bare Starlette baseline is the HTTP layer's.

``--engine skeleton`` answers a completion with the least work any completion takes in this mock, each step the
mock's own code: the key read and checked, a journal entry opened and closed, the body parsed and validated against
its schema, its fingerprint, the generated choices (``engine.generation``: prompt-aware, seeded), the prompt counted,
the response document (``engine.documents``) with a plain usage block, encoded. No routing, simulation, accounting,
prompt cache, memo, stubs, credits or generation record. Under the distinct-prompt load it shows what the HTTP layer
and those steps alone cost: a floor under the whole mock's figure::

    python bench/hollow.py --port 18102 --body bench/out/bodies/chat.json [--engine skeleton]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import uvicorn

from mockrouter import seeding
from mockrouter.calls import Call, Reply, json_bytes
from mockrouter.contract import schemas
from mockrouter.contract.operations import Operation
from mockrouter.engine import generation
from mockrouter.engine.auth import authenticate, bearer
from mockrouter.engine.bodies import decode
from mockrouter.engine.core import Mock
from mockrouter.engine.documents import Served, chat_body
from mockrouter.http.app import create_app
from mockrouter.http.server import uvicorn_config
from mockrouter.kinds import Outcome
from mockrouter.settings import Settings


def skeleton(mock: Mock) -> Any:
    """``Mock.handle`` doing only the steps every completion takes (see the module's text); anything else (the
    admin calls that set the bench up, ``/models``) goes to the real one."""
    real, spec = mock.handle, generation.Spec()

    def handle(call: Call, op: Operation | None, path_params: Any = None, allowed: str = "") -> Reply:
        if op is None or op.completion is None or op.request is None:
            return real(call, op, path_params, allowed)
        ks = authenticate(bearer(call.headers), mock.state, mock.profile, mock.settings.strict_keys)
        entry = mock.journal.open(call.method, call.path, call.query, call.headers)
        body = decode(call.body)
        if not schemas.is_valid(op.request, body):
            raise SystemExit("the skeleton is measured on valid requests only")
        fp = seeding.fingerprint(body)
        choices = generation.generate(body, 0, spec, fp)
        prompt = generation.count_prompt(body).tokens
        out = sum(c.completion_tokens for c in choices)
        served = Served(mock.clock.generation_id(), mock.clock.now(), str(body["model"]), "OpenAI", "completed")
        usage = {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out, "cost": 0}
        raw = json_bytes(chat_body(served, choices, usage))
        entry.status, entry.model, entry.account, entry.outcome = 200, body["model"], ks.account.id, Outcome.OK
        mock.journal.close(entry)
        return Reply(200, raw=raw)

    return handle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18102)
    parser.add_argument("--body", type=Path, required=True)
    parser.add_argument("--engine", choices=("constant", "skeleton"), default="constant")
    args = parser.parse_args()
    body = args.body.read_bytes()
    settings = Settings(port=args.port, time_scale=0, log_level="warning")
    app = create_app(settings)
    mock: Mock = app.state.mock  # type: ignore[attr-defined]

    def constant(*_: Any, **__: Any) -> Reply:
        return Reply(200, raw=body)

    mock.handle = constant if args.engine == "constant" else skeleton(mock)  # type: ignore[method-assign]
    uvicorn.Server(uvicorn_config(app, settings)).run()


if __name__ == "__main__":
    main()
