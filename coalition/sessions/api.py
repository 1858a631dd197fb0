"""Sessions in the JSON API: `GET /api/v1/events/<id>` lists the sessions of its dates with
spots left; `POST /api/v1/events/<id>/sessions/<session_id>/signups` signs a person up for the
date and that session (the RSVP endpoint's rules: possession, not knowledge)."""

from __future__ import annotations

from flask_babel import gettext as _

from coalition.core.json_api import add_to_event_detail, field_error, received, signup_path
from coalition.events.models import Event, Occurrence
from coalition.extensions import db
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.api_input import parse_rsvp
from coalition.sessions import operations as ops
from coalition.sessions.models import EventSession


def sessions_json(event: Event, occurrences: list[Occurrence]) -> list[dict]:
    """The sessions of `occurrences` (two queries whatever their number)."""
    ids = [o.id for o in occurrences]
    if not ids:
        return []
    sessions = list(
        db.session.scalars(
            db.select(EventSession)
            .where(EventSession.occurrence_id.in_(ids))
            .order_by(EventSession.start_at, EventSession.id)
        )
    )
    left = ops.spots_left_map(sessions)
    return [
        {
            "id": s.id,
            "occurrence_id": s.occurrence_id,
            "title": s.title,
            "description": s.description,
            "start": s.start_at.astimezone(event.zone).isoformat(),
            "end": s.end_at.astimezone(event.zone).isoformat(),
            "room": s.room,
            "languages": list(s.languages or []),
            "has_interpretation": s.has_interpretation,
            "capacity": s.capacity,
            "spots_left": left[s.id],
        }
        for s in sessions
    ]


def sign_up(event: Event, session_id: int, body):
    """The API's session sign-up: 202 with the same receipt whether or not the contact is
    known (a known contact's RSVP is left as it was and its owner is sent their own link)."""
    session = db.session.get(EventSession, session_id)
    if session is None or session.occurrence.event_id != event.id:
        return field_error(404, _("There is nothing at this address."))
    occurrence = session.occurrence
    if isinstance(body, dict):
        body = {**body, "occurrence": occurrence.start_at.isoformat()}

    def submit():
        _occurrence, data = parse_rsvp(body, event)
        data.sessions = [session]
        return rsvp_ops.submit(occurrence, data)

    return received(submit, lambda outcome: {
        "occurrence": occurrence.start_at.astimezone(event.zone).isoformat(),
        "session": session.id, "name": outcome.receipt.name,
        "party_size": outcome.receipt.party_size, "sent_to": outcome.receipt.sent_to,
    }, rsvp_ops.RSVPError)  # fmt: skip


# OpenAPI ---------------------------------------------------------------------------------------

SESSION = {
    "type": "object",
    "description": "A part of one date (workshop, breakout, track).",
    "required": ["id", "occurrence_id", "title", "start", "end", "room", "languages",
                 "has_interpretation", "capacity", "spots_left"],
    "properties": {
        "id": {"type": "integer"},
        "occurrence_id": {"type": "integer", "description": "The date it belongs to."},
        "title": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "room": {"type": ["string", "null"]},
        "languages": {"type": "array", "items": {"type": "string"}},
        "has_interpretation": {"type": "boolean"},
        "capacity": {"type": ["integer", "null"], "description": "null: no limit."},
        "spots_left": {
            "type": ["integer", "null"],
            "description": "Seats still free (past them, sign-ups join the session's waitlist).",
        },
    },
}  # fmt: skip
SIGNUP_RESULT = {
    "type": "object",
    "description": "The same answer whether or not the contact already had an RSVP for this "
    "date (an existing RSVP is left unchanged and its owner is sent their own link, from which "
    "they choose sessions).",
    "required": ["received", "occurrence", "session", "name", "party_size", "sent_to"],
    "properties": {
        "received": {"type": "boolean", "const": True},
        "occurrence": {"type": "string", "format": "date-time"},
        "session": {"type": "integer"},
        "name": {"type": "string"},
        "party_size": {"type": "integer"},
        "sent_to": {"type": "string"},
    },
}


SIGNUP_PATH = signup_path(
    "signUpForSession",
    "RSVP for a date and one of its sessions",
    ("event_id", "session_id"),
    "RSVPRequest",
    "SessionSignupResult",
    accepted="Received; the private link is on its way to the contact. A seat in the session "
    "if it fits, else its waitlist. Known and new contacts get this same answer.",
    not_found="No such public event or session.",
    conflict="RSVPs closed, the event cancelled, or the date full.",
)


def extend_openapi(document: dict) -> None:
    """Sessions in the OpenAPI document: the sign-up path, `Session`, and `sessions` in
    `EventDetail`."""
    schemas = document["components"]["schemas"]
    schemas["Session"] = SESSION
    schemas["SessionSignupResult"] = SIGNUP_RESULT
    add_to_event_detail(
        schemas, "sessions", "Sessions of the listed dates, in time order.", "Session"
    )
    document["paths"]["/api/v1/events/{event_id}/sessions/{session_id}/signups"] = SIGNUP_PATH
