"""The API's part of volunteer roles: roles with spots left in `GET /api/v1/events/<id>`,
`POST /api/v1/events/<id>/roles/<role_id>/helpers`, and their OpenAPI description.

Counts only, never names; a sign-up gets the same `202` whether or not its contact was known
(`coalition.rsvps.identity`), like `POST .../rsvps` (`coalition.rsvps.api_input`).
"""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _

from coalition.access import access, public
from coalition.core.json_api import (
    InputError,
    add_to_event_detail,
    field_error,
    received,
    signup_path,
    text,
)
from coalition.events.models import Event, Occurrence
from coalition.extensions import db, limiter
from coalition.rsvps.api_input import parse_person, public_event
from coalition.volunteers import operations as ops
from coalition.volunteers.models import VolunteerRole

bp = Blueprint("volunteers_api", __name__, url_prefix="/api")


def _iso(moment, event: Event) -> str | None:
    return moment.astimezone(event.zone).isoformat() if moment is not None else None


def roles_json(event: Event, occurrences: list[Occurrence]) -> list[dict]:
    """The roles of these dates with their counts (two queries)."""
    return [
        {
            "id": c.role.id,
            "occurrence_id": c.role.occurrence_id,
            "kind": c.role.kind.value,
            "title": c.title,
            "languages": [c.role.language_from, c.role.language_to] if c.role.language_from else [],
            "town": c.role.town,
            "starts": _iso(c.role.starts_at, event),
            "ends": _iso(c.role.ends_at, event),
            "note": c.role.note,
            "needed": c.needed,
            "signed_up": c.signed_up,
            "spots_left": c.spots_left,
        }
        for c in ops.role_counts(o.id for o in occurrences)
    ]


def parse_helper(body, role: VolunteerRole, event: Event) -> ops.HelperInput:
    name, email, phone, language = parse_person(body, event)
    seats = body.get("seats")
    if seats is not None and (not isinstance(seats, int) or isinstance(seats, bool)):
        raise InputError(400, _("%(name)s must be a whole number from 1.", name="seats"), "seats")
    return ops.HelperInput(
        name=name, email=email, phone=phone, language=language, seats=seats,
        town=text(body, "town", 120) or None, note=text(body, "note", 1000) or None,
        consents_to_reminders=bool(body.get("reminders", True)),
    )  # fmt: skip


@bp.route("/v1/events/<int:event_id>/roles/<int:role_id>/helpers", methods=["POST"])
@access(public)
@limiter.limit("10 per minute;60 per hour")
def create_helper(event_id: int, role_id: int):
    """Sign up to help from a member organization's own website (same rules as the form)."""
    event = public_event(event_id)
    role = db.session.get(VolunteerRole, role_id)
    if event is None or role is None or role.occurrence.event_id != event.id:
        return field_error(404, _("There is nothing at this address."))
    body = request.get_json(silent=True)
    return received(lambda: ops.submit(role, parse_helper(body, role, event)), lambda submission: {
        "role": role.id, "title": submission[1].role, "name": submission[1].name,
        "sent_to": submission[1].sent_to,
    }, ops.VolunteerError)  # fmt: skip


# OpenAPI -------------------------------------------------------------------------------------

_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_TIME = {
    "type": ["string", "null"],
    "format": "date-time",
    "description": "The shift in the event's zone; null: the date's own times.",
}

ROLE = {
    "type": "object",
    "description": "Helpers a date asks for: counts only, never who signed up.",
    "required": [
        "id",
        "occurrence_id",
        "kind",
        "title",
        "languages",
        "town",
        "starts",
        "ends",
        "note",
        "needed",
        "signed_up",
        "spots_left",
    ],
    "properties": {
        "id": {"type": "integer"},
        "occurrence_id": {"type": "integer"},
        "kind": {"type": "string", "enum": [k.value for k in ops.RoleKind]},
        "title": {"type": "string", "description": "In the requested language."},
        "languages": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Interpreters: the two languages.",
        },
        "town": {**_NULLABLE_STRING, "description": "Drivers: where rides are needed from."},
        "starts": _NULLABLE_TIME,
        "ends": _NULLABLE_TIME,
        "note": _NULLABLE_STRING,
        "needed": {"type": "integer"},
        "signed_up": {"type": "integer"},
        "spots_left": {"type": "integer"},
    },
}

HELPER_REQUEST = {
    "type": "object",
    "required": ["name"],
    "description": "An email is required; a phone alone is accepted only where the coalition "
    "sends text messages. Drivers give `seats` and `town`.",
    "properties": {
        "name": {"type": "string", "maxLength": 80},
        "email": {"type": "string", "format": "email"},
        "phone": {"type": "string"},
        "language": {"type": "string", "description": "Language for messages, e.g. es."},
        "seats": {"type": "integer", "minimum": 1, "maximum": ops.MAX_SEATS},
        "town": {"type": "string", "maxLength": 120, "description": "Drivers: leaving from."},
        "note": {"type": "string", "maxLength": 1000},
        "reminders": {"type": "boolean", "default": True},
    },
}

HELPER_RESULT = {
    "type": "object",
    "description": "The same answer whether or not the contact already helps in this role; "
    "the private link goes only to the contact.",
    "required": ["received", "role", "title", "name", "sent_to"],
    "properties": {
        "received": {"type": "boolean", "const": True},
        "role": {"type": "integer"},
        "title": {"type": "string"},
        "name": {"type": "string", "description": "As sent."},
        "sent_to": {"type": "string", "description": "Where the private link went, masked."},
    },
}


HELPER_PATH = signup_path(
    "createHelper",
    "Sign up to help in one role of an event's date",
    ("event_id", "role_id"),
    "HelperRequest",
    "HelperResult",
    accepted="Received; the private link is on its way to the contact. Known and new contacts "
    "get this same answer.",
    not_found="No such public event, or no such role of it.",
    conflict="Sign-ups closed, or the role has all the helpers it needs.",
)


def add_to_openapi(document: dict) -> dict:
    """Describe roles in `EventDetail` and the sign-up path (called by `api.openapi`)."""
    schemas = document["components"]["schemas"]
    schemas["Role"] = ROLE
    schemas["HelperRequest"] = HELPER_REQUEST
    schemas["HelperResult"] = HELPER_RESULT
    add_to_event_detail(
        schemas, "roles", "Helpers the upcoming dates ask for, with spots left.", "Role"
    )
    document["paths"]["/api/v1/events/{event_id}/roles/{role_id}/helpers"] = HELPER_PATH
    return document
