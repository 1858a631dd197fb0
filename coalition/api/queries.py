"""The API's reads: listed events and their next dates, in a fixed number of queries.

Everything starts from the calendar's own clauses over materialized occurrence rows
(`first_matching_dates`, `_window`), so the API lists exactly what the calendar shows (same
filters, same visibility rules) and never expands a recurrence rule per request. Each event's
JSON is stored by `api/listing.py`; the events themselves are read only for those not stored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from coalition.events.cards import card_columns
from coalition.events.models import Event, EventCosponsor, Occurrence
from coalition.events.queries import (
    CalendarFilters,
    Cursor,
    _window,
    first_matching_dates,
    longest_occurrence,
    visible_events_clause,
)
from coalition.extensions import db

#: Dates listed with each event of a list.
NEXT_OCCURRENCES = 5
#: Dates listed with one event.
EVENT_OCCURRENCES = 50


@dataclass
class Dated:
    """One date of a listed event as the list's key needs it (no ORM objects)."""

    id: int
    event_id: int
    start_at: datetime
    is_cancelled: bool


@dataclass
class Listed:
    """One event of a page: what names its JSON (`revision` and the change markers of the
    organizations and type it names) and its matching dates."""

    event_id: int
    revision: int
    type_id: int
    host_org_id: int
    cosponsors_changed: datetime | None
    location_visibility: str
    location_reveal_hours: int | None
    dates: list[Dated]


@dataclass
class EventPage:
    events: list[Listed]
    #: Where the next page starts (`?after=`); None on the last page.
    next_cursor: Cursor | None


def _event_options():
    return (
        selectinload(Event.translations),
        joinedload(Event.type, innerjoin=True),
        joinedload(Event.host_org, innerjoin=True),
        selectinload(Event.cosponsors).selectinload(EventCosponsor.org),
    )


def list_events(
    filters: CalendarFilters,
    *,
    zone: ZoneInfo,
    now: datetime,
    cursor: Cursor | None,
    per_page: int,
) -> EventPage:
    """One page of events having a date that matches, ordered by their first such date that is
    not cancelled (or their first one, when all are), from `cursor` on. Two queries: the
    page's events in date order (read in order from an index, one row per event, no count),
    and their next dates with what names each event's JSON (`load_events` reads the events
    themselves, for those whose JSON is not stored)."""
    after = None if filters.start else now
    anchors = first_matching_dates(filters, zone=zone, after=after, longest=longest_occurrence())
    if cursor is not None:
        anchors = anchors.where(cursor.beyond())
    rows = db.session.execute(anchors.limit(per_page + 1)).all()
    following = Cursor(rows[per_page - 1].start_at, rows[per_page - 1].id) if len(rows) > per_page \
        else None  # fmt: skip
    ids = [row.event_id for row in rows[:per_page]]
    if not ids:
        return EventPage(events=[], next_cursor=None)
    # The page's events are listed (the anchors' query saw to it): only their dates' own
    # conditions are left to check (the event's town only for a city filter).
    dates = sa.select(Occurrence).where(
        *_window(Occurrence, filters, zone=zone, after=after, before=None,
                 longest=longest_occurrence())
    )  # fmt: skip
    if filters.cities:
        dates = dates.join(Occurrence.event)
    listed = _first_occurrences(dates, ids)
    return EventPage(events=[listed[i] for i in ids if i in listed], next_cursor=following)


def _first_occurrences(
    matching: sa.Select, ids: list[int], limit: int = NEXT_OCCURRENCES
) -> dict[int, Listed]:
    """The first `limit` matching dates of each event in `ids`, with their events' keys, in
    one query."""
    rank = sa.func.row_number().over(
        partition_by=Occurrence.event_id, order_by=(Occurrence.start_at, Occurrence.id)
    )
    ranked = (
        matching.with_only_columns(Occurrence.id.label("id"), rank.label("rank"))
        .where(Occurrence.event_id.in_(ids))
        .subquery()
    )
    columns = [c for c in card_columns() if c.key in _KEY_COLUMNS]
    rows = db.session.execute(
        sa.select(*columns)
        .join(Occurrence.event)
        .where(Occurrence.id.in_(sa.select(ranked.c.id).where(ranked.c.rank <= limit)))
        .order_by(Occurrence.start_at, Occurrence.id)
    )
    listed: dict[int, Listed] = {}
    for row in rows:
        item = listed.get(row.event_id)
        if item is None:
            item = listed[row.event_id] = Listed(
                event_id=row.event_id,
                revision=row.revision,
                type_id=row.type_id,
                host_org_id=row.host_org_id,
                cosponsors_changed=row.cosponsors_changed,
                location_visibility=row.location_visibility,
                location_reveal_hours=row.location_reveal_hours,
                dates=[],
            )
        item.dates.append(Dated(row.id, row.event_id, row.start_at, row.is_cancelled))
    return listed


_KEY_COLUMNS = frozenset(
    {"id", "event_id", "start_at", "is_cancelled", "revision", "type_id", "host_org_id",
     "cosponsors_changed", "location_visibility", "location_reveal_hours"}
)  # fmt: skip


def load_events(listed: list[Listed]) -> tuple[dict[int, Event], dict[int, list[Occurrence]]]:
    """The events of `listed` with their texts, type, organizations, and their dates, by event
    id (five queries whatever their number)."""
    events = {
        event.id: event
        for event in db.session.scalars(
            sa.select(Event)
            .where(Event.id.in_([item.event_id for item in listed]))
            .options(*_event_options())
        )
    }
    dates: dict[int, list[Occurrence]] = defaultdict(list)
    for occurrence in db.session.scalars(
        sa.select(Occurrence)
        .where(Occurrence.id.in_([d.id for item in listed for d in item.dates]))
        .order_by(Occurrence.start_at, Occurrence.id)
    ):
        dates[occurrence.event_id].append(occurrence)
    return events, dict(dates)


def listed_event(event_id: int) -> Event | None:
    """The event when it is publicly listed (else None: drafts, members-only, unlisted...)."""
    return db.session.scalar(
        sa.select(Event)
        .where(Event.id == event_id, visible_events_clause(include_members=False))
        .options(*_event_options())
    )


def upcoming_occurrences(event: Event, *, now: datetime) -> list[Occurrence]:
    """The event's dates that have not ended yet, at most EVENT_OCCURRENCES."""
    return list(
        db.session.scalars(
            sa.select(Occurrence)
            .where(Occurrence.event_id == event.id, Occurrence.end_at >= now)
            .order_by(Occurrence.start_at, Occurrence.id)
            .limit(EVENT_OCCURRENCES)
        )
    )
