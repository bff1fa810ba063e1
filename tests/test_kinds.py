"""The closed sets are declared once (``mockrouter.kinds``); the schemas that repeat them for clients must agree."""

from __future__ import annotations

from mockrouter.contract import schemas as contract
from mockrouter.kinds import PROFILES, FaultKind, Outcome, profile
from mockrouter.settings import Settings


def test_the_fault_schema_lists_exactly_the_fault_kinds():
    enum = contract.schema("fixtures.json")["$defs"]["Fault"]["properties"]["kind"]["enum"]
    assert enum == [k.value for k in FaultKind]


def test_the_admin_schemas_list_exactly_the_profiles():
    defs = contract.schema("admin.json")["$defs"]
    assert defs["Health"]["properties"]["profile"]["enum"] == list(PROFILES)
    assert defs["Settings"]["properties"]["profile"]["enum"] == list(PROFILES)


def test_profiles_differ_in_what_the_contract_notes_say():
    current, launch = profile("current"), profile("launch")
    assert current.error_type and not launch.error_type
    assert current.usage_always and not launch.usage_always
    assert current.no_auth_message == "No cookie auth credentials found"
    assert launch.no_auth_message == "No auth credentials found"
    assert Settings(profile="launch").profile == launch.name


def test_kinds_are_their_wire_text():
    assert FaultKind("mid_stream") is FaultKind.MID_STREAM and FaultKind.STALL == "stall"
    assert Outcome.MID_STREAM_ERROR == "mid_stream_error" and f"{Outcome.OK}" == "ok"
    assert FaultKind.ERROR.answers_at_once and FaultKind.DISCONNECT.breaks_stream
    assert not FaultKind.OUTAGE.answers_at_once and not FaultKind.SLOW_TTFT.breaks_stream
