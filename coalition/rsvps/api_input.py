"""Reading the JSON body of an API sign-up into a person and an RSVP, with clear errors: used by
`POST /api/v1/events/<id>/rsvps` (`coalition.api`), a session's sign-up (`coalition.sessions.api`)
and a helper's (`coalition.volunteers.api`)."""

from __future__ import annotations

from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from coalition.core.json_api import InputError, text
from coalition.events.models import Event, Occurrence
from coalition.extensions import db
from coalition.languages import CONTENT_LANGUAGES
from coalition.rsvps.operations import MAX_PARTY, RSVPInput
from coalition.validators import normalize_phone


def public_event(event_id: int) -> Event | None:
    """The event the API may sign people up for: publicly listed, else None (a 404)."""
    event = db.session.get(Event, event_id)
    return event if event is not None and event.is_public_listing else None


def parse_person(body, event: Event) -> tuple[str, str | None, str | None, str]:
    """The person posting (an RSVP, a helper): name, email, phone and language, checked."""
    if not isinstance(body, dict):
        raise InputError(400, _("Send a JSON object."))
    name = text(body, "name", 80)
    if not name:
        raise InputError(400, _("Tell us a name (a first name or nickname is fine)."), "name")
    email = text(body, "email", 254) or None
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            raise InputError(400, _("This is not a valid email address."), "email") from exc
    phone = text(body, "phone", 40) or None
    if phone:
        phone = normalize_phone(phone)
        if phone is None:
            raise InputError(
                400, _("Enter a phone number we can call, like 617 555 0100."), "phone"
            )
    if not email and not phone:
        raise InputError(400, _("Give an email or a phone number so we can reach you."), "email")
    language = text(body, "language", 8) or event.primary_language
    if language not in CONTENT_LANGUAGES:
        raise InputError(400, _("Unknown language: %(value)s", value=language), "language")
    return name, email, phone, language


def parse_rsvp(body, event: Event) -> tuple[Occurrence, RSVPInput]:
    name, email, phone, language = parse_person(body, event)
    party_size = body.get("party_size", 1)
    if (
        not isinstance(party_size, int)
        or isinstance(party_size, bool)
        or not 1 <= party_size <= MAX_PARTY
    ):
        raise InputError(400, _("A party is 1 to %(n)d people.", n=MAX_PARTY), "party_size")
    needs = body.get("needs") or {}
    if not isinstance(needs, dict):
        raise InputError(400, _("needs must be an object."), "needs")
    occurrence = _occurrence(body.get("occurrence"), event)
    data = RSVPInput(
        name=name, email=email, phone=phone, language=language, party_size=party_size,
        needs_interpretation=bool(needs.get("interpretation")),
        needs_childcare=bool(needs.get("childcare")), needs_ride=bool(needs.get("ride")),
        note=text(needs, "note", 1000) or None,
        consents_to_reminders=bool(body.get("reminders", True)),
        counts_attendance=bool(body.get("count_attendance", False)),
    )  # fmt: skip
    return occurrence, data


def _occurrence(raw, event: Event) -> Occurrence:
    if raw in (None, ""):
        if event.is_recurring:
            raise InputError(
                400, _("This event repeats: say which date with occurrence."), "occurrence"
            )
        return event.occurrences[0]
    if not isinstance(raw, str):
        raise InputError(400, _("occurrence must be a date and time in ISO 8601."), "occurrence")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            400, _("occurrence must be a date and time in ISO 8601."), "occurrence"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=event.zone)
    moment = moment.astimezone(UTC)
    for occurrence in event.occurrences:
        if occurrence.start_at == moment:
            return occurrence
    raise InputError(404, _("No date of this event starts at %(value)s.", value=raw), "occurrence")
