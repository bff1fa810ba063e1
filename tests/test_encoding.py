"""The fast paths of the hot loop say exactly what the slow ones said: orjson with the standard library behind it,
Faker's lorem without Faker per request, a stream's id and time filled in one pass."""

from __future__ import annotations

import json
import random

import pytest

from mockrouter.calls import Spans, json_bytes, run_of
from mockrouter.engine.bodies import decode
from mockrouter.engine.memo import CREATED_MARK, ID_MARK, fill, fill_all
from mockrouter.engine.prose import Lorem, word_pool
from mockrouter.errors import MockRouterError
from mockrouter.seeding import fingerprint
from mockrouter.values import once, value


def _stdlib(doc):
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "backslashreplace")


@pytest.mark.parametrize(
    "doc",
    [
        {"a": "x \ud800 y", "b": [1, 2]},  # a lone surrogate: its JSON escape
        {"big": 2**70, "neg": -(2**63) - 1},  # beyond 64 bits
        {1: "int key"},
        {"t": (1, "é", None, True)},
        {"nested": [[[["deep"]]]] * 3},
    ],
)
def test_json_bytes_matches_the_standard_library(doc):
    assert json_bytes(doc) == _stdlib(doc)


def test_json_bytes_nested_beyond_orjsons_limit():
    doc: list = []
    for _ in range(300):
        doc = [doc]
    assert json_bytes(doc) == _stdlib(doc)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"seed": -9223372036854775809}', -9223372036854775809),
        (b'{"seed": 18446744073709551616}', 18446744073709551616),
        (b'{"seed": 9223372036854775807}', 9223372036854775807),
        (b'{"seed": 0.5}', 0.5),
    ],
)
def test_decode_keeps_integers_beyond_64_bits(raw, value):
    got = decode(raw)["seed"]
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": NaN}', "NaN is not valid JSON"),
        (b'{"a": 1e999}', "1e999 is out of range"),
        (b'{"a": ', "Invalid JSON in request body"),
        (b"[1]", "expected a JSON object"),
    ],
)
def test_decode_refuses_what_it_refused(raw, message):
    with pytest.raises(MockRouterError) as info:
        decode(raw)
    assert message in str(info.value)


def test_decode_lone_surrogate_and_empty_body():
    assert decode(b'{"a": "\\ud800"}') == {"a": "\ud800"}
    assert decode(b"  ") == {}


def test_fingerprint_ignores_key_order_and_takes_what_orjson_refuses():
    assert fingerprint({"a": 1, "b": [2]}) == fingerprint({"b": [2], "a": 1})
    assert fingerprint({"a": "\ud800"}) != fingerprint({"a": "\ud801"})
    assert fingerprint({"n": 2**70}) != fingerprint({"n": 2**70 + 1})


def test_lorem_writes_faker_sentences_deterministically():
    pool = set(word_pool())
    a, b = Lorem(random.Random(7)), Lorem(random.Random(7))
    sentences = [a.sentence(nb_words=10) for _ in range(50)]
    assert sentences == [b.sentence(nb_words=10) for _ in range(50)]
    for s in sentences:
        assert s.endswith(".") and s[0].isupper()
        first, *rest = s[:-1].split()
        assert 5 <= len(rest) <= 13 and set(rest) <= pool and first in {w.title() for w in pool}
    assert len(a.sentence(nb_words=5, variable_nb_words=False)[:-1].split()) == 5
    assert a.sentence(nb_words=0) == ""
    assert set(a.words(20)) <= pool and len(set(sentences)) == 50


@pytest.mark.parametrize(("gen_id", "created"), [("gen-1733456789-abcdefghijABCDEFGHIJ", 1733456789), ("gen-7-x", 7)])
def test_fill_all_is_fill_of_each(gen_id, created):
    events = [f'data: {{"id":"{ID_MARK}","created":{CREATED_MARK},"i":{i}}}\n\n'.encode() for i in range(20)]
    events.append(b"data: [DONE]\n\n")
    expected = [fill(e, gen_id, created) for e in events]
    assert fill_all(events, gen_id, created) == expected
    # laid end to end in one buffer (how prepare keeps a stream): the same events, one replace when lengths hold
    spans = Spans.framed([e[len(b"data: ") : -2] for e in events])
    assert list(spans) == events
    filled = fill_all(spans, gen_id, created)
    assert list(filled) == expected
    assert isinstance(filled, Spans) == (len(gen_id) == len(ID_MARK) and len(str(created)) == len(str(CREATED_MARK)))


