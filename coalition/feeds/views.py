"""Feed URLs: public, per organization, per event and occurrence, and private per person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from coalition.access import access, public, signed_in
from coalition.auth.models import User
from coalition.core.forms import EmptyForm
from coalition.db import utcnow
from coalition.events.models import (
    Event,
    EventStatus,
    EventVisibility,
    Occurrence,
    is_coalition_member,
)
from coalition.events.queries import FilterError, events_query, parse_filters
from coalition.extensions import db
from coalition.feeds import cache
from coalition.feeds.builder import FeedInfo, build_calendar, single_occurrence_calendar
from coalition.feeds.operations import reset_feed_token
from coalition.orgs.models import Organization, OrgStatus
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.urls import external_url

bp = Blueprint("feeds", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
#: Past events stay in feeds this long; cancelled ones this long after the cancellation.
PAST_WINDOW = timedelta(days=90)
CANCELLED_WINDOW = timedelta(days=30)


def _feed_response(build: Callable[[], bytes], *, private: bool = False) -> Response:
    """Answer 304 or cached bytes when nothing changed; build the feed otherwise."""
    fingerprint, last_modified = cache.data_fingerprint()
    etag = cache.etag_for(fingerprint, request.full_path)
    # A feed that depends on who asks (a token, a session) is never stored by anyone else.
    cache_control = "private, no-store" if private else "public, max-age=900"
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Language"}
    if etag in request.if_none_match or (
        not request.if_none_match
        and last_modified is not None
        and request.if_modified_since is not None
        and last_modified <= request.if_modified_since
    ):
        response = Response(status=304, headers=headers)
        response.set_etag(etag)
        return response
    body = cache.get(etag)
    if body is None:
        body = build()
        cache.put(etag, body)
    response = Response(body, content_type=CONTENT_TYPE, headers=headers)
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    return response


def _bad_filter(exc: FilterError) -> Response:
    return Response(str(exc.args[0]) + "\n", status=400, content_type="text/plain; charset=utf-8")


def _feed_events(query: sa.Select) -> list[Event]:
    now = utcnow()
    recent = sa.select(Occurrence.event_id).where(Occurrence.end_at >= now - PAST_WINDOW)
    query = query.where(
        Event.id.in_(recent),
        sa.or_(
            Event.status != EventStatus.cancelled,
            Event.cancelled_at >= now - CANCELLED_WINDOW,
        ),
    )
    return list(db.session.scalars(query))


def _language():
    return request.args.get("lang") or None


def _calendar(filters, *, user: User | None, name: str, description: str, color=None, url=None):
    include_members = is_coalition_member(user)
    query = events_query(filters, user=user if include_members else None)
    info = FeedInfo(
        name=name,
        description=description,
        language=filters.languages[0] if filters.languages else None,
        color=color,
        url=url,
    )
    return build_calendar(
        _feed_events(query), info, timezone=current_app.config["COALITION_TIMEZONE"]
    )


@bp.route("/calendar.ics")
@access(public)
def calendar():
    """The whole public calendar, with the calendar's filters as query parameters."""
    try:
        filters = parse_filters(request.args)
    except FilterError as exc:
        return _bad_filter(exc)
    name = current_app.config["COALITION_NAME"]
    return _feed_response(
        lambda: _calendar(
            filters,
            user=None,
            name=name,
            description=_("Actions and events of %(name)s", name=name),
            url=external_url("core.index"),
        )
    )


@bp.route("/orgs/<slug>/calendar.ics")
@access(public)
def org_calendar(slug: str):
    """Events an organization hosts or co-sponsors."""
    org = db.session.scalar(
        sa.select(Organization).where(
            Organization.slug == slug, Organization.status == OrgStatus.active
        )
    )
    if org is None:
        abort(404)
    args = request.args.copy()
    args.setlist("org", [slug])
    try:
        filters = parse_filters(args)
    except FilterError as exc:
        return _bad_filter(exc)
    coalition_name = current_app.config["COALITION_NAME"]
    return _feed_response(
        lambda: _calendar(
            filters,
            user=None,
            name=f"{org.name} · {coalition_name}",
            description=_("Events of %(org)s", org=org.name),
            color=org.color,
            url=external_url("orgs.show", slug=org.slug),
        )
    )


def _viewable_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or not event.can_view(current_user):
        abort(404)
    return event


