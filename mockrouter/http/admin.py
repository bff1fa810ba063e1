"""The admin API under ``/__mockrouter/``, kept out of the OpenRouter contract (WireMock's ``/__admin``).

Only reachable from loopback unless an admin token is configured, and then only with it
(``Authorization: Bearer <token>`` or ``X-Mockrouter-Admin-Token``).
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mockrouter import errors
from mockrouter.engine.core import Mock
from mockrouter.errors import FixtureError, MockRouterError
from mockrouter.faults import Fault
from mockrouter.fixtures import stubs_from

__all__ = ["ADMIN", "admin_routes"]

ADMIN = "/__mockrouter"
_LOOPBACK = ("127.0.0.1", "::1", "localhost", "testclient", None)


def _allowed(mock: Mock, request: Request) -> bool:
    token = mock.settings.admin_token
    if token:
        given = (
            request.headers.get("x-mockrouter-admin-token")
            or request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        )
        return hmac.compare_digest(given.encode(), token.encode())
    host = request.client.host if request.client else None
    return host in _LOOPBACK or (host or "").startswith("127.")


def _error(status: int, message: str, **metadata: Any) -> Response:
    body: dict[str, Any] = {"error": {"message": message, "code": status}}
    if metadata:
        body["error"]["metadata"] = metadata
    return JSONResponse(body, status_code=status)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise MockRouterError(400, f"Invalid JSON: {exc}") from None


Handler = Callable[[Mock, Request], Awaitable[Any]]


def _wrap(mock: Mock, fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if not _allowed(mock, request):
            return _error(403, "The admin API is only reachable from loopback or with the admin token")
        mock.state.begin()  # a shared store's state: see what other workers changed
        try:
            result = await fn(mock, request)
        except MockRouterError as exc:
            return _error(exc.status, exc.message, **(exc.metadata or {}))
        except FixtureError as exc:
            return _error(400, str(exc), file=exc.file, pointer=exc.pointer)
        except (ValueError, TypeError, KeyError) as exc:
            return _error(400, f"Invalid admin request: {exc}")
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    endpoint.__name__ = fn.__name__
    return endpoint


# ---------------------------------------------------------------------- handlers


async def health(mock: Mock, request: Request) -> Any:
    return {"status": "ok", "models": len(mock.world.models), "journal": len(mock.journal), "profile": mock.profile,
            "seed": mock.seed, "time_scale": mock.time_scale, "sources": list(mock.world.sources),
            "worker": os.getpid()}  # fmt: skip


async def reset(mock: Mock, request: Request) -> Any:
    mock.reset(journal=request.query_params.get("journal", "true") != "false")
    return {"reset": True}


def _criteria(request: Request) -> dict[str, Any]:
    q = request.query_params
    out: dict[str, Any] = {}
    for name in ("model", "key", "path", "outcome", "header"):
        if q.get(name):
            out[name] = q[name]
    for name in ("status", "limit"):
        if q.get(name):
            out[name] = int(q[name])
    for name in ("since", "until"):
        if q.get(name):
            out[name] = float(q[name])
    return out


async def requests(mock: Mock, request: Request) -> Any:
    if request.method == "DELETE":
        mock.journal.clear()
        return {"cleared": True}
    entries = mock.journal.find(**_criteria(request))
    return {"requests": [e.as_dict() for e in entries], "total": len(entries)}


async def requests_count(mock: Mock, request: Request) -> Any:
    return {"count": mock.journal.count(**_criteria(request))}


async def near_misses(mock: Mock, request: Request) -> Any:
    return {"near_misses": [{"request": e.id, "path": e.path, "model": e.model, "near_misses": e.near_misses}
                            for e in mock.journal.unmatched()]}  # fmt: skip


async def stubs(mock: Mock, request: Request) -> Any:
    if request.method == "POST":
        data = await _json_body(request)
        items = data if isinstance(data, list) else [data]
        built = stubs_from(items, mock.world) if items else ()
        mock.state.add_stubs([replace(s, origin="admin") for s in built])
        return JSONResponse({"added": sorted({s.name for s in built})}, status_code=201)
    if request.method == "DELETE":
        name = request.path_params.get("name")
        removed = mock.state.remove_stubs(name)
        if name is not None and not removed:
            raise errors.not_found(f"No runtime stub named {name}")
        return {"removed": removed}
    hits = mock.state.stub_hit_counts()
    return {"stubs": [{"name": s.name, "priority": s.priority, "origin": s.origin or "fixtures", "scenario": s.scenario,
                       "requires": s.requires, "sets": s.sets, "hits": hits.get(s.name, 0),
                       "fault": s.fault.as_dict() if s.fault else None} for s in mock.state.stubs()]}  # fmt: skip


async def scenarios(mock: Mock, request: Request) -> Any:
    name = request.path_params.get("name")
    if request.method in ("PUT", "POST") and name:
        data = await _json_body(request)
        mock.state.set_scenario(name, str(data["state"]))
        return {"name": name, "state": mock.state.scenario_state(name)}
    if request.method == "DELETE" or request.url.path.endswith("/reset"):
        mock.state.reset_scenarios(name or None)
        return {"reset": name or "all"}
    known = {s.scenario for s in mock.state.stubs() if s.scenario}
    current = mock.state.scenario_states()
    states = {n: current.get(n, "started") for n in sorted(known | set(current))}
    if name:
        return {"name": name, "state": states.get(name, "started")}
    return {"scenarios": states}


async def faults(mock: Mock, request: Request) -> Any:
    if request.method == "POST":
        data = await _json_body(request)
        fault = Fault.from_dict(data, default_id=data.get("id") or f"admin:{len(mock.state.faults()) + 1}")
        mock.state.add_fault(fault)
        return JSONResponse({"fault": fault.as_dict()}, status_code=201)
    if request.method == "DELETE":
        mock.state.clear_faults()
        return {"cleared": True}
    return {"faults": [f.as_dict() | {"fired": mock.state.fault_hit_count(f.id or "")} for f in mock.state.faults()]}


async def accounts(mock: Mock, request: Request) -> Any:
    account_id = request.path_params.get("id")
    if account_id is None:
        return {"accounts": [{"id": a.id, "credits": a.credits, "usage": round(a.usage, 12), "balance": round(a.balance, 12)}
                             for a in mock.state.all_accounts()]}  # fmt: skip
    if request.method in ("PUT", "POST", "PATCH"):
        data = await _json_body(request)
        mock.state.set_credits(account_id, data.get("credits"), data.get("usage"))
        if "byok" in data:
            from mockrouter.world import ByokKey

            mock.state.set_byok(
                account_id,
                {k: ByokKey(v.get("status", "valid"), v.get("always_use", False)) for k, v in data["byok"].items()},
            )
    found = mock.state.account(account_id)
    if found is None:
        raise errors.not_found(f"No account {account_id}")
    account = found
    return {"id": account.id, "credits": account.credits, "usage": round(account.usage, 12),
            "balance": round(account.balance, 12), "purchased": account.purchased,
            "byok": {k: {"status": v.status, "always_use": v.always_use} for k, v in account.byok.items()}}  # fmt: skip


async def keys(mock: Mock, request: Request) -> Any:
    """Get or set a key's limit (and credits of its account) by the key itself (in the body or a header)."""
    data = await _json_body(request) if request.method in ("PUT", "POST", "PATCH") else {}
    token = data.get("key") or request.headers.get("x-mockrouter-key") or request.query_params.get("key")
    if not token:
        raise MockRouterError(400, 'Name the key: body {"key": ...}, ?key= or X-Mockrouter-Key')
    ks = mock.state.key_state(token)
    if "limit" in data or "disabled" in data or "management" in data:
        changes = {
            k: data[k] for k in ("limit", "limit_reset", "disabled", "management", "include_byok_in_limit") if k in data
        }
        ks = mock.state.update_key(token, **changes)
    if "credits" in data:
        mock.state.set_credits(ks.account.id, data["credits"], data.get("usage"))
        ks = mock.state.key_state(token)
    return {"key": token[:12] + "...", "account": ks.account.id, "limit": ks.key.limit, "limit_remaining": ks.limit_remaining,
            "usage": ks.usage, "disabled": ks.key.disabled, "management": ks.key.management,
            "credits": ks.account.credits, "balance": round(ks.account.balance, 12)}  # fmt: skip


