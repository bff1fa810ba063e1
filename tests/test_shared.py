"""RedisState and RedisJournal against a real redis-server: two instances over one store stand for two
workers. The in-process request tests of ``test_app`` run again here over the shared store."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from mockrouter import Mock, Settings
from mockrouter.faults import Fault
from mockrouter.fixtures import load_for
from mockrouter.http.server import shared_mock
from mockrouter.state.redis import RedisState
from mockrouter.state.redis_journal import RedisJournal
from mockrouter.state.store import Store
from mockrouter.world import Key, World
from tests.conftest import KEY
from tests.test_app import (  # noqa: F401 - collected again, with this module's Redis-backed `mock`
    test_bad_input_gets_the_envelope,
    test_chat_completion_shape,
    test_credits_needs_management_key_in_current_api,
    test_every_request_is_journaled,
    test_generation_lookup,
    test_key_and_auth_key_alias,
    test_legacy_completions,
    test_no_auth_is_401_before_body,
    test_stream_framing,
    test_tool_calls_stream_as_fragments,
    test_unknown_path_and_wrong_method,
)
from tests.test_key_management import (  # noqa: F401 - collected again over the shared store
    test_create_shows_the_secret_once_and_the_key_infers_at_once,
    test_patch_disable_then_delete,
    test_secrets_are_deterministic_and_never_reused,
)
from tests.test_model_endpoints import test_generation_content_is_what_was_asked_and_answered  # noqa: F401

pytestmark = pytest.mark.socket  # a redis-server (tests/conftest.py's redis_url) behind every test


@pytest.fixture(scope="module")
def world() -> World:
    return load_for(Settings())


@pytest.fixture
def mock(settings: Settings, world: World, redis_url: str) -> Iterator[Mock]:
    """Overrides conftest's in-memory mock: the tests imported above run over the shared store."""
    m = shared_mock(settings.with_(redis=redis_url), world, fresh=True)
    yield m
    assert isinstance(m.state, RedisState)
    m.state.store.close()


@pytest.fixture
def pair(world: World, redis_url: str) -> Iterator[tuple[RedisState, RedisState]]:
    """Two workers' states over one store, started afresh."""
    stores = [Store(redis_url), Store(redis_url)]
    a = RedisState(world, stores[0], generations_size=3, fresh=True)
    b = RedisState(world, stores[1], generations_size=3)
    yield a, b
    for store in stores:
        store.close()


def test_debits_add_up_exactly_across_workers(pair):
    a, b = pair
    costs = [round(0.000123456789 * (i % 7 + 1) + 1e-12 * i, 12) for i in range(400)]  # quantized, as costs are
    for i, cost in enumerate(costs):
        state = (a, b)[i % 2]
        state.charge(state.key_state(KEY), cost, byok_cost=round(cost / 2, 12) if i % 5 == 0 else 0.0)
    expected = sum(Decimal(str(c)) for c in costs)
    ks = b.key_state(KEY)
    assert Decimal(str(ks.usage)) == expected
    assert Decimal(str(ks.account.usage)) == expected
    assert Decimal(str(round(10 - ks.account.balance, 12))) == expected
    assert ks.usage_since(86_400, time.time()) == ks.usage
    assert Decimal(str(ks.byok_usage)) == sum(Decimal(str(round(c / 2, 12))) for c in costs[::5])


def test_credits_keys_and_byok_are_shared(pair):
    a, b = pair
    assert not b.known_key(KEY)
    a.key_state(KEY)
    assert b.known_key(KEY)
    account = a.key_state(KEY).account.id
    a.set_credits(account, credits=2.5, usage=1.25)
    from mockrouter.world import ByokKey

    a.set_byok(account, {"openai": ByokKey("valid", True)})
    seen = b.account(account)
    assert seen is not None and (seen.credits, seen.usage, seen.balance) == (2.5, 1.25, 1.25)
    assert seen.byok["openai"] == ByokKey("valid", True)
    b.update_key(KEY, limit=3.0, disabled=True)
    ks = a.key_state(KEY)
    assert ks.key.limit == 3.0 and ks.key.disabled and ks.limit_remaining == 3.0
    assert [x.id for x in b.all_accounts()] == [account]
    assert b.account("acct-nobody") is None
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        a.update_key(KEY, colour="blue")


def test_no_full_key_is_written_to_the_store(pair, redis_url):
    a, b = pair
    a.charge(a.key_state(KEY), 0.5)
    b.update_key(KEY, limit=9.0)
    client = a.store.client
    blob = b"".join(name + json.dumps(repr(client.dump(name))).encode() for name in client.scan_iter("mockrouter:*"))
    assert KEY.encode() not in blob and KEY[:20].encode() not in blob


