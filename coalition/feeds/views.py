"""Feed URLs: public, per organization, per event and occurrence, and private per person."""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlencode

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
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from coalition.access import access, public, signed_in
from coalition.auth.models import User
from coalition.calendar_version import ATTENDANCE, EVERY_USER, PUBLIC, user_key
from coalition.core.forms import EmptyForm
from coalition.events.ics import FeedInfo, single_occurrence_calendar
from coalition.events.models import Event, EventStatus, Occurrence, is_coalition_member
from coalition.events.public_views import filter_choices
from coalition.events.queries import (
    CalendarFilters,
    FilterError,
    parse_filters,
)
from coalition.extensions import db
from coalition.feeds.builder import assemble
from coalition.feeds.cache import FeedJob, respond
from coalition.feeds.fragments import EventRef, fragments_for, refs_query
from coalition.feeds.listing import listed_refs
from coalition.feeds.operations import reset_feed_token
from coalition.feeds.subscribe import subscribe_links
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.models import Organization, OrgStatus
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.urls import external_url

bp = Blueprint("feeds", __name__)
bp.add_app_template_global(subscribe_links, "subscribe_links")


@bp.after_request
def _public_feeds_vary_on_encoding_only(response: Response) -> Response:
    """A public feed is the same bytes for everyone (its identity names no person): it varies on
    the encoding only, never on Cookie (a shared cache would keep a copy per visitor), and sets
    no cookie (`core.http.SessionInterface`). A signed-in person's copy is still made private
    (`core.http.private_when_personal`)."""
    if response.headers.get("Cache-Control", "").startswith("public"):
        response.same_for_everyone = True
    return response


def _bad_request(message) -> Response:
    return Response(str(message) + "\n", status=400, content_type="text/plain; charset=utf-8")


def _canonical(filters: CalendarFilters) -> str:
    return urlencode(sorted(filters.to_args().items(multi=True)))


def _text_language(code: str | None) -> str | None:
    """A content language for event texts, from `?lang=` (None: each event's own)."""
    return code or None


@contextmanager
def _feed_locale(language: str | None):
    """Texts of the feed itself (its name) in the URL's language, never the visitor's."""
    languages = current_app.config["LANGUAGES"]
    locale = language if language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        yield


def _calendar_job(filters, *, identity, name, description, user, version_keys, private=False,
                  color=None, url=None) -> FeedJob:  # fmt: skip
    language = _text_language(filters.languages[0] if filters.languages else None)
    refs_cache: list[list[EventRef]] = []

    def refs() -> list[EventRef]:
        if not refs_cache:
            refs_cache.append(listed_refs(filters, user=user))
        return refs_cache[0]

    return FeedJob(
        identity=f"{identity}|{_canonical(filters)}",
        version_keys=version_keys,
        refs=refs,
        info=FeedInfo(name=name, description=description, language=language, color=color, url=url),
        timezone=current_app.config["COALITION_TIMEZONE"],
        language=language,
        private=private,
        adhoc=bool(filters.text or filters.cities or filters.start or filters.end),
    )


def _filters(args) -> CalendarFilters:
    filters = parse_filters(args)
    return filters


@bp.route("/calendar.ics")
@access(public)
def calendar():
    """The whole public calendar, with the calendar's filters as query parameters."""
    try:
        filters = _filters(request.args)
    except FilterError as exc:
        return _bad_request(exc.args[0])
    name = current_app.config["COALITION_NAME"]
    with _feed_locale(filters.languages[0] if filters.languages else None):
        description = _("Actions and events of %(name)s", name=name)
    job = _calendar_job(
        filters,
        identity="calendar",
        name=name,
        description=description,
        user=None,
        version_keys=(PUBLIC,),
        url=external_url("events.home"),
    )
    return respond(job)


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
        filters = _filters(args)
    except FilterError as exc:
        return _bad_request(exc.args[0])
    coalition_name = current_app.config["COALITION_NAME"]
    with _feed_locale(filters.languages[0] if filters.languages else None):
        description = _("Events of %(org)s", org=org.name)
    job = _calendar_job(
        filters,
        identity="org",
        name=f"{org.name} · {coalition_name}",
        description=description,
        user=None,
        version_keys=(PUBLIC,),
        color=org.color,
        url=external_url("orgs.show", slug=org.slug),
    )
    return respond(job)


def _viewable_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or not event.can_view(current_user):
        abort(404)
    return event


def _lang_arg() -> str | None:
    code = request.args.get("lang") or None
    if code is not None and code not in CONTENT_LANGUAGES:
        abort(_bad_request(_("Unknown language: %(value)s", value=code)))
    return code


