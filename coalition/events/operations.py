"""Posting and editing an event, and keeping its series of occurrences in step with its dates.

Publishing, moderation, cancelling, duplicating and co-sponsors are in `lifecycle`; changing
one date of a series is in `occurrences`.

Functions change state and flush; the caller commits once. Mail is queued in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from coalition import signals
from coalition.auth.models import User
from coalition.db import utcnow
from coalition.events import recurrence
from coalition.events.models import (
    Event,
    EventStatus,
    EventTranslation,
    EventType,
    EventVisibility,
    LocationVisibility,
    Occurrence,
)
from coalition.extensions import db
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.models import Organization


class EventError(ValueError):
    """A change we refuse. `field` names the form field the message belongs next to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class EventInput:
    """Everything an organizer sets on an event, in local terms (what the form gives)."""

    type_slug: str
    primary_language: str
    #: {"en": ("Title", "Markdown"), "es": (...)}; the primary language is required.
    texts: dict[str, tuple[str, str]]
    timezone: str
    start_date: date
    start_time: time | None
    end_date: date | None = None
    end_time: time | None = None
    is_all_day: bool = False
    recurrence: recurrence.RecurrenceSpec = field(default_factory=recurrence.RecurrenceSpec)
    is_bilingual: bool = False
    venue: str | None = None
    address: str | None = None
    city: str | None = None
    map_url: str | None = None
    online_url: str | None = None
    location_visibility: LocationVisibility = LocationVisibility.public
    location_reveal_hours: int | None = None
    location_attendees_early: bool = False
    delegations_need_approval: bool = False
    languages: list[str] = field(default_factory=list)
    has_interpretation: bool = False
    has_childcare: bool = False
    has_rides: bool = False
    has_food: bool = False
    accessibility_notes: str | None = None
    #: Shown on the page and in reminders ("bring ID, water, a sign").
    what_to_bring: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    capacity: int | None = None
    has_waitlist: bool = True
    rsvp_opens_at: datetime | None = None
    rsvp_closes_at: datetime | None = None
    reminder_offsets: list[int] | None = None
    delegations_by_organizers_only: bool = False
    shows_going: bool = False
    visibility: EventVisibility = EventVisibility.public
    #: {"es": {"accessibility_notes": "...", "what_to_bring": "..."}} for languages other than
    #: the main one (whose are `accessibility_notes` and `what_to_bring` above).
    translated_notes: dict[str, dict[str, str]] = field(default_factory=dict)


#: Per-language notes an event's translations carry.
TRANSLATED_NOTES = ("accessibility_notes", "what_to_bring")


#: Fields whose change a subscribed calendar or an attendee must learn of.
SIGNIFICANT_FIELDS = (
    "start_at", "end_at", "timezone", "is_all_day", "rrule", "venue", "address", "city",
    "map_url", "online_url", "location_visibility", "location_reveal_hours",
    "location_attendees_early",
)  # fmt: skip
SIMPLE_FIELDS = (
    "is_bilingual", "venue", "address", "city", "map_url", "online_url", "location_visibility",
    "location_reveal_hours", "languages", "has_interpretation", "has_childcare", "has_rides",
    "has_food", "accessibility_notes", "contact_name", "contact_email", "contact_phone",
    "capacity", "has_waitlist", "rsvp_opens_at", "rsvp_closes_at", "reminder_offsets",
    "delegations_by_organizers_only", "visibility", "primary_language", "what_to_bring",
    "location_attendees_early", "delegations_need_approval", "shows_going",
)  # fmt: skip


def active_types() -> list[EventType]:
    return list(
        db.session.scalars(
            sa.select(EventType).where(EventType.is_active.is_(True)).order_by(EventType.position)
        )
    )


def _type_for(slug: str) -> EventType:
    event_type = db.session.scalar(
        sa.select(EventType).where(EventType.slug == slug, EventType.is_active.is_(True))
    )
    if event_type is None:
        raise EventError(_l("Choose a type from the list."), "type_slug")
    return event_type


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise EventError(_l("Choose a time zone from the list."), "timezone") from exc


