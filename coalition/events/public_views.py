"""The public side: home page, calendar, month view, past events, event and occurrence pages."""

from __future__ import annotations

import calendar as calendar_module
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from coalition import calendar_version
from coalition.access import access, public
from coalition.calendar_version import ATTENDANCE, PUBLIC, UPCOMING
from coalition.core.errors import action_refused
from coalition.core.fragments import cached_templates
from coalition.core.render_cache import render_cached
from coalition.db import utcnow
from coalition.events.cards import Card, read_dates, render_cards
from coalition.events.models import Event, EventCosponsor, EventType, Occurrence
from coalition.events.month import month_occurrences, render_cells
from coalition.events.privacy import location_for
from coalition.events.queries import (
    MAX_YEAR,
    MIN_YEAR,
    CalendarFilters,
    Cursor,
    FilterError,
    longest_occurrence,
    occurrences_query,
    parse_filters,
    per_version,
)
from coalition.events.summaries import home_page
from coalition.extensions import db
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.models import Membership, Organization, OrgStatus
from coalition.urls import external_url

bp = Blueprint("events", __name__)

PER_PAGE = 25
#: Dates shown in one day of the month grid; a link lists the rest of that day.
MONTH_PER_DAY = 4


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["COALITION_TIMEZONE"])


def filter_choices() -> dict[str, list[tuple[str, str, str | None]]]:
    """Checkbox options of the filter form: (value, label, language of the label), kept per
    process while the calendar version stays the same."""
    locale = str(get_locale() or "en")
    return per_version("filter_choices", lambda: _read_filter_choices(locale), locale)


def _read_filter_choices(locale: str) -> dict[str, list[tuple[str, str, str | None]]]:
    types = db.session.scalars(
        sa.select(EventType).where(EventType.is_active.is_(True)).order_by(EventType.position)
    )
    orgs = db.session.scalars(
        sa.select(Organization)
        .where(Organization.status == OrgStatus.active)
        .order_by(sa.func.lower(Organization.name))
    )
    return {
        "types": [(t.slug, t.name(locale), None) for t in types],
        "orgs": [(o.slug, o.name, None) for o in orgs],
        "languages": [(code, name, code) for code, name in CONTENT_LANGUAGES.items()],
    }


def _feed_url(filters: CalendarFilters) -> str:
    return external_url("feeds.calendar", **_link_args(filters))


def _link_args(filters: CalendarFilters) -> dict[str, list[str]]:
    """The filters as `url_for` values, repeatable ones kept whole (`**MultiDict` keeps only the
    first value of each name)."""
    return filters.to_args().to_dict(flat=False)


def _by_day(occurrences: list, *, newest_first: bool = False) -> dict:
    """Occurrences grouped by their local date, each in its event's zone.

    Rows come ordered by UTC start, so events in different zones may interleave their local
    dates; each day keeps its rows in order and the days are sorted.
    """
    grouped: dict[date, list] = {}
    for occurrence in occurrences:
        grouped.setdefault(occurrence.local_start.date(), []).append(occurrence)
    return dict(sorted(grouped.items(), reverse=newest_first))


def _cards_by_day(cards: list[Card], *, newest_first: bool = False) -> dict[date, list[Markup]]:
    """The rendered cards of a listing grouped under day headings (`_by_day`)."""
    markup = render_cards(cards, under_day_heading=True)
    rendered = dict(zip((card.id for card in cards), markup, strict=True))
    return {
        day: [rendered[card.id] for card in items]
        for day, items in _by_day(cards, newest_first=newest_first).items()
    }


@dataclass
class Page:
    """One page of a listing read from a keyset cursor: "next" links, no page count."""

    items: list[Card]
    #: `?after=` (or `?before=`) of the next page; None on the last page.
    next_cursor: Cursor | None
    is_first: bool