def test_spans_index_slice_and_run_like_a_list():
    payloads = [b"a", b"", b'{"x":1}', b"[DONE]"]
    spans = Spans.framed(payloads)
    events = [b"data: " + p + b"\n\n" for p in payloads]
    assert len(spans) == 4 and list(spans) == events and spans == events
    assert spans[-1] == events[-1] and spans[1:3] == events[1:3]
    for i in range(4):
        for end in range(i + 1, 5):
            assert spans.run(i, end) == run_of(events, i, end) == b"".join(events[i:end])
    with pytest.raises(IndexError):
        spans[4]
    assert Spans.framed([]) == [] and len(Spans.framed([])) == 0


def test_once_works_a_value_out_on_first_read_only():
    calls = []

    class Thing:
        @once
        def answer(self) -> int:
            calls.append(1)
            return 42

    thing = Thing()
    assert thing.answer == 42 and thing.answer == 42 and calls == [1]
    assert Thing().answer == 42 and calls == [1, 1]
    assert isinstance(Thing.__dict__["answer"], once)


def test_value_records_hash_and_compare_like_frozen_dataclasses():
    @value
    class Point:
        x: int
        y: int = 0

    assert Point(1, 2) == Point(1, 2) and hash(Point(1, 2)) == hash(Point(1, 2)) and Point(1) != Point(1, 2)
    assert {Point(1, 2): "a"}[Point(1, 2)] == "a"
    assert not hasattr(Point(1), "__dict__")  # slotted


def test_lazy_record_is_made_on_first_read_with_what_was_written_before():
    import pickle
    from collections import ChainMap

    from mockrouter.engine.memo import Lazy, fill_record

    made: list[str] = []

    def template() -> dict:
        made.append("template")
        return {"id": None, "provider_responses": [{"id": None}], "cancelled": False, "_account": "a"}

    record = fill_record(Lazy(template), "gen-1-abc", 1_700_000_000, {"user-agent": "ua"}, {})
    record.update(cancelled=True)  # a stream's finish, before anyone reads the record
    assert made == []
    assert record["cancelled"] is True and record["id"] == "gen-1-abc" and record["user_agent"] == "ua"
    assert record.get("_account") == "a" and made == ["template"]
    assert dict(record)["created_at"].startswith("2023-11-14")
    overlay, shared = pickle.loads(pickle.dumps(record.overlay())), pickle.loads(pickle.dumps(record.template))
    assert type(overlay) is dict and type(shared) is dict
    assert dict(ChainMap(overlay, shared)) == dict(record) and made == ["template"]
    assert list(record) == list(ChainMap(overlay, shared)) and len(record) == len(dict(record))  # the same order
    assert type(pickle.loads(pickle.dumps(record))) is dict
    from mockrouter.state.protocol import LayeredRecord

    layered: LayeredRecord = record  # a shared store pickles its template once, not per record (mypy checks this)
    assert layered.overlay() is record.overlay() and layered.template is record.template
    del record["user_agent"]
    assert "user_agent" not in record and record["id"] == "gen-1-abc"


def test_the_core_fingerprints_a_body_as_generation_does():
    """The core hands its fingerprint to ``generation.generate``: both leave out the same routing keys."""
    from mockrouter.engine import completions, generation

    assert set(completions._ROUTING_KEYS) == generation._IGNORED