async def settings(mock: Mock, request: Request) -> Any:
    if request.method in ("PUT", "POST", "PATCH"):
        data = await _json_body(request)
        time_scale = float(data["time_scale"]) if "time_scale" in data else None
        if time_scale is not None and time_scale < 0:
            raise MockRouterError(400, "time_scale must be >= 0")
        seed = int(data["seed"]) if "seed" in data else None
        mock.state.update_settings(seed, time_scale, set(data["down"]) if "down" in data else None)
    return {"seed": mock.seed, "time_scale": mock.time_scale, "profile": mock.profile, "down": sorted(mock.state.down),
            "strict_keys": mock.settings.strict_keys, "journal_size": mock.journal.size}  # fmt: skip


async def verdict(mock: Mock, request: Request) -> Any:
    from mockrouter.engine.verdicts import judge

    return judge(mock.journal, key=request.query_params.get("key"), since=float(request.query_params.get("since") or 0))


async def openapi(mock: Mock, request: Request) -> Any:
    from mockrouter.contract.admin_openapi import document

    return document()


async def dashboard(mock: Mock, request: Request) -> Any:
    from mockrouter.http.dashboard import page

    return Response(page(), media_type="text/html")


def admin_routes(mock: Mock) -> list[BaseRoute]:
    rw = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    table: list[tuple[str, Handler, list[str]]] = [
        ("/", dashboard, ["GET"]),
        ("/health", health, ["GET"]),
        ("/reset", reset, ["POST"]),
        ("/requests", requests, ["GET", "DELETE"]),
        ("/requests/count", requests_count, ["GET"]),
        ("/near-misses", near_misses, ["GET"]),
        ("/stubs", stubs, ["GET", "POST", "DELETE"]),
        ("/stubs/{name}", stubs, ["DELETE"]),
        ("/scenarios", scenarios, ["GET", "DELETE"]),
        ("/scenarios/reset", scenarios, ["POST"]),
        ("/scenarios/{name}", scenarios, ["GET", "PUT", "POST", "DELETE"]),
        ("/faults", faults, ["GET", "POST", "DELETE"]),
        ("/accounts", accounts, ["GET"]),
        ("/accounts/{id}", accounts, rw),
        ("/keys", keys, rw),
        ("/settings", settings, ["GET", "PUT", "POST", "PATCH"]),
        ("/verdict", verdict, ["GET"]),
        ("/openapi.json", openapi, ["GET"]),
    ]
    return [Route(ADMIN + path, _wrap(mock, fn), methods=methods) for path, fn, methods in table]
