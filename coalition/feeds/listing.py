"""Which events (and, for date-choosing filters, which of their dates) a feed lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from coalition.auth.models import User
from coalition.db import utcnow
from coalition.events.models import Event, EventStatus, Occurrence
from coalition.events.queries import CalendarFilters, occurrences_query, visible_events_clause
from coalition.events.queries import _event_filter_clauses as event_filter_clauses
from coalition.extensions import db
from coalition.feeds.fragments import EventRef, refs_query

#: Past events stay in feeds this long; cancelled ones this long after the cancellation.
PAST_WINDOW = timedelta(days=90)
CANCELLED_WINDOW = timedelta(days=30)
#: Query parameters that choose dates rather than events: the feed keeps only matching dates.
_DATE_FILTERS = ("cities", "start", "end")


def today() -> datetime:
    """Feeds change with the day, not the minute: the window starts at midnight UTC."""
    return datetime.combine(utcnow().date(), datetime.min.time(), tzinfo=UTC)


def window_clauses() -> list:
    midnight = today()
    recent = sa.select(Occurrence.event_id).where(Occurrence.end_at >= midnight - PAST_WINDOW)
    return [
        Event.id.in_(recent),
        sa.or_(
            Event.status != EventStatus.cancelled,
            Event.cancelled_at >= midnight - CANCELLED_WINDOW,
        ),
    ]


def matching_dates(filters: CalendarFilters, user: User | None) -> dict[int, set[int]]:
    """Occurrence ids per event that the calendar shows for date-choosing filters (city, from,
    to): the same query as the site's, so that feed and site keep the same dates."""
    zone = ZoneInfo(current_app.config["COALITION_TIMEZONE"])
    listed = occurrences_query(filters, user=user, zone=zone).subquery()
    rows = db.session.execute(sa.select(listed.c.id, listed.c.event_id))
    dates: dict[int, set[int]] = {}
    for occurrence_id, event_id in rows:
        dates.setdefault(event_id, set()).add(occurrence_id)
    return dates


def listed_refs(filters: CalendarFilters, *, user: User | None) -> list[EventRef]:
    """The events a feed lists (with `user`: members-only ones too, when a member)."""
    where = [
        visible_events_clause(user),
        *event_filter_clauses(filters),
        *window_clauses(),
    ]
    rows = db.session.execute(refs_query(where)).all()
    if not any(getattr(filters, name) for name in _DATE_FILTERS):
        return [EventRef(*row) for row in rows]
    dates = matching_dates(filters, user)
    return [EventRef(*row, only=frozenset(dates[row[0]])) for row in rows if row[0] in dates]


def warm_fragments() -> int:
    """Build the public feed's missing event fragments into the shared store (the worker runs
    this, so that web processes concatenate instead of building); returns how many were built."""
    from coalition.feeds.fragments import fragments_for, missing

    refs = listed_refs(CalendarFilters(), user=None)
    todo = missing(refs, None)
    if todo:
        fragments_for(refs, None)
    return todo
