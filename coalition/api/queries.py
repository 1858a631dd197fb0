"""The API's reads: listed events and their next dates, in a fixed number of queries.

Everything starts from `occurrences_query`, the calendar's own query over materialized occurrence
rows, so the API lists exactly what the calendar shows (same filters, same visibility rules) and
never expands a recurrence rule per request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from coalition.events.models import Event, EventCosponsor, Occurrence
from coalition.events.queries import (
    CalendarFilters,
    Cursor,
    first_matching_dates,
    longest_occurrence,
    occurrences_query,
    visible_events_clause,
)
from coalition.extensions import db

#: Dates listed with each event of a list.
NEXT_OCCURRENCES = 5
#: Dates listed with one event.
EVENT_OCCURRENCES = 50


@dataclass
class EventPage:
    events: list[Event]
    #: Event id → its matching dates in order (at most NEXT_OCCURRENCES).
    occurrences: dict[int, list[Occurrence]]
    #: Where the next page starts (`?after=`); None on the last page.
    next_cursor: Cursor | None


def _event_options():
    return (
        selectinload(Event.translations),
        joinedload(Event.type, innerjoin=True),
        joinedload(Event.host_org, innerjoin=True),
        selectinload(Event.cosponsors).selectinload(EventCosponsor.org),
    )


def matching_occurrences(filters: CalendarFilters, *, zone: ZoneInfo, now: datetime) -> sa.Select:
    """Publicly listed dates matching `filters`; upcoming ones (not yet ended) unless a start
    date is given."""
    return occurrences_query(filters, zone=zone, after=None if filters.start else now).order_by(
        None
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
    not cancelled (or their first one, when all are), from `cursor` on. Three queries: the
    page's events in date order (read in order from an index, one row per event, no count),
    the events, their next dates."""
    after = None if filters.start else now
    anchors = first_matching_dates(filters, zone=zone, after=after, longest=longest_occurrence())
    if cursor is not None:
        anchors = anchors.where(cursor.beyond())
    rows = db.session.execute(anchors.limit(per_page + 1)).all()
    following = Cursor(rows[per_page - 1].start_at, rows[per_page - 1].id) if len(rows) > per_page \
        else None  # fmt: skip
    ids = [row.event_id for row in rows[:per_page]]
    if not ids:
        return EventPage(events=[], occurrences={}, next_cursor=None)
    loaded = db.session.scalars(
        sa.select(Event).where(Event.id.in_(ids)).options(*_event_options())
    )
    by_id = {event.id: event for event in loaded}
    occurrences = _first_occurrences(matching_occurrences(filters, zone=zone, now=now), ids)
    return EventPage(
        events=[by_id[i] for i in ids if i in by_id],
        occurrences=occurrences,
        next_cursor=following,
    )


def _first_occurrences(
    matching: sa.Select, ids: list[int], limit: int = NEXT_OCCURRENCES
) -> dict[int, list]:
    """The first `limit` matching dates of each event in `ids`, in one query."""
    rank = sa.func.row_number().over(
        partition_by=Occurrence.event_id, order_by=(Occurrence.start_at, Occurrence.id)
    )
    ranked = (
        matching.with_only_columns(Occurrence.id.label("id"), rank.label("rank"))
        .where(Occurrence.event_id.in_(ids))
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(Occurrence)
        .where(Occurrence.id.in_(sa.select(ranked.c.id).where(ranked.c.rank <= limit)))
        .order_by(Occurrence.start_at, Occurrence.id)
    )
    grouped: dict[int, list[Occurrence]] = defaultdict(list)
    for occurrence in rows:
        grouped[occurrence.event_id].append(occurrence)
    return dict(grouped)


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