@bp.route("/events/<int:event_id>.ics")
@access(public)
def event(event_id: int):
    """One event with all its dates (an unlisted event too: whoever has the link)."""
    event = _viewable_event(event_id)
    info = FeedInfo(name=event.title, description=event.host_org.name, language=_language())
    zone = current_app.config["COALITION_TIMEZONE"]
    return _feed_response(
        lambda: build_calendar([event], info, timezone=zone), private=_not_public(event)
    )


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>.ics")
@access(public)
def occurrence(event_id: int, occurrence_id: int):
    """One date of a series, as a single event (for "add to my calendar")."""
    event = _viewable_event(event_id)
    occurrence = db.session.get(Occurrence, occurrence_id)
    if occurrence is None or occurrence.event_id != event.id:
        abort(404)
    info = FeedInfo(name=event.title, description=event.host_org.name, language=_language())
    zone = current_app.config["COALITION_TIMEZONE"]
    return _feed_response(
        lambda: single_occurrence_calendar(occurrence, info, timezone=zone),
        private=_not_public(event),
    )


def _not_public(event: Event) -> bool:
    """A draft, members-only or unlisted event: its feed depends on who asks for it."""
    return event.status == EventStatus.draft or event.visibility != EventVisibility.public


def _user_for_token(token: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.feed_token == token))
    if user is None or user.is_disabled:
        abort(404)
    return user


@bp.route("/feeds/<token>/calendar.ics")
@access(public)
def member_calendar(token: str):
    """A person's private feed: the public calendar plus members-only events."""
    user = _user_for_token(token)
    try:
        filters = parse_filters(request.args)
    except FilterError as exc:
        return _bad_filter(exc)
    name = current_app.config["COALITION_NAME"]
    return _feed_response(
        lambda: _calendar(
            filters,
            user=user,
            name=_("%(name)s (members)", name=name),
            description=_("Actions and events of %(name)s, with members-only events", name=name),
        ),
        private=True,
    )


@bp.route("/feeds/<token>/my-events.ics")
@access(public)
def my_events(token: str):
    """The events a person RSVPed to (confirmed or waitlisted), whatever their visibility."""
    user = _user_for_token(token)
    name = current_app.config["COALITION_NAME"]

    def build() -> bytes:
        attending = (
            sa.select(Occurrence.event_id)
            .join(RSVP, RSVP.occurrence_id == Occurrence.id)
            .where(
                RSVP.user_id == user.id,
                RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted]),
            )
        )
        events = list(
            db.session.scalars(
                sa.select(Event)
                .where(Event.id.in_(attending), Event.status != EventStatus.draft)
                .order_by(Event.start_at)
            )
        )
        info = FeedInfo(
            name=_("My events · %(name)s", name=name),
            description=_("The events you RSVPed to"),
        )
        return build_calendar(events, info, timezone=current_app.config["COALITION_TIMEZONE"])

    return _feed_response(build, private=True)


@bp.route("/delegations/<token>/calendar.ics")
@access(public)
def delegation_calendar(token: str):
    """A delegation's date for its lead (the token of the lead's private link)."""
    from coalition.delegations.operations import delegation_for_lead_token
    from coalition.tokens import TokenError

    try:
        delegation = delegation_for_lead_token(token)
    except TokenError:
        abort(404)
    return _delegation_feed(delegation)


@bp.route("/delegations/<int:delegation_id>/<secret>/calendar.ics")
@access(public)
def delegation_member_calendar(delegation_id: int, secret: str):
    """The same for its members, by the delegation's join secret (it grants nothing else)."""
    from coalition.delegations.operations import delegation_for_join
    from coalition.tokens import TokenError

    try:
        delegation = delegation_for_join(delegation_id, secret)
    except TokenError:
        abort(404)
    return _delegation_feed(delegation)


def _delegation_feed(delegation):
    occurrence = delegation.occurrence
    info = FeedInfo(name=delegation.name, description=occurrence.event.title)
    zone = current_app.config["COALITION_TIMEZONE"]
    return _feed_response(
        lambda: single_occurrence_calendar(occurrence, info, timezone=zone), private=True
    )


@bp.route("/calendar/subscribe")
@access(public)
def subscribe():
    """How to subscribe in Google, Apple and Outlook calendars; the visitor's private links."""
    try:
        filters = parse_filters(request.args)
    except FilterError as exc:
        return _bad_filter(exc)
    feed_url = external_url("feeds.calendar", **filters.to_args().to_dict(flat=False))
    private_url = my_events_url = None
    if current_user.is_authenticated:
        private_url = external_url("feeds.member_calendar", token=current_user.feed_token)
        my_events_url = external_url("feeds.my_events", token=current_user.feed_token)
    return render_template(
        "feeds/subscribe.html",
        feed_url=feed_url,
        private_url=private_url,
        my_events_url=my_events_url,
        form=EmptyForm(),
    )


@bp.route("/account/feed-token/reset", methods=["POST"])
@access(signed_in)
def reset_token():
    """Make a new private feed link; the old one stops working at once."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    reset_feed_token(current_user)
    db.session.commit()
    flash(_("Your private calendar link is new. Subscribe again with it."), "success")
    return redirect(url_for("feeds.subscribe"))
