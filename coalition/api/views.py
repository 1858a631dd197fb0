"""JSON API, public data only: events (with the calendar's filters), organizations, OpenAPI."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import orjson
import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from coalition.access import access, public
from coalition.api import queries
from coalition.api.listing import events_json
from coalition.api.openapi import openapi_document
from coalition.api.serializers import event_detail_json, json_response, org_json
from coalition.calendar_version import ATTENDANCE, PUBLIC, UPCOMING
from coalition.core.json_api import received
from coalition.core.render_cache import render_cached
from coalition.db import utcnow
from coalition.events.queries import Cursor, FilterError, parse_filters
from coalition.extensions import db, limiter
from coalition.orgs.models import Organization, OrgStatus
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.api_input import parse_rsvp, public_event
from coalition.sessions.api import sessions_json
from coalition.sessions.api import sign_up as sign_up_for_session
from coalition.urls import external_url
from coalition.volunteers.api import roles_json as volunteer_roles_json

bp = Blueprint("api", __name__, url_prefix="/api")

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
#: Lists may be cached briefly by browsers and proxies (public data only).
LIST_CACHE_CONTROL = "public, max-age=60"


class BadRequest(ValueError):
    """A query parameter we refuse; the message is for the API's user."""


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error={"status": status, "message": message}), status


def _int_arg(args: MultiDict, name: str, default: int, highest: int | None = None) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (highest is not None and value > highest):
        if highest is None:
            raise BadRequest(_("%(name)s must be a whole number from 1.", name=name))
        raise BadRequest(
            _("%(name)s must be a whole number from 1 to %(n)d.", name=name, n=highest)
        )
    return value


def _listed(response: Response) -> Response:
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return response


@bp.route("/v1/events")
@access(public)
@render_cached(PUBLIC, UPCOMING)
def list_events():
    """Public events having a date in the range (default: not ended yet), with the calendar's
    filters: ?type=&org=&lang=&city= (repeatable), ?from=&to= (dates), ?q=, ?per_page=, and
    ?after= from the `next` link of the previous page.
    The first ?lang= also picks the language of titles and descriptions."""
    try:
        filters = parse_filters(request.args)
        cursor = Cursor.parse(request.args.get("after"))
        per_page = _int_arg(request.args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    except (FilterError, BadRequest) as exc:
        return _error(400, str(exc.args[0]))
    now = utcnow()
    listing = queries.list_events(
        filters,
        zone=ZoneInfo(current_app.config["COALITION_TIMEZONE"]),
        now=now,
        cursor=cursor,
        per_page=per_page,
    )
    language = filters.languages[0] if filters.languages else None
    next_url = None
    if listing.next_cursor is not None:
        args = filters.to_args()
        args["after"], args["per_page"] = str(listing.next_cursor), str(per_page)
        next_url = external_url("api.list_events", **args.to_dict(flat=False))
    events = events_json(listing, language=language, now=now)
    body = b'{"events":[%s],"per_page":%s,"next":%s}' % (
        ",".join(events).encode(),
        orjson.dumps(per_page),
        orjson.dumps(next_url),
    )
    return _listed(Response(body, mimetype="application/json"))


@bp.route("/v1/events/<int:event_id>")
@access(public)
@render_cached(PUBLIC, ATTENDANCE, UPCOMING)
def get_event(event_id: int):
    """One publicly listed event with its upcoming dates (?lang= picks the text); else 404."""
    event = queries.listed_event(event_id)
    if event is None:
        abort(404)
    language = request.args.get("lang") or None
    now = utcnow()
    occurrences = queries.upcoming_occurrences(event, now=now)
    data = event_detail_json(event, occurrences, language=language, now=now)
    data["roles"] = volunteer_roles_json(event, occurrences)
    data["sessions"] = sessions_json(event, occurrences)
    return json_response(data)


@bp.route("/v1/orgs")
@access(public)
@render_cached(PUBLIC)
def list_orgs():
    """The coalition's member organizations."""
    orgs = db.session.scalars(
        sa.select(Organization)
        .where(Organization.status == OrgStatus.active)
        .order_by(sa.func.lower(Organization.name), Organization.id)
    )
    return _listed(jsonify(orgs=[org_json(org) for org in orgs]))


@bp.route("/openapi.json")
@access(public)
def openapi():
    """The OpenAPI 3.1 document describing every endpoint above."""
    return jsonify(openapi_document())


@bp.route("/v1/events/<int:event_id>/rsvps", methods=["POST"])
@access(public)
@limiter.limit("10 per minute;60 per hour")
def create_rsvp(event_id: int):
    """RSVP from a member organization's own website (same rules as the form)."""
    event = public_event(event_id)
    if event is None:
        return _error(404, _("There is nothing at this address."))
    body = request.get_json(silent=True)

    def submit():
        occurrence, data = parse_rsvp(body, event)
        return occurrence, rsvp_ops.submit(occurrence, data)

    def receipt(submission) -> dict:
        occurrence, outcome = submission
        return {
            "occurrence": occurrence.start_at.astimezone(event.zone).isoformat(),
            "name": outcome.receipt.name,
            "party_size": outcome.receipt.party_size,
            "sent_to": outcome.receipt.sent_to,
        }

    return received(submit, receipt, rsvp_ops.RSVPError)


@bp.route("/v1/events/<int:event_id>/sessions/<int:session_id>/signups", methods=["POST"])
@access(public)
@limiter.limit("10 per minute;60 per hour")
def session_signup(event_id: int, session_id: int):
    """RSVP for a date and one of its sessions (`coalition.sessions.api`)."""
    event = public_event(event_id)
    if event is None:
        return _error(404, _("There is nothing at this address."))
    return sign_up_for_session(event, session_id, request.get_json(silent=True))
