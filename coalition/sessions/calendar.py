"""Sessions in calendars: a person's own sessions as VEVENTs of their own (private feed and the
emailed `.ics`), and the date's agenda as text for the public DESCRIPTION."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, g
from icalendar import Event as VEvent

from coalition.events.ics_text import text
from coalition.events.models import Event, EventStatus, Occurrence
from coalition.extensions import db
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.sessions.models import EventSession, SessionSignup, SignupStatus
from coalition.sessions.operations import agenda_lines
from coalition.urls import external_url

_AGENDAS = "session_agendas"


def prefetch_agendas(occurrences: list[Occurrence]) -> list[int]:
    """Read which of `occurrences` have sessions in one query, so that building many events'
    VEVENTs costs one query more, not one per date. Returns the ids it noted: the caller
    forgets them (`forget_agendas`) when its build is done, so nothing stale outlives it."""
    known = g.setdefault(_AGENDAS, {})
    ids = [o.id for o in occurrences if o.id not in known]
    if not ids:
        return []
    for occurrence_id in ids:
        known[occurrence_id] = False
    for (occurrence_id,) in db.session.execute(
        sa.select(EventSession.occurrence_id).where(EventSession.occurrence_id.in_(ids)).distinct()
    ):
        known[occurrence_id] = True
    return ids


def forget_agendas(ids: list[int]) -> None:
    known = g.get(_AGENDAS) or {}
    for occurrence_id in ids:
        known.pop(occurrence_id, None)


def has_agenda(occurrence: Occurrence) -> bool:
    known = g.get(_AGENDAS) or {}
    if occurrence.id in known:
        return known[occurrence.id]
    return bool(
        db.session.scalar(sa.select(sa.exists().where(EventSession.occurrence_id == occurrence.id)))
    )


def agenda_text(occurrence: Occurrence | None) -> str:
    if occurrence is None or not has_agenda(occurrence):
        return ""
    return "\n".join(agenda_lines(occurrence))


def agendas(occurrences: list[Occurrence]) -> dict[int, str]:
    """{occurrence id: agenda text} of those of `occurrences` that have sessions (one query, or
    none for dates already read by `prefetch_agendas`)."""
    noted = prefetch_agendas(occurrences)
    try:
        found = {o.id: agenda_text(o) for o in occurrences if has_agenda(o)}
    finally:
        forget_agendas(noted)
    return {occurrence_id: text for occurrence_id, text in found.items() if text}


def session_uid(session: EventSession) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "coalition"
    return f"session-{session.id}@{host}"


def session_component(signup: SessionSignup, language: str | None) -> VEvent:
    """One session of a person as its own VEVENT, in the event's zone (TZID)."""
    session = signup.session
    occurrence = session.occurrence
    event = occurrence.event
    title = event.translation(language).title
    component = VEvent()
    component.add("uid", session_uid(session))
    # Changes of the session, its date, its event (title, status) or the person's place in it
    # (a seat after the waitlist) move DTSTAMP and LAST-MODIFIED; those a calendar must show
    # (time, room, title, a cancellation) raise SEQUENCE, a sum of counters that only rise.
    stamp = (
        max(
            signup.created_at,
            signup.confirmed_at or signup.created_at,
            session.updated_at or session.created_at,
            occurrence.updated_at or session.created_at,
            event.updated_at or session.created_at,
        )
        .astimezone(UTC)
        .replace(microsecond=0)
    )
    component.add("dtstamp", stamp)
    component.add("last-modified", stamp)
    component.add("sequence", event.sequence + occurrence.sequence + (session.sequence or 0))
    component.add("dtstart", session.start_at.astimezone(event.zone))
    component.add("dtend", session.end_at.astimezone(event.zone))
    component.add("summary", text(f"{session.title} · {title}"))
    lines = [line for line in (session.description or "", agenda_text_for(session)) if line]
    url = external_url("events.occurrence", event_id=event.id, occurrence_id=occurrence.id)
    component.add("description", text("\n\n".join([*lines, url])))
    if session.room:
        component.add("location", text(session.room))
    cancelled = occurrence.is_cancelled or event.status == EventStatus.cancelled
    if signup.status == SignupStatus.waitlisted:
        component.add("status", "TENTATIVE")
    else:
        component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    component.add("transp", "OPAQUE")
    return component


def agenda_text_for(session: EventSession) -> str:
    parts = []
    if session.languages:
        parts.append(", ".join(session.languages))
    return " · ".join(parts)


def components_for_rsvp(rsvp: RSVP | None, language: str | None) -> list[VEvent]:
    if rsvp is None or rsvp.id is None or not rsvp.is_active:
        return []
    from coalition.sessions.operations import signups_of

    return [session_component(s, language) for s in signups_of(rsvp)]


def user_session_components(user_id: int, language: str | None) -> list[VEvent]:
    """The sessions of a person's active RSVPs (their private feed)."""
    signups = db.session.scalars(
        sa.select(SessionSignup)
        .join(RSVP, RSVP.id == SessionSignup.rsvp_id)
        .join(EventSession, EventSession.id == SessionSignup.session_id)
        .join(Occurrence, Occurrence.id == EventSession.occurrence_id)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            RSVP.user_id == user_id,
            RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted]),
            SessionSignup.status != SignupStatus.cancelled,
            Event.status != EventStatus.draft,
        )
        .order_by(EventSession.start_at, EventSession.id)
    )
    return [session_component(s, language) for s in signups]