def _page(filters: CalendarFilters, cursor: Cursor | None, **bounds) -> Page:
    """A page of the listing from `cursor` (`bounds`: `read_dates`'s)."""
    rows = read_dates(
        filters, user=current_user, zone=_zone(), limit=PER_PAGE + 1, cursor=cursor, **bounds
    )
    items = list(rows[:PER_PAGE])
    following = Cursor.of(items[-1]) if len(rows) > PER_PAGE else None
    return Page(items=items, next_cursor=following, is_first=cursor is None)


def _parse_or_none(cursor_name: str = "after"):
    """(filters, cursor, None), or (None, None, a 400 response) for a bad filter or link."""
    try:
        return parse_filters(request.args), Cursor.parse(request.args.get(cursor_name)), None
    except FilterError as exc:
        return None, None, action_refused(str(exc.args[0]), 400)


@bp.route("/")
@access(public)
@render_cached(PUBLIC, UPCOMING)
def home():
    """The home page: the next big actions, what is coming, the member organizations."""
    orgs = [
        OrgLink(*row)
        for row in db.session.execute(
            sa.select(Organization.id, Organization.slug, Organization.name, Organization.city)
            .where(Organization.status == OrgStatus.active)
            .order_by(sa.func.lower(Organization.name))
        )
    ]
    home = home_page(current_user, _zone())
    pieces = cached_templates(
        "home",
        {"join": "events/public/_home_join.html", "orgs": "events/public/_home_orgs.html"},
        orgs=orgs,
    )
    return render_template(
        "events/public/home.html",
        pieces=pieces,
        actions=render_cards(home.actions, series_next=True),
        coming=render_cards(home.coming, series_next=True),
    )


class OrgLink(NamedTuple):
    """An active organization as the home page lists it."""

    id: int
    slug: str
    name: str
    city: str | None


@bp.route("/calendar")
@access(public)
@render_cached(PUBLIC, UPCOMING)
def calendar():
    """Upcoming events grouped by day, with filters, a page at a time."""
    filters, cursor, error = _parse_or_none()
    if error:
        return error
    now = None if filters.start else utcnow()
    page = _page(filters, cursor, after=now, longest=longest_occurrence())
    args = _link_args(filters)
    pieces = cached_templates(
        "calendar-tools",
        {"tools": "events/public/_tools.html", "links": "feeds/_links.html"},
        filters=filters,
        choices=filter_choices(),
        args=args,
        feed_url=_feed_url(filters),
    )
    return render_template(
        "events/public/calendar.html",
        days=_cards_by_day(page.items),
        page=page,
        cursor_name="after",
        pieces=pieces,
        args=args,
    )


@bp.route("/calendar/past")
@access(public)
@render_cached(PUBLIC, UPCOMING)
def past():
    """The archive: past events, newest first."""
    filters, cursor, error = _parse_or_none("before")
    if error:
        return error
    page = _page(filters, cursor, before=utcnow(), descending=True)
    args = _link_args(filters)
    pieces = cached_templates(
        "calendar-tools",
        {"tools": "events/public/_tools.html"},
        filters=filters,
        choices=filter_choices(),
        args=args,
    )
    return render_template(
        "events/public/past.html",
        days=_cards_by_day(page.items, newest_first=True),
        page=page,
        cursor_name="before",
        pieces=pieces,
        args=args,
    )