def test_draws_are_a_seeded_random_stream_per_purpose() -> None:
    from mockrouter import seeding

    a, b = seeding.rng(7, "fp", "routing"), seeding.rng(7, "fp", "routing")
    assert [a.random() for _ in range(20)] == [b.random() for _ in range(20)]  # past the first block of eight
    others = [seeding.rng(7, "fp", "generation/0"), seeding.rng(8, "fp", "routing"), seeding.rng(7, "fq", "routing")]
    firsts = {round(r.random(), 12) for r in [seeding.rng(7, "fp", "routing"), *others]}
    assert len(firsts) == 4  # purpose, seed and fingerprint each make another stream
    r = seeding.rng(1, "fp", "stats")
    values = [r.random() for _ in range(20_000)]
    assert all(0.0 <= v < 1.0 for v in values)
    assert abs(sum(values) / len(values) - 0.5) < 0.01
    assert sorted({r.randint(1, 6) for _ in range(600)}) == [1, 2, 3, 4, 5, 6]
    assert r.getrandbits(0) == 0 and 0 <= r.getrandbits(7) < 128
    wide = [r.getrandbits(160) for _ in range(50)]
    assert all(0 <= w < 1 << 160 for w in wide) and max(wide).bit_length() > 150
    assert len(r.randbytes(20)) == 20
    deck = list(range(10))
    r.shuffle(deck)
    assert sorted(deck) == list(range(10)) and r.choice("xyz") in "xyz"
    with pytest.raises(TypeError):
        r.seed(3)
    with pytest.raises(ValueError):
        r.getrandbits(-1)
    with pytest.raises(ValueError):
        r.randint(3, 2)
    assert {r.randint(5, 5) for _ in range(5)} == {5} and {r.randrange(3) for _ in range(300)} == {0, 1, 2}
    picks = [r.choice(range(4)) for _ in range(8000)]
    assert all(abs(picks.count(v) - 2000) < 200 for v in range(4))  # even, within 10%


def test_a_run_is_framed_as_its_events_one_by_one() -> None:
    from mockrouter.calls import Run, Spans

    texts = [" one", " two", ' "three"', "", " f\u00fcnf", "\ud800"]  # a quote, an empty piece, non-ASCII, a surrogate
    run = Run.of(b'{"c":', texts, b"}")
    assert run.parts[-1] == b'"\\ud800"' and len(run) == 6  # what orjson refuses: the standard library's escape
    bulk = Spans.framed([b"first", run, Run(b"x", [], b"y"), b"[DONE]"])
    single = Spans.framed([b"first", *run.payloads(), b"[DONE]"])
    assert (bulk.blob, bulk.ends) == (single.blob, single.ends)
    assert list(bulk) == [b"data: first\n\n", *(b"data: " + p + b"\n\n" for p in run.payloads()), b"data: [DONE]\n\n"]
    pieces = (" a", " b", " c", " d")
    assert Run.of(b"[", pieces, b"]").parts is Run.of(b"{", pieces, b"}").parts  # the same pieces: encoded once
    assert Run.of(b"[", list(pieces), b"]").parts == Run.of(b"[", pieces, b"]").parts


def test_a_body_is_searched_for_secrets_cheaply_and_still_redacted() -> None:
    import json

    from mockrouter.engine.bodies import decode
    from mockrouter.state.journal import redact_body

    secret = "sk-or-v1-" + "7" * 64
    prose = {"messages": [{"role": "user", "content": "Which key points matter? A token of thanks. " * 50}]}
    raw = json.dumps(prose).encode()
    assert redact_body(prose, raw) is prose  # no secret name as a key: the body itself, untouched
    for doc in (
        {"API_KEY": secret},  # upper case
        {"provider": {"x-api-key": secret}},  # nested, header spelling
        {"messages": [{"role": "user", "content": json.dumps({"authorization": secret})}]},  # JSON inside a string
    ):
        kept = json.dumps(redact_body(doc, json.dumps(doc).encode()))
        assert secret not in kept and secret[:12] in kept, kept
    big = b'{"n": 123456789012345678901234, "s": "1234567890123456789012"}'
    assert decode(big)["n"] == 123456789012345678901234  # beyond 64 bits: still an exact integer
    assert decode(b'{"n": 1234567890123456789}')["n"] == 1234567890123456789


def test_recent_results_are_kept_for_their_objects_and_bounded() -> None:
    from mockrouter.values import Recent

    recent: Recent[str] = Recent(2)
    a, b = object(), object()
    assert recent.get((id(a), 1), a) is None
    assert recent.put((id(a), 1), "for a", a) == "for a"
    assert recent.get((id(a), 1), a) == "for a"
    assert recent.get((id(a), 1), b) is None  # another object under a's id: not a's result
    recent.put((id(b), 1), "for b", b)
    recent.put(("third",), "full: the first two forgotten")
    assert recent.get((id(a), 1), a) is None and recent.get(("third",)) == "full: the first two forgotten"