def resolve_times(data: EventInput) -> tuple[datetime, datetime]:
    """Start and end in UTC from the local date and times in the event's zone."""
    zone = _zone(data.timezone)
    end_date = data.end_date or data.start_date
    if data.is_all_day:
        start_local = datetime.combine(data.start_date, time(0, 0), tzinfo=zone)
        # All-day ends are exclusive: the midnight after the last day.
        end_local = datetime.combine(end_date + timedelta(days=1), time(0, 0), tzinfo=zone)
    else:
        if data.start_time is None:
            raise EventError(_l("Give a start time, or mark the event as all day."), "start_time")
        start_local = datetime.combine(data.start_date, data.start_time, tzinfo=zone)
        end_time = data.end_time or (
            (datetime.combine(data.start_date, data.start_time) + timedelta(hours=2)).time()
        )
        end_local = datetime.combine(end_date, end_time, tzinfo=zone)
    start_at, end_at = start_local.astimezone(UTC), end_local.astimezone(UTC)
    if end_at <= start_at:
        raise EventError(_l("The end must be after the start."), "end_time")
    if end_at - start_at > timedelta(days=31):
        raise EventError(_l("An event lasts at most 31 days; use a series for more."), "end_date")
    return start_at, end_at


def _check_texts(data: EventInput) -> None:
    if data.primary_language not in CONTENT_LANGUAGES:
        raise EventError(_l("Choose a language from the list."), "primary_language")
    title, _description = data.texts.get(data.primary_language, ("", ""))
    if not title.strip():
        raise EventError(_l("Give a title in the main language."), "title")
    for language in data.texts:
        if language not in CONTENT_LANGUAGES:
            raise EventError(_l("Choose a language from the list."), "primary_language")
    if data.is_bilingual and len([t for t in data.texts.values() if t[0].strip()]) < 2:
        raise EventError(_l("A bilingual event needs its title in two languages."), "is_bilingual")


def _check_location(data: EventInput) -> None:
    if data.location_visibility == LocationVisibility.hidden_until and not (
        data.location_reveal_hours and data.location_reveal_hours > 0
    ):
        raise EventError(
            _l("Say how many hours before the start the place becomes public."),
            "location_reveal_hours",
        )
    if data.rsvp_opens_at and data.rsvp_closes_at and data.rsvp_closes_at <= data.rsvp_opens_at:
        raise EventError(_l("RSVPs must close after they open."), "rsvp_closes_at")


def _apply(event: Event, data: EventInput) -> set[str]:
    """Write `data` onto `event`; return the names of the fields that changed."""
    _check_texts(data)
    _check_location(data)
    start_at, end_at = resolve_times(data)
    local_start = start_at.astimezone(_zone(data.timezone))
    try:
        rule = recurrence.build_rrule(data.recurrence, local_start)
    except recurrence.RecurrenceError as exc:
        raise EventError(exc.args[0], "frequency") from exc
    new_values = {
        "type": _type_for(data.type_slug),
        "start_at": start_at,
        "end_at": end_at,
        "timezone": data.timezone,
        "is_all_day": data.is_all_day,
        "rrule": rule,
        **{name: getattr(data, name) for name in SIMPLE_FIELDS},
    }
    if new_values["location_visibility"] != LocationVisibility.hidden_until:
        new_values["location_reveal_hours"] = None
        new_values["location_attendees_early"] = False
    changed = set()
    for name, value in new_values.items():
        if getattr(event, name, None) != value:
            changed.add(name)
            setattr(event, name, value)
    if _set_texts(event, data.texts):
        changed.add("texts")
    if _set_translated_notes(event, data):
        changed.add("texts")
    return changed


def _set_translated_notes(event: Event, data: EventInput) -> bool:
    changed = False
    for text in event.translations:
        given = {} if text.language == data.primary_language else (
            data.translated_notes.get(text.language) or {})  # fmt: skip
        for name in TRANSLATED_NOTES:
            value = (given.get(name) or "").strip() or None
            if getattr(text, name) != value:
                setattr(text, name, value)
                changed = True
    return changed


