"""Fixture files -> a typed, immutable :class:`World`.

``load(paths)`` reads YAML/JSON files, validates each against ``schemas/fixtures.json`` (errors name the
file and the JSON pointer), deep-merges them in order (keyed lists merge by key), builds frozen
dataclasses and runs cross-checks (an endpoint naming an unknown provider, a key naming an unknown
account...). Everything happens at start-up; a request never meets a broken fixture.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from mockrouter import fixture_values as parts
from mockrouter.contract import schemas as contract
from mockrouter.errors import FixtureError
from mockrouter.faults import Fault
from mockrouter.resources import YAML_LOADER, data_dir, scenario_path
from mockrouter.world import (
    Account,
    Defaults,
    Endpoint,
    Key,
    Model,
    Moderation,
    Provider,
    Stub,
    StubMatch,
    World,
)

__all__ = ["default_paths", "load", "load_for", "read", "stubs_from", "world_from"]


_KEYED = {
    "models": "id",
    "providers": "slug",
    "keys": "key",
    "accounts": "id",
    "stubs": "name",
    "endpoints": "provider",
}


# --------------------------------------------------------------------------- reading and merging


def default_paths() -> list[Path]:
    return [data_dir("fixtures") / "default.yaml"]


def read(path: str | Path) -> dict[str, Any]:
    """Parse and schema-validate one fixture file; raises :class:`FixtureError`."""
    name = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise FixtureError(name, "/", f"cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if name.endswith(".json") else yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise FixtureError(name, "/", f"not valid {'JSON' if name.endswith('.json') else 'YAML'}: {exc}") from None
    if data is None:
        data = {}
    violations = [] if contract.is_valid("fixtures.json", data) else contract.validate("fixtures.json", data, limit=1)
    if violations:
        raise FixtureError(name, violations[0].pointer, violations[0].message)
    assert isinstance(data, dict)
    return data


def _merge(base: Any, over: Any, key: str | None = None) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v, k) if k in base else v
        return out
    if isinstance(base, list) and isinstance(over, list) and key in _KEYED:
        field_name = _KEYED[key]
        out_list = list(base)
        index = {item.get(field_name): i for i, item in enumerate(out_list) if isinstance(item, dict)}
        for item in over:
            k = item.get(field_name) if isinstance(item, dict) else None
            if k is not None and k in index:
                out_list[index[k]] = _merge(out_list[index[k]], item)
            else:
                index[k] = len(out_list)
                out_list.append(item)
        return out_list
    return over


def load(paths: Iterable[str | Path]) -> World:
    """Read, merge and build a world from fixture files, in order."""
    merged: dict[str, Any] = {}
    origins: dict[tuple[str, str], tuple[str, str]] = {}
    names: list[str] = []
    for path in paths:
        data = read(path)
        names.append(str(path))
        for section, key_field in _KEYED.items():
            for i, item in enumerate(data.get(section, []) if section != "endpoints" else []):
                origins[(section, str(item.get(key_field)))] = (str(path), f"/{section}/{i}")
        merged = _merge(merged, data)
    return _build(merged, origins, tuple(names))


def load_for(settings: Any) -> World:
    """The world a :class:`~mockrouter.settings.Settings` asks for: default + scenarios + fixtures."""
    paths: list[str | Path] = [] if settings.no_default else list(default_paths())
    paths += [scenario_path(s) for s in settings.scenarios]
    paths += list(settings.fixtures)
    return load(paths)


# --------------------------------------------------------------------------- building


def _build(raw: dict[str, Any], origins: dict[tuple[str, str], tuple[str, str]], sources: tuple[str, ...]) -> World:
    def fail(section: str, key: str, suffix: str, message: str) -> FixtureError:
        file, pointer = origins.get((section, key), (sources[-1] if sources else "<fixtures>", f"/{section}"))
        return FixtureError(file, pointer + suffix, message)

    providers = {
        p["slug"]: Provider(
            slug=p["slug"],
            name=p["name"],
            privacy_policy_url=p.get("privacy_policy_url"),
            terms_of_service_url=p.get("terms_of_service_url"),
            status_page_url=p.get("status_page_url"),
            headquarters=p.get("headquarters"),
            datacenters=tuple(p.get("datacenters", ())),
            data_policy=parts.policy(p.get("data_policy")),
            native_tools=tuple((k, v["type"]) for k, v in p.get("native_tools", {}).items()),
        )
        for p in raw.get("providers", [])
    }
    models: dict[str, Model] = {}
    for m in raw.get("models", []):
        mid = m["id"]
        endpoints = []
        for j, e in enumerate(m.get("endpoints", [])):
            provider = providers.get(e["provider"])
            if provider is None:
                raise fail("models", mid, f"/endpoints/{j}/provider", f"unknown provider {e['provider']!r}")
            pricing = dict(m.get("pricing", {}))
            pricing.update(e.get("pricing", {}))
            context = e.get("context_length", m.get("context_length"))
            if context is None:
                raise fail("models", mid, f"/endpoints/{j}", "context_length is required (on the endpoint or model)")
            max_out = e.get("max_completion_tokens")
            if max_out is not None and max_out > context:
                raise fail("models", mid, f"/endpoints/{j}/max_completion_tokens", "exceeds context_length")
            mod = e.get("moderation")
            endpoints.append(
                Endpoint(
                    provider=provider,
                    tag=e.get("tag", provider.slug),
                    pricing=MappingProxyType(pricing),
                    context_length=context,
                    max_completion_tokens=max_out,
                    max_prompt_tokens=e.get("max_prompt_tokens"),
                    quantization=e.get("quantization"),
                    supported_parameters=tuple(e.get("supported_parameters", m.get("supported_parameters", ()))),
                    byok=e.get("byok", False),
                    shared=e.get("shared", True),
                    data_policy=parts.policy(e.get("data_policy"), provider.data_policy),
                    latency=parts.latency(e.get("latency")),
                    reliability=parts.reliability(e.get("reliability")),
                    native_finish_reason=e.get("native_finish_reason", "stop"),
                    supports_implicit_caching=e.get("supports_implicit_caching", False),
                    uptime_last_30m=e.get("uptime_last_30m", 100.0),
                    status=e.get("status", 0),
                    moderation=Moderation(tuple(mod["flag"]), tuple(mod.get("reasons", ("harassment",))))
                    if mod
                    else None,
                    **parts.capabilities(e, provider, m),
                )
            )
        first = endpoints[0] if endpoints else None
        context_length = m.get("context_length") or max((e.context_length for e in endpoints), default=None)
        if context_length is None:
            raise fail("models", mid, "", "context_length is required when the model has no endpoints")
        author, _, slug = mid.partition("/")
        models[mid] = Model(
            id=mid,
            canonical_slug=m.get("canonical_slug", mid.split(":")[0]),
            hugging_face_id=m.get("hugging_face_id", ""),
            name=m.get("name", f"{author.title()}: {slug}"),
            created=m.get("created", 1754587413),
            description=m.get("description", ""),
            context_length=context_length,
            input_modalities=tuple(m.get("input_modalities", ("text",))),
            output_modalities=tuple(m.get("output_modalities", ("text",))),
            tokenizer=m.get("tokenizer", "Other"),
            instruct_type=m.get("instruct_type"),
            categories=tuple(m.get("categories", ())),
            pricing=MappingProxyType(
                dict(m.get("pricing") or (first.pricing if first else {"prompt": "0", "completion": "0"}))
            ),
            supported_parameters=tuple(
                m.get("supported_parameters") or sorted({p for e in endpoints for p in e.supported_parameters})
            ),
            default_parameters=m.get("default_parameters"),
            reasoning=m.get("reasoning", "none"),
            byok_required=m.get("byok_required"),
            expiration_date=m.get("expiration_date"),
            knowledge_cutoff=m.get("knowledge_cutoff"),
            endpoints=tuple(endpoints),
            reasoning_defaults=parts.reasoning_defaults(m),
        )
    d = raw.get("defaults", {})
    defaults = Defaults(
        credits=d.get("credits", 10.0),
        purchased=d.get("purchased", True),
        free_requests_per_minute=d.get("free_requests_per_minute", 20),
        free_requests_per_day=d.get("free_requests_per_day"),
        key_limit=d.get("key_limit"),
        byok=parts.byok(d.get("byok")),
    )
    accounts = {
        a["id"]: Account(
            a["id"],
            a.get("credits", defaults.credits),
            a.get("usage", 0.0),
            a.get("purchased", True),
            parts.byok(a.get("byok")),
            a.get("data_collection", "allow"),
            a.get("zdr", False),
        )
        for a in raw.get("accounts", [])
    }
    keys: dict[str, Key] = {}
    for k in raw.get("keys", []):
        account = k.get("account", f"acct-{k['key'][-8:]}")
        if "account" in k and account not in accounts:
            raise fail("keys", k["key"], "/account", f"unknown account {account!r}")
        values = {
            f: k[f]
            for f in (
                "name",
                "limit",
                "limit_reset",
                "include_byok_in_limit",
                "usage",
                "disabled",
                "management",
                "expires_at",
            )
            if f in k
        }
        keys[k["key"]] = Key(key=k["key"], account=account, **values)
    stubs = tuple(_stub(s, fail, models) for s in raw.get("stubs", []))
    return World(
        providers=MappingProxyType(providers),
        models=MappingProxyType(models),
        accounts=MappingProxyType(accounts),
        keys=MappingProxyType(keys),
        stubs=tuple(sorted(stubs, key=lambda s: s.priority)),
        defaults=defaults,
        recordings=tuple(raw.get("recordings", ())),
        sources=sources,
    )


def _stub(s: Mapping[str, Any], fail: Any, models: Mapping[str, Model]) -> Stub:
    name = s["name"]
    match = dict(s.get("match", {}))
    model = match.get("model")
    if (
        model
        and "*" not in model
        and model.split(":")[0] not in {m.split(":")[0] for m in models}
        and model != "openrouter/auto"
    ):
        raise fail("stubs", name, "/match/model", f"unknown model {model!r}")
    try:
        message = re.compile(match["message"], re.IGNORECASE) if "message" in match else None
        headers = {h.lower(): re.compile(v) for h, v in match.get("headers", {}).items()}
    except re.error as exc:
        raise fail("stubs", name, "/match", f"invalid regular expression: {exc}") from None
    respond = s.get("respond", {})
    try:
        fault = Fault.from_dict(respond["fault"], default_id=f"stub:{name}") if "fault" in respond else None
    except ValueError as exc:
        raise fail("stubs", name, "/respond/fault", str(exc)) from None
    calls = respond.get("tool_calls")
    scenario = s.get("scenario", {})
    return Stub(
        name=name,
        priority=s.get("priority", 5),
        match=StubMatch(
            model,
            message,
            match.get("tools"),
            match.get("stream"),
            match.get("key"),
            match.get("path"),
            MappingProxyType(headers),
        ),
        content=respond.get("content"),
        tool_calls=tuple(
            (c["name"], c["arguments"] if isinstance(c.get("arguments"), str) else json.dumps(c.get("arguments", {})))
            for c in calls
        )
        if calls is not None
        else None,
        reasoning=respond.get("reasoning"),
        finish_reason=respond.get("finish_reason"),
        latency=parts.latency(respond["latency"]) if "latency" in respond else None,
        fault=fault,
        times=s.get("times"),
        scenario=scenario.get("name"),
        requires=scenario.get("requires"),
        sets=scenario.get("sets"),
    )


def stubs_from(items: Sequence[Mapping[str, Any]], world: World, origin: str = "<admin>") -> tuple[Stub, ...]:
    """Stubs given at run time (admin API, pytest plugin), checked against the running world's models."""
    violations = contract.validate("fixtures.json", {"stubs": list(items)}, limit=1)
    if violations:
        raise FixtureError(origin, violations[0].pointer, violations[0].message)

    def fail(section: str, key: str, suffix: str, message: str) -> FixtureError:
        index = next((i for i, s in enumerate(items) if s.get("name") == key), 0)
        return FixtureError(origin, f"/stubs/{index}{suffix}", message)

    return tuple(_stub(s, fail, world.models) for s in items)


def world_from(data: Mapping[str, Any], base: Sequence[str | Path] | None = None) -> World:
    """Build a world from in-memory fixture data (merged over ``base`` files); used by tests and the admin API."""
    merged: dict[str, Any] = {}
    for path in base or []:
        merged = _merge(merged, read(path))
    violations = contract.validate("fixtures.json", dict(data), limit=1)
    if violations:
        raise FixtureError("<inline>", violations[0].pointer, violations[0].message)
    merged = _merge(merged, dict(data))
    return _build(merged, {}, ("<inline>",))
