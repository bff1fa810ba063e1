"""A completion, worked out once: what a repeated request replays.

Everything the pipeline decides for a completion is a pure function of the request's bytes, the key, the seed and
the runtime state's ``epoch`` (stubs, faults, scenarios, settings, keys): the plan, the simulated attempts, the
generated choices, usage and cost, and the encoded response. A :class:`Prepared` holds all of it, with the
generation id and ``created`` left as markers in the encoded bytes. What must happen for every request runs in one
place for both paths (``Mock._admit`` with the :class:`Admission`, then ``Mock._deliver``): the key and credit checks,
stub hit counts, free-model windows, the charge, a fresh id and ``created`` spliced in, the generation record and the
journal entry. So a replayed response is byte for byte what the full pipeline would have sent, and a new per-request
check cannot be forgotten on one of the two paths.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockrouter.calls import Spans
from mockrouter.engine.planner import Attempt
from mockrouter.engine.usage import Usage
from mockrouter.kinds import FaultKind, Outcome
from mockrouter.values import keep_recent, value
from mockrouter.world import Endpoint, Stub

__all__ = [
    "Admission",
    "CREATED_MARK",
    "ID_MARK",
    "Lazy",
    "Memo",
    "Prepared",
    "Record",
    "Sightings",
    "fill",
    "fill_all",
    "fill_record",
    "prepared_for",
]

#: stand-ins for the generation id and ``created`` while a response is encoded (unguessable, fixed per process)
ID_MARK = "gen-0000000000-" + secrets.token_hex(10)
CREATED_MARK = 1_000_000_000 + secrets.randbelow(8_000_000_000)
_ID_B = ID_MARK.encode()
_CREATED_B = str(CREATED_MARK).encode()
_UPSTREAM_MARK = f"chatcmpl-{ID_MARK[-20:]}"


def fill(template: bytes, gen_id: str, created: int) -> bytes:
    return template.replace(_ID_B, gen_id.encode()).replace(_CREATED_B, str(created).encode())


def fill_all(templates: Sequence[bytes], gen_id: str, created: int) -> Sequence[bytes]:
    """``fill`` of each template (a stream's events): one ``replace`` over them all when they lie in one buffer
    (:class:`~mockrouter.calls.Spans`) and the id and the time are as long as their markers (always, but for a
    pinned clock), since then every event keeps its length."""
    gid, when = gen_id.encode(), str(created).encode()
    if isinstance(templates, Spans) and len(gid) == len(_ID_B) and len(when) == len(_CREATED_B):
        return Spans(templates.blob.replace(_ID_B, gid).replace(_CREATED_B, when), templates.ends)
    return [t.replace(_ID_B, gid).replace(_CREATED_B, when) for t in templates]


@functools.lru_cache(maxsize=64)
def _iso(created: int) -> str:
    return dt.datetime.fromtimestamp(created, dt.UTC).isoformat()


class Lazy(MutableMapping[str, Any]):
    """A dict made on first read (a generation record's template or overlay: most records are never read); what is
    written before waits for it (a stream's finish); pickled as the dict itself. :meth:`_build` makes the dict
    (``make()``; :class:`Record` lays its own over a template)."""

    __slots__ = ("_doc", "_later", "_make")

    def __init__(self, make: Callable[[], dict[str, Any]] | None) -> None:
        self._make = make
        self._doc: dict[str, Any] | None = None
        self._later: dict[str, Any] | None = None  # made when something is written before the dict

    def _build(self) -> dict[str, Any]:
        assert self._make is not None
        make, self._make = self._make, None
        return make()

    def _built(self) -> dict[str, Any]:
        if self._doc is None:
            doc = self._build()
            if self._later:
                doc.update(self._later)
            self._doc, self._later = doc, None
        return self._doc

    def __getitem__(self, key: str) -> Any:
        return self._built()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if self._doc is not None:
            self._doc[key] = value
        elif self._later is None:
            self._later = {key: value}
        else:
            self._later[key] = value

    def __delitem__(self, key: str) -> None:
        del self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (self._built(),))


def fill_record(
    template: MutableMapping[str, Any], gen_id: str, created: int, headers: Mapping[str, str], body: Mapping[str, Any]
) -> Record:
    """A generation record from its template: the id, the time and the request's own headers laid over it."""
    return Record(template, gen_id, created, headers, body)


class Record(Lazy):
    """A generation record: its ``template`` (shared by the replays, never changed) under the request's own
    :meth:`overlay` (the id, the time and its headers), a :class:`Lazy` made on first read: most records are never
    read. What is written goes to the overlay (before it is made, it waits for it: a stream's finish). One object a
    request; pickled as a plain dict."""

    __slots__ = ("_body", "_created", "_gen_id", "_headers", "template")

    def __init__(
        self,
        template: MutableMapping[str, Any],
        gen_id: str,
        created: int,
        headers: Mapping[str, str],
        body: Mapping[str, Any],
    ) -> None:
        super().__init__(None)
        self.template, self._gen_id, self._created, self._headers, self._body = template, gen_id, created, headers, body

    def _build(self) -> dict[str, Any]:
        return _overlay(self.template, self._gen_id, self._created, self._headers, self._body)

    def overlay(self) -> dict[str, Any]:
        return self._built()

    def __getitem__(self, key: str) -> Any:
        over = self._built()
        return over[key] if key in over else self.template[key]

    def _keys(self) -> dict[str, None]:
        keys = dict.fromkeys(self.template)  # the template's order, then what only the overlay has
        keys.update(dict.fromkeys(self._built()))
        return keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))


def _overlay(
    template: Mapping[str, Any], gen_id: str, created: int, headers: Mapping[str, str], body: Mapping[str, Any]
) -> dict[str, Any]:
    upstream = f"chatcmpl-{gen_id[-20:]}"
    referer = headers.get("http-referer")
    overlay = {
        "id": gen_id,
        "upstream_id": upstream,
        "created_at": _iso(created),
        "provider_responses": [
            {**r, "id": upstream} if r.get("id") == _UPSTREAM_MARK else r for r in template["provider_responses"]
        ],
        "origin": referer or "",
        "http_referer": referer,
        "user_agent": headers.get("user-agent"),
        "app_title": headers.get("x-openrouter-title") or headers.get("x-title"),
        "session_id": body.get("session_id") or headers.get("x-session-id"),
    }
    return overlay


@value
class Admission:
    """What the per-request checks of a completion need: the same values whether it is worked out or replayed."""

    stub: Stub | None  # the stub that matched (its hit is counted per request)
    requested: int  # max_tokens as sent (the 402 of an account already in debt quotes it)
    free: bool = False  # the first attempt is a free variant: free-model windows apply
    wanted: int = 0  # the completion tokens the credit check reserves
    max_cost: float = 0.0  # what the credit checks hold against the balance and the key's limit
    endpoint: Endpoint | None = None  # the first attempt's endpoint (what the 402 says can be afforded)
    prompt_tokens: int = 0
    byok: bool = False


@dataclass(slots=True)
class Prepared:
    """A completion's outcome with the id and ``created`` left open (see the module docstring)."""

    epoch: int
    admission: Admission
    cost: float
    upstream_cost: float
    served_model: str
    provider: str
    usage: dict[str, Any] | None
    record: MutableMapping[
        str, Any
    ]  # generation record template (shared by the replays; :class:`Lazy` when worked out)
    seed: int
    fp: str
    id_header: bool
    facts: dict[str, Any] = field(default_factory=dict)  # what the journal entry records of the request itself
    raw: bytes | None = None  # non-streaming body template
    delay_ms: float = 0.0
    events: Sequence[bytes] = ()  # stream event templates
    delays_ms: list[float] = field(default_factory=list)
    outcome: Outcome | None = None  # set on the journal entry up front (MID_STREAM_ERROR without streaming)
    disconnect: bool = False
    break_after: int | None = None
    break_kind: FaultKind | None = None
    stall_ms: float = 0.0
    error_event: bytes | None = None
    replayable: bool = True
    #: the generation id and ``created`` the documents were written with, for a completion served once (never
    #: kept): nothing to splice in; None: the markers are in (``fill``)
    stamp: tuple[str, int] | None = None


def prepared_for(
    attempt: Attempt,
    usage: Usage,
    block: dict[str, Any],
    record: MutableMapping[str, Any],
    *,
    epoch: int,
    admission: Admission,
    seed: int,
    fp: str,
    id_header: bool,
    **rest: Any,
) -> Prepared:
    """A :class:`Prepared` for what ``attempt`` served: its charge, who served it, its usage block and record."""
    return Prepared(
        epoch=epoch,
        admission=admission,
        cost=usage.cost,
        upstream_cost=usage.upstream_cost or 0.0,
        served_model=attempt.model.id,
        provider=attempt.endpoint.provider_name,
        usage=block,
        record=record,
        seed=seed,
        fp=fp,
        id_header=id_header,
        **rest,
    )


class Sightings:
    """Which keys have been seen before: a cache keeps what a key worked out from its second sighting on, so a
    load where every request differs (an eval run, an agent loop) does not pay for storing, and later evicting,
    what nothing asks for again. Only the keys' hashes are held (``size`` at most, then forgotten all at once); a
    collision only keeps something one sighting early."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._seen: set[int] = set()

    def again(self, key: Hashable) -> bool:
        """Whether ``key`` was seen before (it is seen now)."""
        digest = hash(key)
        if digest in self._seen:
            return True
        if len(self._seen) >= self.size:
            self._seen.clear()
        self._seen.add(digest)
        return False

    def clear(self) -> None:
        self._seen.clear()


class Memo:
    """Bounded map of request key -> :class:`Prepared`, valid while the state's epoch is unchanged; a request's
    outcome is kept from its second sighting on (:class:`Sightings`)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Prepared] = OrderedDict()
        self._sightings = Sightings(4 * size)
        self.hits = 0

    def get(self, key: Hashable, epoch: int) -> Prepared | None:
        found = self._items.get(key)
        if found is None or found.epoch != epoch:
            return None
        self.hits += 1
        return found

    def keeps(self, key: Hashable | None) -> bool:
        """Whether what ``key`` works out now is to be kept (:meth:`put`): it has been seen before (None: a request
        the memo never keeps)."""
        return key is not None and self._sightings.again(key)

    def put(self, key: Hashable, prepared: Prepared) -> None:
        keep_recent(self._items, key, prepared, self.size)

    def clear(self) -> None:
        self._items.clear()
        self._sightings.clear()

    def __len__(self) -> int:
        return len(self._items)
