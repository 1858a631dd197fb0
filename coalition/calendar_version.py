"""The calendar version: counters that change in the same transaction as anything a feed or a
public page shows, so that a cache can be checked with one indexed read instead of a scan.

Keys (`calendar_versions.key`):

- `PUBLIC` ("public"): events, their dates, texts, types, organizations, co-sponsors.
- `ATTENDANCE` ("attendance"): RSVPs and delegations (seats left, waitlists).
- `user_key(id)` ("user:<id>"): one person's RSVPs, memberships and account (private feeds).
- `EVERY_USER` ("users"): a bulk statement touched RSVPs, memberships or accounts of people
  we cannot name one by one (e.g. the daily purge): every private feed is stale.
- `UPCOMING` ("upcoming"): a date ended, so listings of what is coming changed; raised by the
  worker at that moment (`coalition/events/schedule.py`, which also raises PUBLIC when a hidden
  place is revealed and ATTENDANCE when RSVPs open or close).

Nothing calls `bump` by hand: an `after_flush` listener on every session looks at the new, changed
and deleted rows of those tables and remembers their keys; ORM bulk UPDATE/DELETE statements on them
are seen by a `do_orm_execute` listener. Just before the transaction commits, each remembered key
is raised by one (`INSERT … ON CONFLICT DO UPDATE`, in key order, as the last statements of the
transaction so that the row lock is held only for the commit itself). Plain SQL text is not seen.

Readers: `current(*keys)` returns an opaque token (compare it for equality, never order) in one
primary-key read; `snapshot(*keys)` also gives the latest change time (for Last-Modified). Read
the version *before* the data it guards: data read afterwards is at least as new as the version,
so a cache entry stored under a version is never older than that version. With
`CALENDAR_VERSION_TTL` > 0 a process reuses what it read for that many seconds (its own commits
clear that copy at once; other processes' commits are seen within the TTL); with 0, a request
reads each set of keys once (until it commits a change of its own).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy.orm import Mapped, Session, mapped_column

from coalition.db import UTCDateTime, utcnow
from coalition.extensions import db

PUBLIC = "public"
ATTENDANCE = "attendance"
EVERY_USER = "users"
UPCOMING = "upcoming"

_PENDING = "calendar_version_pending"
#: Versions read by this request (`g`), when there is no per-process copy (TTL 0).
_REQUEST_COPY = "calendar_versions"
_BUMPED = "calendar_version_bumped"

#: Tables whose changes are public: any row change raises PUBLIC.
_PUBLIC_TABLES = frozenset(
    {"events", "event_translations", "occurrences", "event_types", "event_cosponsors",
     "organizations", "event_images", "volunteer_roles", "event_sessions",
     "event_series_settings"}
)  # fmt: skip
_ATTENDANCE_TABLES = frozenset(
    {"rsvps", "delegations", "volunteer_helpers", "volunteer_rides", "session_signups",
     "series_registrations"}
)  # fmt: skip
#: Tables whose rows belong to one person (column `user_id`, or the row is the user).
_PERSONAL_TABLES = frozenset({"rsvps", "memberships", "users"})


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


class CalendarVersion(db.Model):
    """One counter per key, raised by every transaction that changes what the key covers."""

    __tablename__ = "calendar_versions"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: Starts at a random value so that two databases sharing one cache never share a version.
    version: Mapped[int] = mapped_column(sa.BigInteger)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Snapshot:
    #: Opaque; equal tokens mean nothing covered by the keys changed.
    token: str
    #: Latest change of any of the keys (None before the first change).
    changed_at: datetime | None


def snapshot(*keys: str) -> Snapshot:
    """The versions of `keys` (one query, or none within `CALENDAR_VERSION_TTL`)."""
    keys = tuple(sorted(set(keys or (PUBLIC,))))
    ttl = current_app.config.get("CALENDAR_VERSION_TTL", 0)
    local = _local_copy()
    if ttl > 0:
        kept = local.get(keys)
        if kept is not None and time.monotonic() - kept[1] < ttl:
            return kept[0]
    elif has_request_context():  # without a TTL, still one read per request
        kept = g.setdefault(_REQUEST_COPY, {}).get(keys)
        if kept is not None:
            return kept
    rows = db.session.execute(
        sa.select(CalendarVersion.key, CalendarVersion.version, CalendarVersion.changed_at).where(
            CalendarVersion.key.in_(keys)
        )
    ).all()
    found = {key: (version, changed_at) for key, version, changed_at in rows}
    token = ".".join(str(found.get(key, (0, None))[0]) for key in keys)
    changes = [changed for _version, changed in found.values() if changed is not None]
    result = Snapshot(
        token=token, changed_at=max(changes).replace(microsecond=0) if changes else None
    )
    if ttl > 0:
        local[keys] = (result, time.monotonic())
    elif has_request_context():
        g.setdefault(_REQUEST_COPY, {})[keys] = result
    return result


def current(*keys: str) -> str:
    """An opaque token for `keys` (default: PUBLIC) that changes whenever their data changes."""
    return snapshot(*keys).token


def bump(session: Session, *keys: str) -> None:
    """Raise `keys` when `session` commits (for changes the listeners cannot see)."""
    session.info.setdefault(_PENDING, set()).update(keys)


def _local_copy() -> dict:
    return current_app.extensions.setdefault("calendar_version", {})


def _keys_for_row(table: str, obj) -> set[str]:
    keys: set[str] = set()
    if table in _PUBLIC_TABLES:
        keys.add(PUBLIC)
    if table in _ATTENDANCE_TABLES:
        keys.add(ATTENDANCE)
    if table in _PERSONAL_TABLES:
        if table == "users":
            ids = [obj.id]
        else:
            history = sa.inspect(obj).attrs.user_id.history
            ids = [obj.user_id, *history.deleted]
        keys.update(user_key(i) for i in ids if i is not None)
    return keys


#: Rows that belong to one event: a change raises that event's `revision`.
_EVENT_TABLES = frozenset(
    {"events", "event_translations", "occurrences", "event_cosponsors", "event_sessions",
     "event_series_settings"}
)  # fmt: skip


def _before_flush(session: Session, _context, _instances) -> None:
    """Raise `Event.revision` of every event whose row, dates, texts or co-sponsors change."""
    events = {}
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty, *session.deleted):
            table = getattr(obj, "__tablename__", None)
            if table not in _EVENT_TABLES:
                continue
            if obj in session.dirty and not session.is_modified(obj):
                continue
            event = obj if table == "events" else getattr(obj, "event", None)
            if event is not None and event not in session.new and event not in session.deleted:
                events[id(event)] = event
    for event in events.values():
        event.revision = (event.revision or 0) + 1


def _after_flush(session: Session, _context) -> None:
    keys: set[str] = set()
    for obj in (*session.new, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table:
            keys |= _keys_for_row(table, obj)
    for obj in session.dirty:
        table = getattr(obj, "__tablename__", None)
        if table and session.is_modified(obj, include_collections=False):
            keys |= _keys_for_row(table, obj)
    if keys:
        bump(session, *keys)


def _do_orm_execute(state) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is None or name == CalendarVersion.__tablename__:
        return
    keys: set[str] = set()
    if name in _PUBLIC_TABLES:
        keys.add(PUBLIC)
    if name in _ATTENDANCE_TABLES:
        keys.add(ATTENDANCE)
    if name in _PERSONAL_TABLES:
        keys.add(EVERY_USER)
    if keys:
        bump(state.session, *keys)


def upsert_insert(dialect: str):
    """The `insert` with `on_conflict_do_update` of `dialect` (PostgreSQL or SQLite)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the outermost commit writes the versions, once
    session.flush()
    keys = session.info.pop(_PENDING, None)
    if not keys:
        return
    insert = upsert_insert(session.get_bind().dialect.name)
    now = utcnow()
    for key in sorted(keys):
        statement = insert(CalendarVersion).values(
            key=key, version=random.randrange(1, 2**40), changed_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[CalendarVersion.key],
            set_={"version": CalendarVersion.version + 1, "changed_at": now},
        )
        session.execute(statement)
    session.info.setdefault(_BUMPED, set()).update(keys)


def _after_commit(session: Session) -> None:
    if session.info.pop(_BUMPED, None) and has_app_context():
        _local_copy().clear()
        g.pop(_REQUEST_COPY, None)


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction (a savepoint keeps the keys)
        session.info.pop(_PENDING, None)
        session.info.pop(_BUMPED, None)


def _listen() -> None:
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("do_orm_execute", _do_orm_execute),
        ("before_commit", _before_commit),
        ("after_commit", _after_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not sa.event.contains(Session, name, listener):
            sa.event.listen(Session, name, listener)


_listen()
