"""The API's reads: listed events and their next dates, in a fixed number of queries.

Everything starts from the calendar's own clauses over materialized occurrence rows
(`first_matching_dates`, `window_clauses`), so the API lists exactly what the calendar shows
(same filters, same visibility rules) and never expands a recurrence rule per request. The two
statements of a list are made once per process for each filter shape, with placeholders for
the request's values (`shaped_statement`). Each event's JSON is stored by `api/listing.py`; the
events themselves are read only for those not stored.
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
    Placeholders,
    event_filter_values,
    first_matching_dates,
    longest_occurrence,
    shaped_statement,
    visible_events_clause,
    window_clauses,
    window_values,
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
    window = window_values(filters, zone=zone, after=after, before=None,
                           longest=longest_occurrence())  # fmt: skip
    values = {**event_filter_values(filters), **window, "limit": per_page + 1}
    if cursor is not None:
        values.update(c_start=cursor.start_at, c_id=cursor.id)
    anchors = shaped_statement("anchors", values, first_matching_dates)
    rows = db.session.execute(anchors, values).all()
    following = Cursor(rows[per_page - 1].start_at, rows[per_page - 1].id) if len(rows) > per_page \
        else None  # fmt: skip
    ids = [row.event_id for row in rows[:per_page]]
    if not ids:
        return EventPage(events=[], next_cursor=None)
    listed = _first_occurrences(window, ids)
    return EventPage(events=[listed[i] for i in ids if i in listed], next_cursor=following)


def _first_occurrences(
    window: dict, ids: list[int], limit: int = NEXT_OCCURRENCES
) -> dict[int, Listed]:
    """The first `limit` dates of each event in `ids` matching `window` (`window_values`: the
    page's events are listed, only their dates' own conditions are left to check), with their
    events' keys, in one query."""
    values = {**window, "ids": ids, "rank": limit}
    rows = db.session.execute(shaped_statement("dates", values, _dates_statement), values)
    listed: dict[int, Listed] = {}
    for date_id, event_id, start_at, is_cancelled, *keys in rows:
        item = listed.get(event_id)
        if item is None:
            item = listed[event_id] = Listed(event_id, *keys, dates=[])
        item.dates.append(Dated(date_id, event_id, start_at, is_cancelled))
    return listed


def _dates_statement(v: Placeholders) -> sa.Select:
    rank = sa.func.row_number().over(
        partition_by=Occurrence.event_id, order_by=(Occurrence.start_at, Occurrence.id)
    )
    matching = sa.select(Occurrence.id.label("id"), rank.label("rank")).where(
        *window_clauses(Occurrence, v), Occurrence.event_id.in_(v["ids"])
    )
    if "f_cities" in v:  # the event's town
        matching = matching.join(Occurrence.event)
    ranked = matching.subquery()
    columns = {c.key: c for c in card_columns()}
    return (
        sa.select(*(columns[key] for key in _KEY_COLUMNS))
        .join(Occurrence.event)
        .where(
            Occurrence.id.in_(
                sa.select(ranked.c.id).where(ranked.c.rank <= v.typed("rank", sa.Integer))
            )
        )
        .order_by(Occurrence.start_at, Occurrence.id)
    )


#: The columns `_first_occurrences` reads: a date's, then its event's `Listed` fields in order.
_KEY_COLUMNS = ("id", "event_id", "start_at", "is_cancelled", "revision", "type_id",
                "host_org_id", "cosponsors_changed", "location_visibility",
                "location_reveal_hours")  # fmt: skip


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
