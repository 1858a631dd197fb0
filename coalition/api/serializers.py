"""Events, dates and organizations as the API's JSON: public data only.

A place that is not public (`Event.location_is_public`) is never written here: the event gets
`"location": null` and says why in `location_visibility`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from flask import Response, current_app
from flask_babel import force_locale

from coalition.api.queries import NEXT_OCCURRENCES
from coalition.events.ics import asked_reason
from coalition.events.models import Event, EventStatus, LocationVisibility, Occurrence
from coalition.events.privacy import place
from coalition.orgs.models import Organization
from coalition.rsvps.operations import seats_left
from coalition.urls import external_url


def json_response(data: dict, status: int = 200) -> Response:
    """`data` as a JSON response, encoded with orjson (several times faster than the standard
    encoder on a page of events)."""
    return Response(orjson.dumps(data), status=status, mimetype="application/json")


def spots_left(occurrence: Occurrence | None) -> int | None:
    """Seats still free on this date (its capacity minus the confirmed headcount, parties and
    delegations included); None when it has no capacity.

    The one place the API computes it; the counting itself is the RSVP package's, the same that
    decides whether an RSVP is confirmed or waitlisted. One query, for one date only: lists do
    not carry it.
    """
    if occurrence is None:
        return None
    return seats_left(occurrence)


def _iso(moment: datetime, event: Event) -> str:
    return moment.astimezone(event.zone).isoformat()


def _event_url(event: Event) -> str:
    return external_url("events.show", event_id=event.id)


def _occurrence_url(occurrence: Occurrence) -> str:
    return external_url(
        "events.occurrence", event_id=occurrence.event_id, occurrence_id=occurrence.id
    )


def org_ref(org: Organization) -> dict:
    return {"slug": org.slug, "name": org.name}


def org_json(org: Organization) -> dict:
    return {
        **org_ref(org),
        "city": org.city,
        "website": org.website,
        "contact_email": org.contact_email,
        "languages": list(org.languages or []),
        "color": org.color,
        "url": external_url("orgs.show", slug=org.slug),
    }


def _asked_reason(event: Event, occurrence: Occurrence | None, language: str | None) -> str | None:
    """Why it is cancelled when nobody typed it (an imported event its calendar cancelled), in
    the listing's language (`?lang=`), else the event's: never the visitor's, the answer is
    cached and shared."""
    wanted = language or event.primary_language
    if wanted not in current_app.config["LANGUAGES"]:
        wanted = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(wanted):
        return asked_reason(event, occurrence)


def occurrence_json(occurrence: Occurrence, event: Event, language: str | None = None) -> dict:
    cancelled = occurrence.is_cancelled or event.status == EventStatus.cancelled
    reason = None
    if cancelled:
        reason = occurrence.cancel_reason or event.cancel_reason
        if not reason:
            asked = occurrence if occurrence.is_cancelled else None
            reason = _asked_reason(event, asked, language)
    return {
        "id": occurrence.id,
        "start": _iso(occurrence.start_at, event),
        "end": _iso(occurrence.end_at, event),
        "cancelled": cancelled,
        "cancel_reason": reason,
        "url": _occurrence_url(occurrence),
    }


def next_occurrence(occurrences: list[Occurrence]) -> Occurrence | None:
    """The first date that is not cancelled, else the first date."""
    for occurrence in occurrences:
        if not occurrence.is_cancelled:
            return occurrence
    return occurrences[0] if occurrences else None


def _location(event: Event, occurrence: Occurrence | None, now: datetime) -> dict:
    if event.location_is_public(occurrence, now=now):
        location = place(event, occurrence)
        return {
            "location": location,
            "town": location["city"],
            "location_visibility": LocationVisibility.public.value,
            "location_reveal_at": None,
        }
    reveal_at = None
    if event.location_visibility == LocationVisibility.hidden_until and occurrence is not None:
        reveal = occurrence.start_at - timedelta(hours=event.location_reveal_hours or 0)
        reveal_at = _iso(reveal, event)
    return {
        "location": None,
        "town": occurrence.effective_city if occurrence is not None else event.city,
        "location_visibility": event.location_visibility.value,
        "location_reveal_at": reveal_at,
    }


def event_json(
    event: Event, occurrences: list[Occurrence], *, language: str | None, now: datetime
) -> dict:
    """The event as listed: `occurrences` are its dates in order from the listing's start.

    `start`, `end` and the place are those of the next date that is not cancelled; a one-off
    event's single date is in `next_occurrences` too (its id is what an RSVP names).
    """
    text = event.translation(language)
    current = next_occurrence(occurrences)
    start_at = current.start_at if current else event.start_at
    end_at = current.end_at if current else event.end_at
    return {
        "id": event.id,
        "url": _event_url(event),
        "title": text.title,
        "description": text.description,
        "language": text.language,
        "primary_language": event.primary_language,
        "is_bilingual": event.is_bilingual,
        "translations": {
            t.language: {"title": t.title, "description": t.description} for t in event.translations
        },
        "type": {"slug": event.type.slug, "name": event.type.name(language or text.language)},
        "host": org_ref(event.host_org),
        "cosponsors": [org_ref(org) for org in event.accepted_cosponsors()],
        "start": _iso(start_at, event),
        "end": _iso(end_at, event),
        "timezone": event.timezone,
        "all_day": event.is_all_day,
        "status": event.status.value,
        "cancel_reason": event.cancel_reason
        or (
            _asked_reason(event, None, language) if event.status == EventStatus.cancelled else None
        ),
        "visibility": "public",
        "languages": list(event.languages or []),
        "has_interpretation": event.has_interpretation,
        "has_childcare": event.has_childcare,
        "has_rides": event.has_rides,
        "has_food": event.has_food,
        "accessibility_notes": event.accessibility_notes,
        "contact": {
            "name": event.contact_name,
            "email": event.contact_email,
            "phone": event.contact_phone,
        },
        "rrule": event.rrule,
        "dtstart": _iso(event.start_at, event) if event.rrule else None,
        "next_occurrences": [
            occurrence_json(o, event, language) for o in occurrences[:NEXT_OCCURRENCES]
        ],
        **_location(event, current, now),
    }


def event_detail_json(
    event: Event, occurrences: list[Occurrence], *, language: str | None, now: datetime
) -> dict:
    """One event: as listed, plus its upcoming dates and seats for the next date."""
    data = event_json(event, occurrences, language=language, now=now)
    current = next_occurrence(occurrences)
    data["occurrences"] = [occurrence_json(o, event, language) for o in occurrences]
    data["capacity"] = current.effective_capacity if current else event.capacity
    data["spots_left"] = spots_left(current) if current else None
    return data
