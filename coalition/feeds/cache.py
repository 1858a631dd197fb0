"""Conditional GET and a small in-process cache for feeds.

A feed's ETag is derived from a fingerprint of everything a feed can show (latest change and row
counts of events, occurrences, organizations, types, co-sponsors; the day, since feeds show a
window of time), plus the request's path and query. Any change that affects a feed changes the
fingerprint, so a stale feed is never served; an unchanged one costs one small query and a 304,
or bytes from memory.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import UTC, datetime

import sqlalchemy as sa

from coalition.events.models import Event, EventCosponsor, EventType, Occurrence
from coalition.extensions import db
from coalition.orgs.models import Organization

_MAX_ENTRIES = 128
_lock = threading.Lock()
_bodies: OrderedDict[str, bytes] = OrderedDict()


def data_fingerprint() -> tuple[str, datetime | None]:
    """(fingerprint, last modification) of all feed-visible data, in one query."""
    row = db.session.execute(
        sa.select(
            sa.select(sa.func.max(Event.updated_at)).scalar_subquery(),
            sa.select(sa.func.count(Event.id)).scalar_subquery(),
            sa.select(sa.func.max(Occurrence.updated_at)).scalar_subquery(),
            sa.select(sa.func.count(Occurrence.id)).scalar_subquery(),
            sa.select(sa.func.max(Organization.updated_at)).scalar_subquery(),
            sa.select(sa.func.max(EventType.updated_at)).scalar_subquery(),
            sa.select(sa.func.count(EventCosponsor.id)).scalar_subquery(),
        )
    ).one()
    today = datetime.now(UTC).date().isoformat()
    fingerprint = "|".join(str(value) for value in (*row, today))
    changes = [value for value in (row[0], row[2], row[4], row[5]) if value is not None]
    last_modified = None
    if changes:
        last_modified = max(v if v.tzinfo else v.replace(tzinfo=UTC) for v in changes).replace(
            microsecond=0
        )
    return fingerprint, last_modified


def etag_for(fingerprint: str, key: str) -> str:
    return hashlib.sha256(f"{fingerprint}#{key}".encode()).hexdigest()[:32]


def get(etag: str) -> bytes | None:
    with _lock:
        body = _bodies.get(etag)
        if body is not None:
            _bodies.move_to_end(etag)
        return body


def put(etag: str, body: bytes) -> None:
    with _lock:
        _bodies[etag] = body
        _bodies.move_to_end(etag)
        while len(_bodies) > _MAX_ENTRIES:
            _bodies.popitem(last=False)


def clear() -> None:
    with _lock:
        _bodies.clear()
