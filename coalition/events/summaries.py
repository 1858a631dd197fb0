"""Short answers about events for the home page and organizers' lists: what is next, once per
series, cancelled dates left out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from coalition.db import utcnow
from coalition.events.models import Event, EventStatus, Occurrence
from coalition.events.queries import CalendarFilters, occurrences_query
from coalition.extensions import db

#: Types that are actions people travel to: the home page leads with these.
ACTION_TYPES = ("march", "rally", "vigil")
#: How many upcoming dates the home page looks through to find the next of each event.
HOME_SCAN = 300


@dataclass
class HomePage:
    #: The next big actions (marches, rallies, vigils, co-sponsored events), soonest first.
    actions: list[Occurrence]
    #: Everything else coming up, one card per event (a series once, with its next date).
    coming: list[Occurrence]


def is_big_action(event: Event) -> bool:
    return event.type.slug in ACTION_TYPES or bool(event.accepted_cosponsors())


def home_page(user, zone: ZoneInfo, *, actions: int = 3, coming: int = 8) -> HomePage:
    """The next date of each listed event that goes ahead, split into big actions and the rest."""
    query = occurrences_query(CalendarFilters(), user=user, zone=zone, after=utcnow()).where(
        Occurrence.is_cancelled.is_(False), Event.status != EventStatus.cancelled
    )
    seen: set[int] = set()
    page = HomePage(actions=[], coming=[])
    for occurrence in db.session.scalars(query.limit(HOME_SCAN)):
        if occurrence.event_id in seen:
            continue
        seen.add(occurrence.event_id)
        if is_big_action(occurrence.event) and len(page.actions) < actions:
            page.actions.append(occurrence)
        elif len(page.coming) < coming:
            page.coming.append(occurrence)
        if len(page.actions) >= actions and len(page.coming) >= coming:
            break
    return page


@dataclass
class DatesSummary:
    #: The next date that goes ahead, or None.
    next: Occurrence | None = None
    #: How many dates still to come are cancelled.
    cancelled: int = 0
    #: How many dates are still to come, cancelled ones included.
    upcoming: int = 0


def dates_summary(events: list[Event], now: datetime | None = None) -> dict[int, DatesSummary]:
    """Per event id: its next date going ahead and its cancelled dates still to come."""
    summaries = {event.id: DatesSummary() for event in events}
    if not summaries:
        return summaries
    rows = db.session.scalars(
        sa.select(Occurrence)
        .where(Occurrence.event_id.in_(summaries), Occurrence.end_at >= (now or utcnow()))
        .order_by(Occurrence.start_at, Occurrence.id)
    )
    for occurrence in rows:
        summary = summaries[occurrence.event_id]
        summary.upcoming += 1
        if occurrence.is_cancelled:
            summary.cancelled += 1
        elif summary.next is None:
            summary.next = occurrence
    return summaries