@bp.route("/calendar/month")
@access(public)
@render_cached(PUBLIC)
def month():
    """A month grid; a list on narrow screens."""
    filters, _cursor, error = _parse_or_none()
    if error:
        return error
    today = utcnow().astimezone(_zone()).date()
    try:
        year = request.args.get("year", today.year, type=int)
        month_number = request.args.get("month", today.month, type=int)
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(year)
        first = date(year, month_number, 1)
    except ValueError:
        return action_refused(_("Choose a valid year and month."), 400)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    days = [first + timedelta(days=n) for n in range(last.day)]
    occurrences, more = month_occurrences(
        filters, user=current_user, zone=_zone(), days=days, per_day=MONTH_PER_DAY
    )
    by_day = _by_day(occurrences)
    weeks = calendar_module.Calendar(firstweekday=6).monthdatescalendar(year, month_number)
    args = _link_args(filters)
    cells = render_cells(weeks, by_day, more, first=first, today=today, args=args)
    pieces = cached_templates(
        "month-tools",
        {
            "head": "events/public/_month_head.html",
            "weekdays": "events/public/_month_weekdays.html",
            "links": "feeds/_links.html",
        },
        first=first,
        previous=(first - timedelta(days=1)).replace(day=1),
        following=last + timedelta(days=1),
        week=weeks[0],
        filters=filters,
        choices=filter_choices(),
        args=args,
        feed_url=_feed_url(filters),
        keep={"year": first.year, "month": first.month},
    )
    return render_template(
        "events/public/month.html",
        weeks=weeks,
        by_day=by_day,
        cells=cells,
        first=first,
        pieces=pieces,
    )


def _viewable(event_id: int) -> Event:
    """The event for the URL with its type, host, texts and co-sponsors (one query), cached for
    the request; 404 when this visitor may not see it (drafts, pending, members-only, suspended
    host)."""
    cached = g.get("public_event")
    if cached is not None and cached.id == event_id:
        return cached
    options = [
        joinedload(Event.translations),
        joinedload(Event.type, innerjoin=True),
        joinedload(Event.host_org, innerjoin=True),
        joinedload(Event.cosponsors).joinedload(EventCosponsor.org, innerjoin=True),
    ]
    if current_user.is_authenticated:
        # Who may manage or see it as a co-sponsor: only this person's memberships of the host
        # and co-sponsors are read, in one query, however many members those have.
        mine = Organization.memberships.and_(Membership.user_id == current_user.id)
        options += [
            joinedload(Event.host_org, innerjoin=True).selectinload(mine),
            joinedload(Event.cosponsors)
            .joinedload(EventCosponsor.org, innerjoin=True)
            .selectinload(mine),
        ]
    event = (
        db.session.scalars(sa.select(Event).where(Event.id == event_id).options(*options))
        .unique()
        .one_or_none()
    )
    if event is None or not event.can_view(current_user):
        abort(404)
    g.public_event = event
    return event


def can_view_event(event_id: int, **_kwargs) -> bool:
    _viewable(event_id)
    return True


#: Next dates listed on an event page.
UPCOMING_LIMIT = 12


def _dates(event: Event, occurrence_id: int | None = None):
    """The event's next dates (those not yet over), its last date (an event page shows it when
    none is left) and, with `occurrence_id`, that date of it: one query. Returns (upcoming,
    last, wanted)."""
    now = utcnow()
    upcoming_ids = (
        sa.select(Occurrence.id)
        .where(Occurrence.event_id == event.id, Occurrence.end_at >= now)
        .order_by(Occurrence.start_at, Occurrence.id)
        .limit(UPCOMING_LIMIT)
    )
    last_id = (
        sa.select(Occurrence.id)
        .where(Occurrence.event_id == event.id)
        .order_by(Occurrence.start_at.desc(), Occurrence.id.desc())
        .limit(1)
    )
    wanted = Occurrence.id == occurrence_id if occurrence_id is not None else sa.false()
    rows = db.session.scalars(
        sa.select(Occurrence)
        .where(
            Occurrence.event_id == event.id,
            sa.or_(
                Occurrence.id.in_(upcoming_ids.scalar_subquery()),
                Occurrence.id == last_id.scalar_subquery(),
                wanted,
            ),
        )
        .order_by(Occurrence.start_at, Occurrence.id)
    ).all()
    upcoming = [row for row in rows if row.end_at >= now][:UPCOMING_LIMIT]
    last = rows[-1] if rows else None
    found = next((row for row in rows if row.id == occurrence_id), None)
    return upcoming, last, found


