"""Each event's VEVENT text, cached by (event, revision, organization and type change, language,
dates left out), so that a feed is a concatenation and a never-seen filter combination costs one
query for the list of events and one cache read."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coalition.events.ics import Fragment, fragment
from coalition.events.models import Event, EventType
from coalition.extensions import db
from coalition.feeds.store import get_store
from coalition.orgs.models import Organization

#: Events loaded per query when fragments must be built.
CHUNK = 500


@dataclass(frozen=True)
class EventRef:
    """What names an event's fragment, read without loading the event."""

    id: int
    revision: int
    org_changed: datetime | None
    type_changed: datetime | None
    #: Occurrence ids to keep (the others are left out); None: every date.
    only: frozenset[int] | None = None
    #: The start of its store key (`key_prefix`), when the reader formatted it already (the
    #: public listing does, once per calendar version, for every feed cut from it). Only set
    #: when `only` is None.
    prefix: str | None = field(default=None, compare=False, repr=False)


def refs_query(where) -> sa.Select:
    """(id, revision, org change, type change) of the events matching `where`, in feed order."""
    return (
        sa.select(Event.id, Event.revision, Organization.updated_at, EventType.updated_at)
        .join(Organization, Organization.id == Event.host_org_id)
        .join(EventType, EventType.id == Event.type_id)
        .where(*where)
        .order_by(Event.start_at, Event.id)
    )


def _stamp(moment: datetime | None) -> str:
    return "" if moment is None else str(int(moment.timestamp() * 1000))


def _key(ref: EventRef, language: str | None) -> str:
    return keys_for([ref], language)[0]


def keys_for(refs: list[EventRef], language: str | None) -> list[str]:
    """The store keys of the fragments of `refs` (a feed's refs share a few organization and type
    change times: each is formatted once)."""
    stamps: dict[datetime | None, str] = {}
    suffix = f":{language or ''}:"
    try:  # refs cut from the public listing have their prefix (and every date)
        return [ref.prefix + suffix for ref in refs]
    except TypeError:
        pass
    keys = []
    for ref in refs:
        prefix = ref.prefix
        if prefix is None:
            prefix = key_prefix(ref.id, ref.revision, ref.org_changed, ref.type_changed, stamps)
        if ref.only is None:
            keys.append(prefix + suffix)
        else:
            only = hashlib.sha1(",".join(map(str, sorted(ref.only))).encode()).hexdigest()[:16]
            keys.append(prefix + suffix + only)
    return keys


def key_prefix(
    event_id: int,
    revision: int,
    org_changed: datetime | None,
    type_changed: datetime | None,
    stamps: dict[datetime | None, str],
) -> str:
    """`frag:<event>:<revision>:<organization change>:<type change>`, the language-independent
    start of a fragment's key (`stamps`: change times formatted so far, shared by a listing)."""
    org = stamps.get(org_changed)
    if org is None:
        org = stamps[org_changed] = _stamp(org_changed)
    kind = stamps.get(type_changed)
    if kind is None:
        kind = stamps[type_changed] = _stamp(type_changed)
    return f"frag:{event_id}:{revision}:{org}:{kind}"


def _encode(item: Fragment) -> bytes:
    return f"{item.tzid or ''}\n{item.first_year}\n{item.last_year}\n".encode() + item.text


def _decode(raw: bytes) -> Fragment:
    tzid, first, last, text = raw.split(b"\n", 3)
    return Fragment(text, tzid.decode() or None, int(first), int(last))


def missing(
    refs: list[EventRef],
    language: str | None,
    stop_after: int | None = None,
    *,
    keys: list[str] | None = None,
) -> int:
    """How many of the fragments are not cached (to decide whether to build on the request;
    counting may stop once more than `stop_after` are missing). `keys`: `keys_for(refs)`."""
    if keys is None:
        keys = keys_for(refs, language)
    return get_store().count_missing(keys, stop_after)


def fragments_for(
    refs: list[EventRef],
    language: str | None,
    *,
    keys: list[str] | None = None,
    store_partial: bool = True,
) -> list[Fragment]:
    """The fragments of `refs`, in order: from the cache, building (and caching) the missing.
    `keys`: `keys_for(refs, language)`, when already computed. `store_partial=False`: a fragment
    of some dates only (`EventRef.only`, an ad-hoc feed's date range or town) is built but not
    stored, since every new range would store new ones."""
    store = get_store()
    if keys is None:
        keys = keys_for(refs, language)
    found = store.get_decoded(keys, _decode)
    todo = [r for r, item in zip(refs, found, strict=True) if item is None]
    built: dict[str, Fragment] = {}
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        # Another process (the worker, another web worker) may have built some meanwhile.
        chunk_keys = keys_for(chunk, language)
        for key, item in zip(chunk_keys, store.get_decoded(chunk_keys, _decode), strict=True):
            if item is not None:
                built[key] = item
        pairs = [(r, key) for r, key in zip(chunk, chunk_keys, strict=True) if key not in built]
        chunk = [r for r, _ in pairs]
        if not chunk:
            continue
        events = {
            e.id: e
            for e in db.session.scalars(
                sa.select(Event)
                .where(Event.id.in_([r.id for r in chunk]))
                .options(
                    selectinload(Event.translations),
                    selectinload(Event.type),
                    selectinload(Event.host_org),
                    selectinload(Event.occurrences),
                )
            )
        }
        from coalition.sessions.calendar import forget_agendas, prefetch_agendas

        noted = prefetch_agendas([o for e in events.values() for o in e.occurrences])
        fresh = {}
        for n, (ref, key) in enumerate(pairs):
            if n % 20 == 0:
                time.sleep(0)  # let request threads of this process run between events
            event = events.get(ref.id)
            if event is None:
                continue  # deleted since the list was read
            item = fragment(event, language, only=ref.only)
            # A revision read with the list may be older than the event loaded now: cache the
            # text under the revision it was built from.
            if event.revision == ref.revision and (store_partial or ref.only is None):
                fresh[key] = _encode(item)
            built[key] = item
        forget_agendas(noted)
        if fresh:
            store.set_many(fresh)
    if not todo:
        return found
    result = []
    for key, item in zip(keys, found, strict=True):
        if item is not None:
            result.append(item)
        elif key in built:
            result.append(built[key])
    return result
