"""What the public sees: the calendar's filters and the queries behind the calendar, API and feeds.

Every listing goes through `visible_events_clause`, so that drafts, members-only and unlisted
events, and events of suspended organizations cannot leak into one listing and not another.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload
from werkzeug.datastructures import MultiDict

from coalition import calendar_version
from coalition.auth.models import User
from coalition.db import UTCDateTime
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
    # Each value once: `?type=rally&type=rally` is `?type=rally` (one cache entry, one feed).
    filters = CalendarFilters(
        types=list(dict.fromkeys(v for v in args.getlist("type") if v)),
        orgs=list(dict.fromkeys(v for v in args.getlist("org") if v)),
        languages=list(dict.fromkeys(v for v in args.getlist("lang") if v)),
        cities=list(dict.fromkeys(v.strip() for v in args.getlist("city") if v.strip())),
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
    if filters.types or filters.orgs:
        types, orgs = per_version("filter_slugs", _read_filter_slugs)
        unknown = [t for t in filters.types if t not in types]
        if unknown:
            raise FilterError(_l("Unknown event type: %(value)s", value=", ".join(unknown)))
        filters.type_ids = list(dict.fromkeys(types[t] for t in filters.types))
        unknown = [o for o in filters.orgs if o not in orgs]
        if unknown:
            raise FilterError(_l("Unknown organization: %(value)s", value=", ".join(unknown)))
        filters.org_ids = list(dict.fromkeys(orgs[o] for o in filters.orgs))
    return filters


def _read_filter_slugs() -> tuple[dict[str, int], dict[str, int]]:
    """Ids by slug of every event type and of every active organization (both covered by the
    PUBLIC calendar version, so `per_version` keeps them while nothing changes)."""
    types = dict(db.session.execute(sa.select(EventType.slug, EventType.id)).all())
    orgs = dict(
        db.session.execute(
            sa.select(Organization.slug, Organization.id).where(
                Organization.status == OrgStatus.active
            )
        ).all()
    )
    return types, orgs


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
    """Conditions on the event. Sub-queries are correlated EXISTS, so that a listing read in
    date order probes a few index entries per row instead of hashing every matching row first."""
    return event_filter_clauses(Given(event_filter_values(filters)))


def event_filter_values(filters: CalendarFilters) -> dict[str, Any]:
    """What the conditions on the event compare with, by name: a name only when its condition
    applies (`event_filter_clauses`)."""
    values: dict[str, Any] = {}
    if filters.type_ids:
        values["f_types"] = list(filters.type_ids)
    if filters.org_ids:
        values["f_orgs"] = list(filters.org_ids)
    if filters.languages:
        values["f_languages"] = list(filters.languages)
        for n, code in enumerate(filters.languages):
            values[f"f_spoken_{n}"] = f'%"{code}"%'
    if filters.text:
        values["f_text"] = f"%{_escape_like(filters.text.lower())}%"
    return values


def event_filter_clauses(v: Given | Placeholders) -> list:
    """`_event_filter_clauses` from its values (`event_filter_values`), given or to be given."""
    clauses = []
    if "f_types" in v:
        clauses.append(Event.type_id.in_(v["f_types"]))
    if "f_orgs" in v:
        clauses.append(
            sa.or_(
                Event.host_org_id.in_(v["f_orgs"]),
                sa.exists().where(
                    EventCosponsor.event_id == Event.id,
                    EventCosponsor.org_id.in_(v["f_orgs"]),
                    EventCosponsor.status == CosponsorStatus.accepted,
                ),
            )
        )
    if "f_languages" in v:
        spoken = [
            sa.cast(Event.languages, sa.Text).like(v[f"f_spoken_{n}"])
            for n in itertools.takewhile(lambda n: f"f_spoken_{n}" in v, itertools.count())
        ]
        clauses.append(
            sa.or_(
                Event.primary_language.in_(v["f_languages"]),
                *spoken,
                sa.exists().where(
                    EventTranslation.event_id == Event.id,
                    EventTranslation.language.in_(v["f_languages"]),
                ),
            )
        )
    if "f_text" in v:
        clauses.append(
            sa.exists().where(
                EventTranslation.event_id == Event.id,
                sa.or_(
                    sa.func.lower(EventTranslation.title).like(v["f_text"], escape="\\"),
                    sa.func.lower(EventTranslation.description).like(v["f_text"], escape="\\"),
                ),
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


def longest_occurrence() -> timedelta:
    """The duration of the longest date (one index lookup on `ix_occurrences_duration_*`, kept
    per process while the calendar version stays the same).

    A date that has not ended by a moment started at most this long before it: a listing of
    what is "not over yet" can seek on `start_at` from there instead of reading every past date.
    """
    return per_version("longest_occurrence", _longest_occurrence)


def per_version(name: str, compute, *key):
    """`compute()`, computed once per process for each calendar version (PUBLIC) and `key`: for
    small facts every listing needs (the version is read first, so a value is never older than
    the version it is kept under)."""
    token = (calendar_version.current(calendar_version.PUBLIC), *key)
    memo = current_app.extensions.setdefault(f"per_version:{name}", {})
    if token not in memo:
        value = compute()
        if len(memo) > 16:
            memo.clear()
        memo[token] = value
    return memo[token]


def _longest_occurrence() -> timedelta:
    if db.engine.dialect.name == "postgresql":
        longest = db.session.scalar(
            sa.select(sa.func.max(sa.literal_column("end_at - start_at", sa.Interval))).select_from(
                Occurrence
            )
        )
        return longest or timedelta(0)
    days = db.session.scalar(
        sa.select(
            sa.func.max(sa.literal_column("julianday(end_at) - julianday(start_at)", sa.Float))
        ).select_from(Occurrence)
    )
    # julianday() keeps milliseconds: round the bound up so that it never cuts a date off.
    return timedelta(days=days or 0) + timedelta(seconds=1)


def _window(
    occurrence,
    filters: CalendarFilters,
    *,
    zone: ZoneInfo,
    after: datetime | None,
    before: datetime | None,
    longest: timedelta | None,
) -> list:
    """Conditions on the date itself: its place (for a city filter), the filter's days (a date
    matches a day it overlaps) and "not over by `after`" / "started before `before`"."""
    values = window_values(filters, zone=zone, after=after, before=before, longest=longest)
    return window_clauses(occurrence, Given(values))


def window_values(
    filters: CalendarFilters,
    *,
    zone: ZoneInfo,
    after: datetime | None,
    before: datetime | None,
    longest: timedelta | None,
) -> dict[str, Any]:
    """What the conditions on the date compare with, by name: a name only when its condition
    applies (`window_clauses`)."""
    values: dict[str, Any] = {}
    if filters.cities:
        values["f_cities"] = [c.lower() for c in filters.cities]
    start, end = _day_bounds(filters, zone)
    for name, moment in (("f_after", after), ("f_start", start)):
        if moment is not None:
            values[name] = moment
            if longest is not None:  # the same condition, in a form an index can seek
                values[f"{name}_seek"] = moment - longest
    if before is not None:
        values["f_before"] = before
    if end is not None:
        values["f_end"] = end
    return values


def window_clauses(occurrence, v: Given | Placeholders) -> list:
    """`_window` from its values (`window_values`), given or to be given."""
    clauses = []
    if "f_cities" in v:
        # The town is public in every place mode (events/privacy.py): only the place is hidden.
        city = sa.func.lower(sa.func.coalesce(occurrence.city, Event.city))
        clauses.append(city.in_(v["f_cities"]))
    for name in ("f_after", "f_start"):
        if name in v:
            clauses.append(occurrence.end_at >= v[name])
            if f"{name}_seek" in v:
                clauses.append(occurrence.start_at >= v[f"{name}_seek"])
    if "f_before" in v:
        clauses.append(occurrence.start_at < v["f_before"])
    if "f_end" in v:
        clauses.append(occurrence.start_at < v["f_end"])
    return clauses


#: Statements by their kind and shape (the names of the values they compare with): each is made
#: once per process, with placeholders, and run with each request's values. Made afresh, the
#: statements cost more to build than the database takes to answer them.
_STATEMENTS: dict[tuple, sa.Select] = {}
#: Shapes are few (which filters are given, how many languages); this bounds them anyway.
_MAX_STATEMENTS = 256


def shaped_statement(kind: Hashable, values: dict, make: Callable[[Placeholders], Any]):
    """The statement `make(placeholders)` for values named as `values` are, made once per
    process for each `kind` (which also names what is not a value: who may see what, the
    order) and shape; run it with `session.execute(statement, values)`."""
    key = (kind, frozenset(values))
    statement = _STATEMENTS.get(key)
    if statement is None:
        placeholders = Placeholders(values)
        statement = make(placeholders)
        placeholders.check()
        if len(_STATEMENTS) >= _MAX_STATEMENTS:
            _STATEMENTS.clear()
        _STATEMENTS[key] = statement
    return statement


class Given:
    """The values a statement compares with, as they are: a statement made for one request."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __getitem__(self, name: str):
        return self.values[name]

    def typed(self, name: str, type_):
        return sa.literal(self.values[name], type_)


