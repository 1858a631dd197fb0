"""What the public sees: the calendar's filters and the queries behind the calendar, API and feeds.

Every listing goes through `visible_events_clause`, so that drafts, members-only and unlisted
events, and events of suspended organizations cannot leak into one listing and not another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, selectinload
from werkzeug.datastructures import MultiDict

from coalition.auth.models import User
from coalition.events.models import (
    CosponsorStatus,
    Event,
    EventCosponsor,
    EventStatus,
    EventTranslation,
    EventType,
    EventVisibility,
    Occurrence,
    is_coalition_member,
)
from coalition.extensions import db
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.models import Organization, OrgStatus

MAX_TEXT = 100


class FilterError(ValueError):
    """An unknown filter value; the message is for the visitor (answer 400)."""


@dataclass
class CalendarFilters:
    types: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    text: str = ""
    #: Resolved ids (filled by `parse_filters`).
    type_ids: list[int] = field(default_factory=list)
    org_ids: list[int] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.types or self.orgs or self.languages or self.cities or self.start
                    or self.end or self.text)  # fmt: skip

    def to_args(self) -> MultiDict:
        """Back to query parameters (for "subscribe to what you see" and pagination links)."""
        args: list[tuple[str, str]] = []
        args += [("type", t) for t in self.types]
        args += [("org", o) for o in self.orgs]
        args += [("lang", lang) for lang in self.languages]
        args += [("city", c) for c in self.cities]
        if self.start:
            args.append(("from", self.start.isoformat()))
        if self.end:
            args.append(("to", self.end.isoformat()))
        if self.text:
            args.append(("q", self.text))
        return MultiDict(args)


#: Dates outside these years are typos (and would overflow date arithmetic).
MIN_YEAR, MAX_YEAR = 1900, 2199


def _date_arg(args: MultiDict, name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise FilterError(_l("%(name)s must be a date like 2026-05-01.", name=name)) from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise FilterError(_l("%(name)s must be a date like 2026-05-01.", name=name))
    return day


def parse_filters(args: MultiDict) -> CalendarFilters:
    """Read `?type=rally&type=march&org=...&lang=es&city=Boston&from=...&to=...&q=...`.

    Unknown types, organizations or languages raise FilterError: a typo must not silently give
    an empty calendar.
    """
    if any("\x00" in value for _name, value in args.items(multi=True)):
        # PostgreSQL refuses NUL in text: answer 400 rather than fail in the query.
        raise FilterError(
            _l("The request could not be understood. Check what you entered and try again.")
        )
    filters = CalendarFilters(
        types=[v for v in args.getlist("type") if v],
        orgs=[v for v in args.getlist("org") if v],
        languages=[v for v in args.getlist("lang") if v],
        cities=[v.strip() for v in args.getlist("city") if v.strip()],
        start=_date_arg(args, "from"),
        end=_date_arg(args, "to"),
        text=(args.get("q") or "").strip(),
    )
    if len(filters.text) > MAX_TEXT:
        raise FilterError(_l("Search for at most %(n)d characters.", n=MAX_TEXT))
    if filters.start and filters.end and filters.end < filters.start:
        raise FilterError(_l("The end date must not be before the start date."))
    unknown_languages = [code for code in filters.languages if code not in CONTENT_LANGUAGES]
    if unknown_languages:
        raise FilterError(_l("Unknown language: %(value)s", value=", ".join(unknown_languages)))
    if filters.types:
        found = dict(
            db.session.execute(
                sa.select(EventType.slug, EventType.id).where(EventType.slug.in_(filters.types))
            ).all()
        )
        unknown = [t for t in filters.types if t not in found]
        if unknown:
            raise FilterError(_l("Unknown event type: %(value)s", value=", ".join(unknown)))
        filters.type_ids = list(found.values())
    if filters.orgs:
        found = dict(
            db.session.execute(
                sa.select(Organization.slug, Organization.id).where(
                    Organization.slug.in_(filters.orgs), Organization.status == OrgStatus.active
                )
            ).all()
        )
        unknown = [o for o in filters.orgs if o not in found]
        if unknown:
            raise FilterError(_l("Unknown organization: %(value)s", value=", ".join(unknown)))
        filters.org_ids = list(found.values())
    return filters


def visible_events_clause(user: User | None = None, *, include_members: bool | None = None):
    """Events anyone may find in listings: published or cancelled, of an active org, public
    (or members-only, for signed-in members of the coalition)."""
    if include_members is None:
        include_members = is_coalition_member(user)
    visibilities = [EventVisibility.public]
    if include_members:
        visibilities.append(EventVisibility.members)
    return sa.and_(
        Event.status.in_([EventStatus.published, EventStatus.cancelled]),
        Event.visibility.in_(visibilities),
        Event.host_org_id.in_(
            sa.select(Organization.id).where(Organization.status == OrgStatus.active)
        ),
    )


def _event_filter_clauses(filters: CalendarFilters) -> list:
    clauses = []
    if filters.type_ids:
        clauses.append(Event.type_id.in_(filters.type_ids))
    if filters.org_ids:
        clauses.append(
            sa.or_(
                Event.host_org_id.in_(filters.org_ids),
                Event.id.in_(
                    sa.select(EventCosponsor.event_id).where(
                        EventCosponsor.org_id.in_(filters.org_ids),
                        EventCosponsor.status == CosponsorStatus.accepted,
                    )
                ),
            )
        )
    if filters.languages:
        spoken = [
            sa.cast(Event.languages, sa.Text).like(f'%"{code}"%') for code in filters.languages
        ]
        clauses.append(
            sa.or_(
                Event.primary_language.in_(filters.languages),
                Event.id.in_(
                    sa.select(EventTranslation.event_id).where(
                        EventTranslation.language.in_(filters.languages)
                    )
                ),
                *spoken,
            )
        )
    if filters.text:
        like = f"%{_escape_like(filters.text.lower())}%"
        clauses.append(
            Event.id.in_(
                sa.select(EventTranslation.event_id).where(
                    sa.or_(
                        sa.func.lower(EventTranslation.title).like(like, escape="\\"),
                        sa.func.lower(EventTranslation.description).like(like, escape="\\"),
                    )
                )
            )
        )
    return clauses


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _day_bounds(
    filters: CalendarFilters, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    start = end = None
    if filters.start:
        start = datetime.combine(filters.start, time(0, 0), tzinfo=zone).astimezone(UTC)
    if filters.end:
        end = datetime.combine(filters.end + timedelta(days=1), time(0, 0), tzinfo=zone)
        end = end.astimezone(UTC)
    return start, end


def occurrences_query(
    filters: CalendarFilters,
    *,
    user: User | None = None,
    zone: ZoneInfo,
    after: datetime | None = None,
    before: datetime | None = None,
    descending: bool = False,
) -> sa.Select:
    """Listed occurrences matching `filters`, with their events loaded (a bounded number of
    queries whatever the number of rows)."""
    query = (
        sa.select(Occurrence)
        .join(Occurrence.event)
        .where(visible_events_clause(user), *_event_filter_clauses(filters))
        .options(
            contains_eager(Occurrence.event).options(
                selectinload(Event.translations),
                selectinload(Event.type),
                selectinload(Event.host_org),
                selectinload(Event.cosponsors).selectinload(EventCosponsor.org),
            )
        )
    )
    if filters.cities:
        # The town is public in every place mode (events/privacy.py): only the place is hidden.
        city = sa.func.lower(sa.func.coalesce(Occurrence.city, Event.city))
        query = query.where(city.in_([c.lower() for c in filters.cities]))
    start, end = _day_bounds(filters, zone)
    # An occurrence is "upcoming" until it ends.
    if after is not None:
        query = query.where(Occurrence.end_at >= after)
    if before is not None:
        query = query.where(Occurrence.start_at < before)
    if start is not None:
        query = query.where(Occurrence.end_at >= start)
    if end is not None:
        query = query.where(Occurrence.start_at < end)
    order = (Occurrence.start_at.desc(), Occurrence.id.desc()) if descending else (
        Occurrence.start_at, Occurrence.id)  # fmt: skip
    return query.order_by(*order)


def events_query(filters: CalendarFilters, *, user: User | None = None) -> sa.Select:
    """Listed events (not occurrences) matching `filters`: what a feed or the API lists."""
    query = sa.select(Event).where(visible_events_clause(user), *_event_filter_clauses(filters))
    if filters.cities:
        query = query.where(sa.func.lower(Event.city).in_([c.lower() for c in filters.cities]))
    return query.options(
        selectinload(Event.translations),
        selectinload(Event.type),
        selectinload(Event.host_org),
        selectinload(Event.occurrences),
        selectinload(Event.cosponsors).selectinload(EventCosponsor.org),
    ).order_by(Event.start_at, Event.id)
