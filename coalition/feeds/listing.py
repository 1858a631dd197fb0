"""Which events (and, for date-choosing filters, which of their dates) a feed lists."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from coalition import calendar_version
from coalition.auth.models import User
from coalition.db import utcnow
from coalition.events.models import (
    CosponsorStatus,
    Event,
    EventCosponsor,
    EventStatus,
    Occurrence,
)
from coalition.events.queries import CalendarFilters, occurrences_query, visible_events_clause
from coalition.events.queries import _event_filter_clauses as event_filter_clauses
from coalition.extensions import db
from coalition.feeds.fragments import EventRef, key_prefix, refs_query

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


@dataclass
class PublicListing:
    """Every event the public feed lists, in feed order, with where each one is per type and per
    organization (host or accepted co-sponsor): a never-seen combination of types and
    organizations is then picked out of it without a query."""

    key: str
    refs: list[EventRef]
    #: Positions in `refs` per type id and per organization id.
    by_type: dict[int, list[int]]
    by_org: dict[int, list[int]]
    #: Type id per position.
    type_at: list[int]
    #: Positions per (organization id, type id), ascending.
    by_org_type: dict[tuple[int, int], list[int]]


_LISTING = "coalition.feeds.public_listing"


def public_listing() -> PublicListing:
    """The public feed's listing, read once per calendar version and day in each process (the
    version is read first: a listing kept under a version is never older than it)."""
    key = f"{calendar_version.current(calendar_version.PUBLIC)}|{today().date().isoformat()}"
    kept = current_app.extensions.get(_LISTING)
    if kept is not None and kept.key == key:
        return kept
    query = refs_query([visible_events_clause(None), *window_clauses()]).add_columns(
        Event.type_id, Event.host_org_id
    )
    refs, by_type, by_org, position, stamps = [], {}, {}, {}, {}
    for n, (event_id, revision, org_changed, type_changed, type_id, host_id) in enumerate(
        db.session.execute(query)
    ):
        prefix = key_prefix(event_id, revision, org_changed, type_changed, stamps)
        refs.append(EventRef(event_id, revision, org_changed, type_changed, prefix=prefix))
        by_type.setdefault(type_id, []).append(n)
        by_org.setdefault(host_id, []).append(n)
        position[event_id] = (n, host_id)
    cosponsors = db.session.execute(
        sa.select(EventCosponsor.event_id, EventCosponsor.org_id).where(
            EventCosponsor.status == CosponsorStatus.accepted
        )
    )
    for event_id, org_id in cosponsors:
        n, host_id = position.get(event_id, (None, None))
        if n is not None and org_id != host_id:  # each position once per organization
            by_org.setdefault(org_id, []).append(n)
    type_at = [0] * len(refs)
    for type_id, positions in by_type.items():
        for n in positions:
            type_at[n] = type_id
    by_org_type: dict[tuple[int, int], list[int]] = {}
    for org_id, positions in by_org.items():
        positions.sort()  # co-sponsored events came after the hosts' ones
        for n in positions:
            by_org_type.setdefault((org_id, type_at[n]), []).append(n)
    listing = PublicListing(
        key=key, refs=refs, by_type=by_type, by_org=by_org, type_at=type_at,
        by_org_type=by_org_type,
    )  # fmt: skip
    current_app.extensions[_LISTING] = listing
    return listing


def _picked(listing: PublicListing, filters: CalendarFilters) -> list[EventRef]:
    """The events of `listing` that match the type and organization filters (the same rows as
    `_event_filter_clauses` gives), in feed order."""
    types, orgs = set(filters.type_ids), set(filters.org_ids)
    if orgs and types:
        lists = [listing.by_org_type.get((o, t), ()) for o in orgs for t in types]
    elif orgs:
        lists = [listing.by_org.get(o, ()) for o in orgs]
    elif types:
        lists = [listing.by_type.get(t, ()) for t in types]
    else:
        return list(listing.refs)
    if len(orgs) > 1:  # an event may be one organization's and another's co-sponsored
        positions = sorted(set().union(*lists))
    elif len(lists) == 1:
        positions = lists[0]
    else:  # ascending lists that share no position: sorting their concatenation merges them
        positions = sorted(itertools.chain.from_iterable(lists))
    return list(map(listing.refs.__getitem__, positions))


def listed_refs(filters: CalendarFilters, *, user: User | None) -> list[EventRef]:
    """The events a feed lists (with `user`: members-only ones too, when a member)."""
    if user is None and not (
        filters.languages or filters.cities or filters.start or filters.end or filters.text
    ):
        return _picked(public_listing(), filters)
    return queried_refs(filters, user=user)


def queried_refs(filters: CalendarFilters, *, user: User | None) -> list[EventRef]:
    """`listed_refs` as one query (every filter, members-only events for members)."""
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