def test_free_model_windows_are_shared(pair):
    a, b = pair
    now = time.time()
    account_a, account_b = a.key_state(KEY).account, b.key_state(KEY).account
    results = [(a, b)[i % 2].free_request((account_a, account_b)[i % 2], 20, 50, now + i * 0.01) for i in range(20)]
    assert results == [None] * 20
    assert a.free_request(account_a, 20, 50, now + 1) == ("min", 20)
    assert b.free_request(account_b, 20, 50, now + 2) == ("min", 20)
    assert b.free_request(account_b, 20, 50, now + 61) is None  # the minute has passed
    assert len(a.key_state(KEY).account.free_day) == 21  # what GET /key counts


def test_times_limited_faults_fire_exactly_n_times(pair):
    a, b = pair
    fault = Fault(status=429, times=3, id="three")
    fired = [(a, b)[i % 2].take_fault(fault) for i in range(10)]
    assert fired.count(True) == 3 and fired[:3] == [True, True, True]
    assert a.fault_hit_count("three") == 3
    assert a.take_fault(Fault(status=500))  # no `times`: always fires, counted nowhere


def test_runtime_changes_reach_the_other_worker_at_its_next_request(pair, world):
    a, b = pair
    from mockrouter.fixtures import stubs_from

    (built,) = stubs_from([{"name": "s1", "match": {"message": "^x$", "headers": {"x-a": "b"}},
                            "respond": {"content": "one"}, "scenario": {"name": "flow", "requires": "started", "sets": "next"}}],
                          world)  # fmt: skip
    a.add_stubs([built])
    a.add_fault(Fault(status=502, id="f"))
    a.update_settings(seed=42, time_scale=0.5, down={"openai"})
    b.begin()
    assert b.stubs() == [built] and b.faults() == [Fault(status=502, id="f")]
    assert (b.seed, b.time_scale, b.down) == (42, 0.5, {"openai"})
    b.stub_hit(b.stubs()[0])
    b.store.flush()
    a.begin()
    assert a.scenario_state("flow") == "next" and a.stub_hit_counts() == {"s1": 1}
    assert b.remove_stubs("s1") == 1 and b.remove_stubs("s1") == 0
    b.set_scenario("other", "x")
    a.begin()
    assert a.stubs() == [] and a.scenario_states() == {"flow": "next", "other": "x"}
    a.reset_scenarios("flow")
    b.begin()
    assert b.scenario_states() == {"other": "x"}
    b.reset()
    a.begin()
    assert (a.seed, a.time_scale, a.down, a.faults(), a.scenario_states()) == (0, 1.0, set(), [], {})
    assert a.snapshot(a.key_state(KEY).account).elapsed_s < 5


def test_generations_are_shared_and_bounded(pair):
    a, b = pair
    for i in range(5):
        a.remember(f"gen-{i}", {"id": f"gen-{i}", "total_cost": 0.1 * i, "cancelled": False})
    b.update_generation("gen-4", cancelled=True, finish_reason="error")
    b.update_generation("gen-0", cancelled=True)  # already dropped: no record comes back from it
    b.store.flush()
    assert [a.generation(f"gen-{i}") is not None for i in range(5)] == [False, False, True, True, True]
    assert b.generation("gen-4") == {"id": "gen-4", "total_cost": 0.4, "cancelled": True, "finish_reason": "error"}
    assert b.generation("gen-0") is None


def test_journal_ids_are_unique_and_the_journal_bounded(redis_url):
    stores = [Store(redis_url), Store(redis_url)]
    one, two = RedisJournal(stores[0], size=5), RedisJournal(stores[1], size=5)
    one.clear()
    entries = [(one, two)[i % 2].open("POST", f"/p{i}", {}, {"authorization": f"Bearer {KEY}"}) for i in range(4)]
    assert len({e.id for e in entries}) == 4
    in_flight = list(one)  # in flight: seen by every worker, as they were when they arrived
    assert [(e.path, e.done, e.worker) for e in in_flight] == [
        (f"/p{i}", False, e.worker) for i, e in enumerate(in_flight)
    ]
    assert in_flight[0].worker is not None
    for i, entry in enumerate(entries):
        entry.status = 200
        (one, two)[i % 2].close(entry)
    assert [e.path for e in two] == ["/p0", "/p1", "/p2", "/p3"] and len(one) == 4
    assert KEY not in json.dumps([e.as_dict() for e in one])
    late = one.open("GET", "/late", {}, {})
    two.clear()  # a clear forgets the requests in flight too
    one.close(late)
    assert len(two) == 0 and one.last is None
    for i in range(8):
        two.close(two.open("GET", f"/q{i}", {}, {}))
    assert [e.path for e in one.find()] == [f"/q{i}" for i in range(3, 8)]
    assert one.find(path="/q7", limit=1)[0].worker is not None and one.total >= 13
    for store in stores:
        store.close()