def _keys(event: Event, occurrence: Occurrence | None, upcoming, single_date: bool) -> dict:
    """What each shared piece of the page shows, as fragment key parts
    (`templates/events/public/show.html`; core/fragments.py adds the language).

    The event's `revision` covers its row, texts, dates, co-sponsors, sessions and series
    settings. Apart from it: the host's and co-sponsors' names and status (their `updated_at`);
    the picture, seats, delegations and helpers (the PUBLIC and ATTENDANCE calendar version);
    the clock (a date that started takes no RSVP; RSVPs open and close)."""
    now = utcnow()
    revision = (event.id, event.revision)
    orgs = (
        event.host_org.updated_at.timestamp(),
        *(c.org.updated_at.timestamp() for c in event.cosponsors),
    )
    version = calendar_version.current(PUBLIC, ATTENDANCE)
    date_id = occurrence.id if occurrence is not None else 0
    clock = (
        occurrence is not None and now >= occurrence.start_at,
        bool(event.rsvp_opens_at and now >= event.rsvp_opens_at),
        bool(event.rsvp_closes_at and now >= event.rsvp_closes_at),
    )
    first = upcoming[0].id if upcoming else 0
    return {
        "event": revision,
        "picture": (event.id, version),
        "preview": (*revision, date_id, single_date, version),
        "date": (*revision, date_id),
        "facts": (*revision, date_id, *orgs),
        "attendance": (*revision, date_id, version, *clock),
        "dates": (*revision, date_id, single_date, first, *orgs),
    }


def _render_event(event: Event, occurrence: Occurrence | None, upcoming, **context):
    # The picture and the link preview come from `reach` (its template globals).
    single_date = bool(context.get("single_date"))
    return render_template(
        "events/public/show.html",
        event=event,
        occurrence=occurrence,
        upcoming=upcoming,
        location=location_for(event, occurrence, current_user),
        can_manage=event.can_manage(current_user),
        feed_url=external_url("feeds.event", event_id=event.id),
        keys=_keys(event, occurrence, upcoming, single_date),
        **context,
    )


@bp.route("/events/<int:event_id>")
@access(can_view_event)
@render_cached(PUBLIC, ATTENDANCE, UPCOMING)
def show(event_id: int):
    """Everything about an event; for a series, its next dates."""
    event = _viewable(event_id)
    upcoming, last, _found = _dates(event)
    # A series is shown by its next date that goes ahead: one cancelled date is not the series.
    going_ahead = [occ for occ in upcoming if not occ.is_cancelled]
    featured = (going_ahead or upcoming or [last])[0]
    return _render_event(event, featured, upcoming)


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>")
@access(can_view_event)
@render_cached(PUBLIC, ATTENDANCE)
def occurrence(event_id: int, occurrence_id: int):
    """One date's own page (its own time, place and note when changed)."""
    event = _viewable(event_id)
    upcoming, _last, occurrence = _dates(event, occurrence_id)
    if occurrence is None:
        abort(404)
    return _render_event(
        event, occurrence, upcoming if event.is_recurring else [], single_date=True
    )


def upcoming_for_home(limit: int = 8) -> list[Occurrence]:
    query = occurrences_query(
        CalendarFilters(),
        user=current_user,
        zone=_zone(),
        after=utcnow(),
        longest=longest_occurrence(),
    )
    return list(db.session.scalars(query.limit(limit)))


@bp.app_template_global("org_upcoming")
def upcoming_for_org(org: Organization, limit: int = 10) -> list[Markup]:
    """The cards of the organization's next dates (its public page, `orgs/show.html`)."""
    filters = CalendarFilters(org_ids=[org.id])
    cards = read_dates(
        filters,
        user=current_user,
        zone=_zone(),
        limit=limit,
        after=utcnow(),
        longest=longest_occurrence(),
    )
    return render_cards(cards)
