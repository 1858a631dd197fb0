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
from sqlalchemy.orm import selectinload

from coalition.events.models import Event, EventCosponsor, Occurrence
from coalition.events.queries import CalendarFilters, occurrences_query, visible_events_clause
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
    total: int


def _event_options():
    return (
        selectinload(Event.translations),
        selectinload(Event.type),
        selectinload(Event.host_org),
        selectinload(Event.cosponsors).selectinload(EventCosponsor.org),
    )


def matching_occurrences(filters: CalendarFilters, *, zone: ZoneInfo, now: datetime) -> sa.Select:
    """Publicly listed dates matching `filters`; upcoming ones (not yet ended) unless a start
    date is given."""
    return occurrences_query(filters, zone=zone, after=None if filters.start else now).order_by(
        None
    )


def list_events(
    filters: CalendarFilters, *, zone: ZoneInfo, now: datetime, page: int, per_page: int
) -> EventPage:
    """One page of events having a date that matches, ordered by their first such date that is
    not cancelled (or their first one, when all are)."""
    matching = matching_occurrences(filters, zone=zone, now=now)
    first_start = sa.func.coalesce(
        sa.func.min(sa.case((Occurrence.is_cancelled.is_(False), Occurrence.start_at))),
        sa.func.min(Occurrence.start_at),
    )
    per_event = (
        matching.with_only_columns(
            Occurrence.event_id.label("event_id"), first_start.label("first_start")
        )
        .group_by(Occurrence.event_id)
        .subquery()
    )
    # The total rides along the page (a window over the grouped rows): one pass, not two.
    rows = db.session.execute(
        sa.select(per_event.c.event_id, sa.func.count().over().label("total"))
        .order_by(per_event.c.first_start, per_event.c.event_id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    ids = [row.event_id for row in rows]
    if rows:
        total = rows[0].total
    else:  # past the last page
        total = db.session.scalar(sa.select(sa.func.count()).select_from(per_event)) or 0
    if not ids:
        return EventPage(events=[], occurrences={}, total=total)
    loaded = db.session.scalars(
        sa.select(Event).where(Event.id.in_(ids)).options(*_event_options())
    )
    by_id = {event.id: event for event in loaded}
    occurrences = _first_occurrences(matching, ids, NEXT_OCCURRENCES)
    return EventPage(
        events=[by_id[i] for i in ids if i in by_id], occurrences=occurrences, total=total
    )


def _first_occurrences(matching: sa.Select, ids: list[int], limit: int) -> dict[int, list]:
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