class Placeholders:
    """Named placeholders for the values a statement compares with: a statement made once for
    every request whose values have the same names (its shape), the values given when it runs
    (`session.execute(statement, values)`). A placeholder has no value of its own: a statement
    run without one fails rather than compare with another request's."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.names = frozenset(values)
        self._lists = frozenset(name for name, value in values.items() if isinstance(value, list))
        self._binds: dict[str, sa.BindParameter] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def __getitem__(self, name: str):
        return self.typed(name, None)

    def typed(self, name: str, type_):
        if name not in self.names:
            raise KeyError(name)
        if name not in self._binds:
            # A list is an IN's items, unless it is one ARRAY value (`unnest` of the month grid).
            expanding = name in self._lists and not isinstance(type_, sa.ARRAY)
            self._binds[name] = sa.bindparam(name, type_=type_, expanding=expanding)
        return self._binds[name]

    def check(self) -> None:
        """Every value has its placeholder (else the shape does not say what the statement
        compares with)."""
        unused = self.names - set(self._binds)
        if unused:
            raise ValueError(f"values with no placeholder: {sorted(unused)}")


@dataclass(frozen=True)
class Cursor:
    """Where a page of a listing ends: the (start, id) of its last date. The next page starts
    strictly after it (keyset paging: no OFFSET, no count of all matching dates)."""

    start_at: datetime
    id: int

    _FORMAT = re.compile(r"^(\d{8}T\d{12})-(\d{1,10})$")
    #: Ids are 32-bit integers in the database.
    _MAX_ID = 2**31 - 1

    def __str__(self) -> str:
        return f"{self.start_at.astimezone(UTC):%Y%m%dT%H%M%S%f}-{self.id}"

    @classmethod
    def of(cls, occurrence: Occurrence) -> Cursor:
        return cls(occurrence.start_at, occurrence.id)

    @classmethod
    def parse(cls, value: str | None) -> Cursor | None:
        """`?after=` (or `?before=`) as given in a "next page" link; FilterError when mangled."""
        if not value:
            return None
        match = cls._FORMAT.match(value.strip())
        try:
            if match is None or int(match.group(2)) > cls._MAX_ID:
                raise ValueError(value)
            moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
        except ValueError as exc:
            raise FilterError(
                _l("This page link is damaged. Start again from the first page.")
            ) from exc
        return cls(moment, int(match.group(2)))

    def beyond(self, occurrence=Occurrence, *, descending: bool = False):
        """The dates after this one in the listing's order."""
        key = sa.tuple_(occurrence.start_at, occurrence.id)
        here = sa.tuple_(sa.literal(self.start_at, UTCDateTime), sa.literal(self.id))
        return key < here if descending else key > here