@bp.route("/events/<int:event_id>.ics")
@access(public)
def event(event_id: int):
    """One event with all its dates (an unlisted event too: whoever has the link)."""
    event = _viewable_event(event_id)
    language = _lang_arg()
    info = FeedInfo(name=event.title, description=event.host_org.name, language=language)
    ref = db.session.execute(refs_query([Event.id == event.id])).one()
    return respond(
        FeedJob(
            identity=f"event|{event.id}|{language or ''}",
            version_keys=(PUBLIC,),
            refs=lambda: [EventRef(*ref)],
            info=info,
            timezone=event.timezone,
            language=language,
            private=not event.is_public_listing,
        )
    )


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>.ics")
@access(public)
def occurrence(event_id: int, occurrence_id: int):
    """One date of a series, as a single event (for "add to my calendar")."""
    event = _viewable_event(event_id)
    occurrence = db.session.get(Occurrence, occurrence_id)
    if occurrence is None or occurrence.event_id != event.id:
        abort(404)
    language = _lang_arg()
    info = FeedInfo(name=event.title, description=event.host_org.name, language=language)
    zone = event.timezone
    return respond(
        FeedJob(
            identity=f"occurrence|{occurrence.id}|{language or ''}",
            version_keys=(PUBLIC,),
            build=lambda: single_occurrence_calendar(occurrence, info, timezone=zone),
            private=not event.is_public_listing,
        )
    )


def _user_for_token(token: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.feed_token == token))
    if user is None or user.is_disabled:
        abort(404)
    return user


def _private_keys(user: User) -> tuple[str, ...]:
    return (PUBLIC, EVERY_USER, user_key(user.id))


@bp.route("/feeds/<token>/calendar.ics")
@access(public)
def member_calendar(token: str):
    """A person's private feed: the public calendar plus members-only events."""
    user = _user_for_token(token)
    try:
        filters = _filters(request.args)
    except FilterError as exc:
        return _bad_request(exc.args[0])
    name = current_app.config["COALITION_NAME"]
    include_members = is_coalition_member(user)
    with _feed_locale(filters.languages[0] if filters.languages else user.language):
        title = _("%(name)s (members)", name=name)
        description = _("Actions and events of %(name)s, with members-only events", name=name)
    job = _calendar_job(
        filters,
        identity=f"member|{user.id}|{include_members}",
        name=title,
        description=description,
        user=user if include_members else None,
        version_keys=_private_keys(user),
        private=True,
    )
    return respond(job)


@bp.route("/feeds/<token>/my-events.ics")
@access(public)
def my_events(token: str):
    """The events a person RSVPed to (confirmed or waitlisted), whatever their visibility."""
    user = _user_for_token(token)
    name = current_app.config["COALITION_NAME"]
    user_id = user.id

    def refs() -> list[EventRef]:
        attending = (
            sa.select(Occurrence.event_id)
            .join(RSVP, RSVP.occurrence_id == Occurrence.id)
            .where(
                RSVP.user_id == user_id,
                RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted]),
            )
        )
        rows = db.session.execute(
            refs_query([Event.id.in_(attending), Event.status != EventStatus.draft])
        )
        return [EventRef(*row) for row in rows]

    with _feed_locale(user.language):
        info = FeedInfo(
            name=_("My events · %(name)s", name=name),
            description=_("The events you RSVPed to"),
        )
    timezone = current_app.config["COALITION_TIMEZONE"]
    language = user.language

    def build() -> bytes:  # the events, then the person's own sessions (`coalition.sessions`)
        from coalition.sessions.calendar import user_session_components

        body = assemble(fragments_for(refs(), None), info, timezone=timezone)
        extra = b"".join(c.to_ical() for c in user_session_components(user_id, language))
        return body[: -len(b"END:VCALENDAR\r\n")] + extra + b"END:VCALENDAR\r\n"

    return respond(
        FeedJob(
            identity=f"my-events|{user.id}",
            version_keys=_private_keys(user),
            build=build,
            info=info,
            timezone=timezone,
            private=True,
        )
    )


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
    zone = occurrence.event.timezone
    return respond(
        FeedJob(
            identity=f"delegation|{delegation.id}",
            version_keys=(PUBLIC, ATTENDANCE),
            build=lambda: single_occurrence_calendar(occurrence, info, timezone=zone),
            private=True,
        )
    )


@bp.route("/calendar/subscribe")
@access(public)
def subscribe():
    """Build a feed's address from chosen filters (language, town, organization, type) and add
    it to Google, Apple, Outlook.com or Office 365 calendars; the visitor's private links."""
    try:
        filters = parse_filters(request.args)
    except FilterError as exc:
        return _bad_request(exc.args[0])
    # A subscription follows the calendar forward: the dates being looked at are not kept.
    args = filters.to_args()
    args.poplist("from")
    args.poplist("to")
    feed_url = external_url("feeds.calendar", **args.to_dict(flat=False))
    private_url = my_events_url = None
    if current_user.is_authenticated:
        private_url = external_url("feeds.member_calendar", token=current_user.feed_token)
        my_events_url = external_url("feeds.my_events", token=current_user.feed_token)
    return render_template(
        "feeds/subscribe.html",
        feed_url=feed_url,
        private_url=private_url,
        my_events_url=my_events_url,
        filters=filters,
        choices=filter_choices(),
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