def test_begin_reads_the_callers_key_in_its_round_trip_and_only_the_stub_state_that_matters(pair, world):
    a, b = pair
    from mockrouter.fixtures import stubs_from

    b.key_state(KEY)  # registered: no writes queued from here on
    sent: list[int] = []
    run = b.store.run
    b.store.run = lambda *commands: sent.append(len(commands)) or run(*commands)  # type: ignore[method-assign]
    b.begin(KEY)
    ks = b.key_state(KEY)  # the state begin read: no round trip of its own
    assert len(sent) == 1 and ks.account.balance == 10.0
    a.charge(a.key_state(KEY), 0.25)
    b.begin(KEY)
    time.sleep(0.06)
    assert b.key_state(KEY).usage == 0.25  # a read left unused is not taken later: read again
    assert len(sent) == 3
    (once,) = stubs_from([{"name": "once", "match": {"message": "^x$"}, "respond": {"content": "1"}, "times": 1}], world)
    (plain,) = stubs_from([{"name": "plain", "match": {"message": "^y$"}, "respond": {"content": "2"}}], world)
    a.add_stubs([once, plain])
    b.begin(KEY)
    epoch = b.epoch
    a.stub_hit(plain)  # no stub depends on plain's hits: the memo holds
    a.store.flush()
    b.begin(KEY)
    assert b.epoch == epoch
    a.stub_hit(once)  # `once` is used up on the other worker: outcomes worked out before no longer hold
    a.store.flush()
    b.begin(KEY)
    assert b.epoch > epoch and b.stub_hit_counts()["once"] == 1
    b.begin()  # an admin call reads every count
    assert b.stub_hit_counts() == {"once": 1, "plain": 1}


def test_reads_hold_for_the_event_loops_turn_only(pair):
    import asyncio

    a, b = pair
    b.key_state(KEY)  # registered
    sent: list[int] = []
    run = b.store.run
    b.store.run = lambda *commands: sent.append(len(commands)) or run(*commands)  # type: ignore[method-assign]

    async def turn(requests: int) -> list[tuple[int, float]]:
        seen = []
        for _ in range(requests):
            b.begin(KEY)
            ks = b.key_state(KEY)
            assert b.store.next_entry is not None
            seen.append((b.store.next_entry[0], ks.usage))
            b.charge(ks, 0.5)  # this worker's own debit: the turn's next request sees it
        b.store.post()
        await asyncio.sleep(0)  # the turn ends
        return seen

    async def turns() -> list[list[tuple[int, float]]]:
        first = await turn(3)  # one id reserved, then two more: two reads
        a.charge(a.key_state(KEY), 0.25)  # another worker's, sent: the next turn reads it
        a.store.flush()
        return [first, await turn(3)]  # as many ids as the last turn served: one read

    first, second = asyncio.run(turns())
    assert sent == [6, 6, 6]
    assert [usage for _, usage in first + second] == [0.0, 0.5, 1.0, 1.75, 2.25, 2.75]
    ids = [i for i, _ in first + second]
    assert ids == sorted(set(ids)) and ids[2] - ids[0] == 2 and ids[5] - ids[3] == 2
    b.begin(KEY)  # no event loop: every request reads afresh, one id at a time
    assert b.store.next_entry is not None and b.store.next_entry[0] == ids[-1] + 1


def test_a_key_created_on_one_worker_works_and_dies_on_the_other(pair):
    a, b = pair
    manager = a.key_state("sk-or-v1-" + "m" * 64).account.id
    token = "sk-or-v1-" + "c" * 64
    assert not b.known_key(token)
    a.create_key(Key(key=token, account=manager, name="made-on-a", limit=3.0))
    b.begin(token)
    assert b.known_key(token)
    ks = b.key_state(token)
    assert (ks.key.name, ks.key.limit, ks.account.id) == ("made-on-a", 3.0, manager)
    b.charge(ks, 0.25)
    b.store.flush()
    a.begin(token)
    assert [(k.key.key, k.usage) for k in a.account_keys(manager)] == [(token, 0.25)]
    b.delete_key(token)
    a.begin(token)
    assert a.key_state(token).key.deleted and a.account_keys(manager) == []
