"""The admin operations under ``/__mockrouter/`` (WireMock's ``/__admin``): journal, stubs, scenarios, faults,
accounts, keys, settings and verdicts. Bodies arrive validated against their declared schemas (``admin.json``,
and the fixture format for stubs and faults), so nothing here stores a value the contract would refuse."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mockrouter import errors
from mockrouter.calls import Reply
from mockrouter.contract.operations import Surface
from mockrouter.engine.handlers import Engine, OpRequest, handles
from mockrouter.engine.verdicts import judge
from mockrouter.errors import FixtureError
from mockrouter.faults import Fault
from mockrouter.fixtures import stubs_from
from mockrouter.world import ByokKey

__all__: list[str] = []


@handles("adminDashboard")
def dashboard(engine: Engine, req: OpRequest) -> Reply:
    from mockrouter.engine.dashboard import page

    return Reply(200, raw=page().encode(), content_type="text/html; charset=utf-8")


@handles("getAdminOpenAPI")
def openapi(engine: Engine, req: OpRequest) -> Reply:
    from mockrouter.contract.openapi import document_bytes

    return Reply(200, raw=document_bytes(Surface.ADMIN))


@handles("getHealth")
def health(engine: Engine, req: OpRequest) -> Any:
    return {
        "status": "ok",
        "models": len(engine.world.models),
        "journal": len(engine.journal),
        "profile": engine.profile.name,
        "seed": engine.state.seed,
        "time_scale": engine.state.time_scale,
        "strict_keys": engine.settings.strict_keys,
        "sources": list(engine.world.sources),
        "worker": os.getpid(),
        "store_reset": _iso(engine.state.store_reset),
    }


def _iso(when: float | None) -> str | None:
    return None if when is None else datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds")


@handles("reset")
def reset(engine: Engine, req: OpRequest) -> Any:
    engine.reset(journal=req.params.get("journal", True))
    return {"reset": True}


# ---------------------------------------------------------------------- the journal


def _criteria(req: OpRequest) -> dict[str, Any]:
    return {name: value for name, value in req.params.items() if value != ""}


@handles("listRequests")
def list_requests(engine: Engine, req: OpRequest) -> Any:
    entries = engine.journal.find(**_criteria(req))
    return {"requests": [e.as_dict() for e in entries], "total": len(entries)}


@handles("clearRequests")
def clear_requests(engine: Engine, req: OpRequest) -> Any:
    engine.journal.clear()
    return {"cleared": True}


@handles("countRequests")
def count_requests(engine: Engine, req: OpRequest) -> Any:
    return {"count": engine.journal.count(**_criteria(req))}


@handles("listNearMisses")
def near_misses(engine: Engine, req: OpRequest) -> Any:
    return {
        "near_misses": [
            {"request": e.id, "path": e.path, "model": e.model, "near_misses": e.near_misses}
            for e in engine.journal.unmatched()
        ]
    }


@handles("getVerdict")
def verdict(engine: Engine, req: OpRequest) -> Any:
    return judge(engine.journal, key=req.params.get("key"), since=req.params.get("since") or 0.0)


# ---------------------------------------------------------------------- stubs and scenarios


@handles("listStubs")
def list_stubs(engine: Engine, req: OpRequest) -> Any:
    hits = engine.state.stub_hit_counts()
    return {
        "stubs": [
            {
                "name": s.name,
                "priority": s.priority,
                "origin": s.origin or "fixtures",
                "scenario": s.scenario,
                "requires": s.requires,
                "sets": s.sets,
                "hits": hits.get(s.name, 0),
                "fault": s.fault.as_dict() if s.fault else None,
            }
            for s in engine.state.stubs()
        ]
    }


@handles("addStubs")
def add_stubs(engine: Engine, req: OpRequest) -> Reply:
    items = req.body if isinstance(req.body, list) else [req.body]
    try:
        built = stubs_from(items, engine.world) if items else ()
    except FixtureError as exc:  # a cross-field rule (an unknown model, a bad regex...): same envelope, pointer
        raise errors.bad_request(f"Invalid request: {exc.pointer}: {exc.message}", pointer=exc.pointer) from None
    engine.state.add_stubs([replace(s, origin="admin") for s in built])
    return Reply(req.op.status, {"added": sorted({s.name for s in built})})


@handles("clearStubs")
def clear_stubs(engine: Engine, req: OpRequest) -> Any:
    return {"removed": engine.state.remove_stubs(None)}


@handles("removeStub")
def remove_stub(engine: Engine, req: OpRequest) -> Any:
    name = req.params["name"]
    removed = engine.state.remove_stubs(name)
    if not removed:
        raise errors.not_found(f"No runtime stub named {name}")
    return {"removed": removed}


def _scenario_states(engine: Engine) -> dict[str, str]:
    known = {s.scenario for s in engine.state.stubs() if s.scenario}
    current = engine.state.scenario_states()
    return {n: current.get(n, "started") for n in sorted(known | set(current))}


@handles("listScenarios")
def list_scenarios(engine: Engine, req: OpRequest) -> Any:
    return {"scenarios": _scenario_states(engine)}


@handles("getScenario")
def get_scenario(engine: Engine, req: OpRequest) -> Any:
    name = req.params["name"]
    return {"name": name, "state": _scenario_states(engine).get(name, "started")}


@handles("setScenario")
def set_scenario(engine: Engine, req: OpRequest) -> Any:
    name = req.params["name"]
    engine.state.set_scenario(name, req.body["state"])
    return {"name": name, "state": engine.state.scenario_state(name)}


@handles("resetScenarios")
def reset_scenarios(engine: Engine, req: OpRequest) -> Any:
    engine.state.reset_scenarios(None)
    return {"reset": "all"}


@handles("resetScenario")
def reset_scenario(engine: Engine, req: OpRequest) -> Any:
    engine.state.reset_scenarios(req.params["name"])
    return {"reset": req.params["name"]}


# ---------------------------------------------------------------------- faults


@handles("listFaults")
def list_faults(engine: Engine, req: OpRequest) -> Any:
    state = engine.state
    return {"faults": [f.as_dict() | {"fired": state.fault_hit_count(f.id or "")} for f in state.faults()]}


@handles("addFault")
def add_fault(engine: Engine, req: OpRequest) -> Reply:
    fault = Fault.from_dict(req.body, default_id=f"admin:{len(engine.state.faults()) + 1}")
    engine.state.add_fault(fault)
    return Reply(req.op.status, {"fault": fault.as_dict()})


@handles("clearFaults")
def clear_faults(engine: Engine, req: OpRequest) -> Any:
    engine.state.clear_faults()
    return {"cleared": True}


# ---------------------------------------------------------------------- accounts, keys and settings


def _account(engine: Engine, account_id: str) -> Any:
    account = engine.state.account(account_id)
    if account is None:
        raise errors.not_found(f"No account {account_id}")
    return {
        "id": account.id,
        "credits": account.credits,
        "usage": round(account.usage, 12),
        "balance": round(account.balance, 12),
        "purchased": account.purchased,
        "byok": {k: {"status": v.status, "always_use": v.always_use} for k, v in account.byok.items()},
    }


@handles("listAccounts")
def list_accounts(engine: Engine, req: OpRequest) -> Any:
    return {
        "accounts": [
            {"id": a.id, "credits": a.credits, "usage": round(a.usage, 12), "balance": round(a.balance, 12)}
            for a in engine.state.all_accounts()
        ]
    }


@handles("getAccount")
def get_account(engine: Engine, req: OpRequest) -> Any:
    return _account(engine, req.params["id"])


@handles("updateAccount")
def update_account(engine: Engine, req: OpRequest) -> Any:
    account_id, data = req.params["id"], req.body
    engine.state.set_credits(account_id, data.get("credits"), data.get("usage"))  # creates an unknown account
    if "byok" in data:
        keys = {k: ByokKey(v.get("status", "valid"), v.get("always_use", False)) for k, v in data["byok"].items()}
        engine.state.set_byok(account_id, keys)
    return _account(engine, account_id)


def _key_state(engine: Engine, token: str) -> Any:
    ks = engine.state.key_state(token)
    return {
        "key": token[:12] + "...",
        "account": ks.account.id,
        "limit": ks.key.limit,
        "limit_remaining": ks.limit_remaining,
        "usage": ks.usage,
        "disabled": ks.key.disabled,
        "management": ks.key.management,
        "credits": ks.account.credits,
        "balance": round(ks.account.balance, 12),
    }


@handles("getKeyState")
def get_key_state(engine: Engine, req: OpRequest) -> Any:
    return _key_state(engine, req.params["key"])


_KEY_FIELDS = ("limit", "limit_reset", "disabled", "management", "include_byok_in_limit")


@handles("updateKey")
def update_key(engine: Engine, req: OpRequest) -> Any:
    data = req.body
    token = data["key"]
    changes = {k: data[k] for k in _KEY_FIELDS if k in data}
    if changes:
        engine.state.update_key(token, **changes)
    if "credits" in data or "usage" in data:
        ks = engine.state.key_state(token)
        engine.state.set_credits(ks.account.id, data.get("credits"), data.get("usage"))
    return _key_state(engine, token)


def _settings(engine: Engine) -> Any:
    return {
        "seed": engine.state.seed,
        "time_scale": engine.state.time_scale,
        "profile": engine.profile.name,
        "down": sorted(engine.state.down),
        "strict_keys": engine.settings.strict_keys,
        "journal_size": engine.journal.size,
    }


@handles("getSettings")
def get_settings(engine: Engine, req: OpRequest) -> Any:
    return _settings(engine)


@handles("updateSettings")
def update_settings(engine: Engine, req: OpRequest) -> Any:
    data = req.body
    down = set(data["down"]) if "down" in data else None
    engine.state.update_settings(data.get("seed"), data.get("time_scale"), down)
    return _settings(engine)