def occurrences_query(
    filters: CalendarFilters,
    *,
    user: User | None = None,
    zone: ZoneInfo,
    after: datetime | None = None,
    before: datetime | None = None,
    descending: bool = False,
    cursor: Cursor | None = None,
    longest: timedelta | None = None,
) -> sa.Select:
    """Listed occurrences matching `filters`, with their events loaded (a bounded number of
    queries whatever the number of rows), in date order from `cursor` when given.

    Pass `longest` (`longest_occurrence()`) to let the database seek on the start of what is
    not over yet instead of reading the dates before it."""
    query = (
        sa.select(Occurrence)
        .join(Occurrence.event)
        .where(
            visible_events_clause(user),
            *_event_filter_clauses(filters),
            *_window(Occurrence, filters, zone=zone, after=after, before=before, longest=longest),
        )
        .options(
            contains_eager(Occurrence.event).options(
                selectinload(Event.translations),
                joinedload(Event.type, innerjoin=True),
                joinedload(Event.host_org, innerjoin=True),
                selectinload(Event.cosponsors).selectinload(EventCosponsor.org),
            )
        )
    )
    if cursor is not None:
        query = query.where(cursor.beyond(descending=descending))
    order = (Occurrence.start_at.desc(), Occurrence.id.desc()) if descending else (
        Occurrence.start_at, Occurrence.id)  # fmt: skip
    return query.order_by(*order)


def first_matching_dates(v: Given | Placeholders) -> sa.Select:
    """Publicly listed dates matching the filters whose values are `v` (`event_filter_values`
    and `window_values`), from the cursor (`c_start`, `c_id`) when given, that are their
    event's first such date not cancelled (or, when all its matching dates are cancelled, its
    first one): each listed event once, in date order, found by reading dates in order rather
    than grouping all of them. At most `limit` rows."""
    earlier = aliased(Occurrence)
    window = window_clauses(earlier, v)
    same_event = [earlier.event_id == Occurrence.event_id, *window]
    this = sa.tuple_(Occurrence.start_at, Occurrence.id)
    before_this = sa.tuple_(earlier.start_at, earlier.id) < this
    after_this = sa.tuple_(earlier.start_at, earlier.id) > this
    live = earlier.is_cancelled.is_(False)
    # Each EXISTS compares with this row's (start, id), so the database probes the event's
    # dates by index for the few rows it reads instead of hashing every date first.
    anchor = sa.or_(
        sa.and_(
            Occurrence.is_cancelled.is_(False), ~sa.exists().where(*same_event, live, before_this)
        ),
        sa.and_(
            Occurrence.is_cancelled.is_(True),
            ~sa.exists().where(*same_event, before_this),
            ~sa.exists().where(*same_event, live, after_this),
        ),
    )
    query = (
        sa.select(Occurrence.id, Occurrence.event_id, Occurrence.start_at)
        .join(Occurrence.event)
        .where(
            visible_events_clause(include_members=False),
            *event_filter_clauses(v),
            *window_clauses(Occurrence, v),
            anchor,
        )
    )
    if "c_start" in v:
        query = query.where(
            this > sa.tuple_(v.typed("c_start", UTCDateTime), v.typed("c_id", sa.Integer))
        )
    return query.order_by(Occurrence.start_at, Occurrence.id).limit(v.typed("limit", sa.Integer))


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
