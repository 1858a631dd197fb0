"""The public side: calendar, month view, past events, event and occurrence pages."""

from __future__ import annotations

import calendar as calendar_module
from collections import OrderedDict
from datetime import date, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from coalition.access import access, public
from coalition.core.errors import action_refused
from coalition.db import utcnow
from coalition.events.models import Event, EventCosponsor, EventType, Occurrence
from coalition.events.privacy import location_for
from coalition.events.queries import CalendarFilters, FilterError, occurrences_query, parse_filters
from coalition.extensions import db
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.models import Organization, OrgStatus
from coalition.urls import external_url

bp = Blueprint("events", __name__)

PER_PAGE = 25


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["COALITION_TIMEZONE"])


def _filter_choices() -> dict:
    return {
        "types": db.session.scalars(
            sa.select(EventType).where(EventType.is_active.is_(True)).order_by(EventType.position)
        ).all(),
        "orgs": db.session.scalars(
            sa.select(Organization)
            .where(Organization.status == OrgStatus.active)
            .order_by(sa.func.lower(Organization.name))
        ).all(),
        "languages": CONTENT_LANGUAGES,
    }


def _feed_url(filters: CalendarFilters) -> str:
    return external_url("feeds.calendar", **filters.to_args().to_dict(flat=False))


def _by_day(occurrences: list[Occurrence]) -> OrderedDict:
    """Occurrences grouped by their local date (each in its event's zone)."""
    grouped: OrderedDict = OrderedDict()
    for day, items in groupby(occurrences, key=lambda o: o.local_start.date()):
        grouped.setdefault(day, []).extend(items)
    return grouped


def _parse_or_none():
    try:
        return parse_filters(request.args), None
    except FilterError as exc:
        return None, action_refused(str(exc.args[0]), 400)


@bp.route("/calendar")
@access(public)
def calendar():
    """Upcoming events grouped by day, with filters and pagination."""
    filters, error = _parse_or_none()
    if error:
        return error
    query = occurrences_query(
        filters, user=current_user, zone=_zone(), after=None if filters.start else utcnow()
    )
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                       error_out=False)  # fmt: skip
    return render_template(
        "events/public/calendar.html",
        days=_by_day(page.items),
        page=page,
        filters=filters,
        choices=_filter_choices(),
        feed_url=_feed_url(filters),
        args=filters.to_args(),
    )


@bp.route("/calendar/past")
@access(public)
def past():
    """The archive: past events, newest first."""
    filters, error = _parse_or_none()
    if error:
        return error
    query = occurrences_query(
        filters, user=current_user, zone=_zone(), before=utcnow(), descending=True
    )
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                       error_out=False)  # fmt: skip
    return render_template(
        "events/public/past.html",
        days=_by_day(page.items),
        page=page,
        filters=filters,
        choices=_filter_choices(),
        args=filters.to_args(),
    )


@bp.route("/calendar/month")
@access(public)
def month():
    """A month grid; a list on narrow screens."""
    filters, error = _parse_or_none()
    if error:
        return error
    today = utcnow().astimezone(_zone()).date()
    try:
        year = request.args.get("year", today.year, type=int)
        month_number = request.args.get("month", today.month, type=int)
        first = date(year, month_number, 1)
    except ValueError:
        return action_refused(_("Choose a valid year and month."), 400)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    month_filters = CalendarFilters(**{**filters.__dict__, "start": first, "end": last})
    occurrences = db.session.scalars(
        occurrences_query(month_filters, user=current_user, zone=_zone()).limit(500)
    ).all()
    by_day = _by_day(occurrences)
    weeks = calendar_module.Calendar(firstweekday=6).monthdatescalendar(year, month_number)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return render_template(
        "events/public/month.html",
        weeks=weeks,
        by_day=by_day,
        first=first,
        previous=previous,
        following=following,
        today=today,
        filters=filters,
        choices=_filter_choices(),
        args=filters.to_args(),
        feed_url=_feed_url(filters),
    )


def _viewable(event_id: int) -> Event:
    event = db.session.scalar(
        sa.select(Event)
        .where(Event.id == event_id)
        .options(
            selectinload(Event.translations),
            selectinload(Event.cosponsors).selectinload(EventCosponsor.org),
        )
    )
    if event is None or not event.can_view(current_user):
        abort(404)
    return event


def can_view_event(event_id: int, **_kwargs) -> bool:
    _viewable(event_id)
    return True


def _upcoming(event: Event, limit: int = 12) -> list[Occurrence]:
    now = utcnow()
    return [o for o in event.occurrences if o.end_at >= now][:limit]


@bp.route("/events/<int:event_id>")
@access(can_view_event)
def show(event_id: int):
    """Everything about an event; for a series, its next dates."""
    event = _viewable(event_id)
    upcoming = _upcoming(event)
    featured = upcoming[0] if upcoming else (event.occurrences[-1] if event.occurrences else None)
    return render_template(
        "events/public/show.html",
        event=event,
        occurrence=featured,
        upcoming=upcoming,
        location=location_for(event, featured, current_user),
        can_manage=event.can_manage(current_user),
        feed_url=external_url("feeds.event", event_id=event.id),
    )


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>")
@access(can_view_event)
def occurrence(event_id: int, occurrence_id: int):
    """One date's own page (its own time, place and note when changed)."""
    event = _viewable(event_id)
    occurrence = db.session.get(Occurrence, occurrence_id)
    if occurrence is None or occurrence.event_id != event.id:
        abort(404)
    return render_template(
        "events/public/show.html",
        event=event,
        occurrence=occurrence,
        upcoming=_upcoming(event) if event.is_recurring else [],
        location=location_for(event, occurrence, current_user),
        can_manage=event.can_manage(current_user),
        feed_url=external_url("feeds.event", event_id=event.id),
        single_date=True,
    )


def upcoming_for_home(limit: int = 8) -> list[Occurrence]:
    query = occurrences_query(CalendarFilters(), user=current_user, zone=_zone(), after=utcnow())
    return list(db.session.scalars(query.limit(limit)))


def upcoming_for_org(org: Organization, limit: int = 10) -> list[Occurrence]:
    filters = CalendarFilters(orgs=[org.slug], org_ids=[org.id])
    query = occurrences_query(filters, user=current_user, zone=_zone(), after=utcnow())
    return list(db.session.scalars(query.limit(limit)))