def _set_texts(event: Event, texts: dict[str, tuple[str, str]]) -> bool:
    changed = False
    existing = {t.language: t for t in event.translations}
    for language, (title, description) in texts.items():
        title, description = title.strip(), (description or "").strip()
        current = existing.get(language)
        if not title:
            if current is not None:
                event.translations.remove(current)
                changed = True
            continue
        if current is None:
            event.translations.append(
                EventTranslation(language=language, title=title, description=description)
            )
            changed = True
        elif (current.title, current.description) != (title, description):
            current.title, current.description = title, description
            changed = True
    for language, current in existing.items():
        if language not in texts:
            event.translations.remove(current)
            changed = True
    return changed


def create_event(org: Organization, user: User, data: EventInput) -> Event:
    if not org.can_organize(user):
        raise EventError(_l("You cannot post events for this organization."))
    event = Event(host_org=org, created_by=user, status=EventStatus.draft)
    _apply(event, data)
    db.session.add(event)
    sync_occurrences(event)
    db.session.flush()
    return event


def update_event(event: Event, data: EventInput) -> set[str]:
    """Apply an edit; raise SEQUENCE when a subscribed calendar must show the change."""
    starts_before = {o.id: o.start_at for o in event.occurrences if o.id is not None}
    changed = _apply(event, data)
    if changed & {"start_at", "end_at", "timezone", "is_all_day", "rrule"}:
        sync_occurrences(event)
    if changed and event.status != EventStatus.draft:
        event.sequence += 1
    db.session.flush()
    if changed & {"start_at", "end_at", "timezone", "is_all_day", "rrule", "reminder_offsets"}:
        moved = {
            o.id: starts_before[o.id]
            for o in event.occurrences
            if o.id in starts_before and o.start_at != starts_before[o.id]
        }
        signals.event_rescheduled.send(event, occurrences=None, moved=moved)
    if changed & {"capacity", "has_waitlist"}:
        for occurrence in event.occurrences:
            signals.seats_changed.send(occurrence)
    if event.status == EventStatus.published:
        signals.event_changed.send(event, changed=changed, occurrences=None)
    return changed


# Occurrences ----------------------------------------------------------------------------------


def sync_occurrences(event: Event, now: datetime | None = None) -> None:
    """Make the occurrence rows match the event's dates.

    Rows are matched on their local date, so moving a series to another time of day keeps its
    rows (and what hangs on them: overrides, RSVPs). Dates the rule no longer gives are removed.
    """
    zone = event.zone
    duration = event.end_at - event.start_at
    if event.rrule:
        starts = recurrence.expand(event.rrule, event.start_at.astimezone(zone), now=now)
        wanted = {s.date(): s.astimezone(UTC) for s in starts}
    else:
        wanted = {event.start_at.astimezone(zone).date(): event.start_at}
    existing = list(event.occurrences)
    if not event.rrule and len(existing) == 1:
        # A one-off event keeps its single row whatever its new date.
        occurrence = existing[0]
        occurrence.recurrence_id = occurrence.start_at = event.start_at
        occurrence.end_at = event.end_at
        return
    by_date = {o.recurrence_id.astimezone(zone).date(): o for o in existing}
    for day, occurrence in by_date.items():
        if day not in wanted and not occurrence.is_added:
            event.occurrences.remove(occurrence)
    for day, start in wanted.items():
        occurrence = by_date.get(day)
        if occurrence is not None and occurrence.is_added:
            continue
        if occurrence is None:
            event.occurrences.append(
                Occurrence(recurrence_id=start, start_at=start, end_at=start + duration)
            )
            continue
        if occurrence.recurrence_id != start:
            occurrence.recurrence_id = start
        if not occurrence.is_override:
            occurrence.start_at, occurrence.end_at = start, start + duration


def extend_series(now: datetime | None = None) -> int:
    """Materialize the dates every series should have (run daily by the worker): the next dates
    of open-ended series, and the missing dates of bounded ones (series saved when only dates
    within the horizon were rows). Safe to run twice; returns how many series got new rows."""
    now = now or utcnow()
    events = db.session.scalars(
        sa.select(Event)
        .where(Event.rrule.is_not(None))
        .options(selectinload(Event.occurrences))
        .order_by(Event.id)
    ).all()
    grown = 0
    for event in events:
        before = set(event.occurrences)
        sync_occurrences(event, now=now)
        added = [o for o in event.occurrences if o not in before]
        if added:
            grown += 1
            db.session.flush()
            signals.occurrences_added.send(event, occurrences=added, now=now)
    return grown
