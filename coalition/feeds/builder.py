"""Build RFC 5545 calendars (with RFC 7986 properties) from events.

One VEVENT per event: a series carries its RRULE, EXDATEs for cancelled dates, and a
RECURRENCE-ID VEVENT for each date that was moved or changed (and, marked STATUS:CANCELLED, for
each cancelled date, so that clients that read STATUS learn the reason). Times carry the event's
TZID and every zone used gets a VTIMEZONE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import webcolors
from flask import current_app
from icalendar import Calendar, vCalAddress, vRecur, vText
from icalendar import Event as VEvent

from coalition.events.models import Event, EventStatus, LocationVisibility, Occurrence
from coalition.feeds.timezones import vtimezone
from coalition.urls import external_url

PRODID = "-//Coalition//Coalition calendar//EN"
#: How often subscribed clients should poll.
REFRESH = timedelta(hours=1)


@dataclass
class FeedInfo:
    name: str
    description: str
    #: Language for titles and descriptions (None: each event's primary language).
    language: str | None = None
    #: "#rrggbb" of the calendar (an organization's color).
    color: str | None = None
    url: str | None = None


def _uid(event: Event) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "coalition"
    return f"event-{event.id}@{host}"


def _texts(event: Event, language: str | None) -> tuple[str, str]:
    texts = event.texts_for(language or event.primary_language)
    summary = " / ".join(t.title for t in texts)
    description = "\n\n".join(t.description for t in texts if t.description)
    return summary, description


def _css_color(hex_color: str) -> str:
    """RFC 7986 COLOR takes a CSS3 color name: the nearest one to the organization's color."""
    target = webcolors.hex_to_rgb(hex_color)
    best, best_distance = "steelblue", None
    for name in webcolors.names("css3"):
        rgb = webcolors.name_to_rgb(name, "css3")
        distance = sum((a - b) ** 2 for a, b in zip(rgb, target, strict=True))
        if best_distance is None or distance < best_distance:
            best, best_distance = name, distance
    return best


def _location_text(venue, address, city) -> str:
    return ", ".join(part for part in (venue, address, city) if part)


def _add_times(component, start: datetime, end: datetime, event: Event) -> None:
    if event.is_all_day:
        component.add("dtstart", start.astimezone(event.zone).date())
        component.add("dtend", end.astimezone(event.zone).date())
    else:
        component.add("dtstart", start.astimezone(event.zone))
        component.add("dtend", end.astimezone(event.zone))


def _recurrence_id(occurrence: Occurrence, event: Event):
    local = occurrence.recurrence_id.astimezone(event.zone)
    return local.date() if event.is_all_day else local


def _rrule(event: Event) -> vRecur:
    rule = vRecur.from_ical(event.rrule)
    if event.is_all_day and "UNTIL" in rule:
        # With a DATE DTSTART the UNTIL must be a DATE too (RFC 5545 3.3.10).
        rule["UNTIL"] = [u.astimezone(event.zone).date() for u in rule["UNTIL"]]
    return rule


def _common(component, event: Event, info: FeedInfo, *, stamp: datetime) -> None:
    summary, description = _texts(event, info.language)
    url = external_url("events.show", event_id=event.id)
    component.add("uid", _uid(event))
    component.add("dtstamp", stamp)
    component.add("created", event.created_at)
    component.add("last-modified", event.updated_at)
    component.add("sequence", event.sequence)
    component.add("summary", summary)
    component.add("description", f"{description}\n\n{url}".strip())
    component.add("url", url)
    component.add("categories", [event.type.name(info.language or event.primary_language)])
    organizer = vCalAddress(
        f"mailto:{event.host_org.contact_email or current_app.config['MAIL_DEFAULT_SENDER']}"
    )
    organizer.params["cn"] = vText(event.host_org.name)
    component.add("organizer", organizer)
    component.add("transp", "OPAQUE")


def _add_location(component, event: Event, venue, address, city, *, online_url) -> None:
    """Only a public location ever reaches a feed (feeds are cached and shared); a hidden one
    is published as its town alone."""
    if event.location_visibility != LocationVisibility.public:
        if city:
            component.add("location", city)
        return
    text = _location_text(venue, address, city)
    if online_url:
        text = f"{text} ({online_url})" if text else online_url
    if text:
        component.add("location", text)
    if event.latitude is not None and event.longitude is not None:
        component.add("geo", (event.latitude, event.longitude))


def event_components(event: Event, info: FeedInfo, *, stamp: datetime) -> list[VEvent]:
    """The VEVENT of `event`, and one per changed or cancelled date of a series."""
    master = VEvent()
    _common(master, event, info, stamp=stamp)
    _add_times(master, event.start_at, event.end_at, event)
    _add_location(
        master, event, event.venue, event.address, event.city, online_url=event.online_url
    )
    cancelled = event.status == EventStatus.cancelled
    master.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    components = [master]
    if not event.rrule:
        only = event.occurrences[0] if event.occurrences else None
        if only is not None and only.is_cancelled and not cancelled:
            master["status"] = "CANCELLED"
        return components
    master.add("rrule", _rrule(event))
    exdates = []
    for occurrence in event.occurrences:
        if occurrence.is_cancelled:
            exdates.append(_recurrence_id(occurrence, event))
        if not (occurrence.is_cancelled or occurrence.is_override):
            continue
        override = VEvent()
        _common(override, event, info, stamp=stamp)
        override["sequence"] = max(event.sequence, occurrence.sequence)
        override.add("recurrence-id", _recurrence_id(occurrence, event))
        _add_times(override, occurrence.start_at, occurrence.end_at, event)
        _add_location(
            override,
            event,
            occurrence.effective_venue,
            occurrence.effective_address,
            occurrence.effective_city,
            online_url=event.online_url,
        )
        status = "CANCELLED" if occurrence.is_cancelled or cancelled else "CONFIRMED"
        override.add("status", status)
        note = occurrence.cancel_reason if occurrence.is_cancelled else occurrence.note
        if note:
            override["description"] = f"{note}\n\n{override['description']}"
        components.append(override)
    if exdates:
        master.add("exdate", exdates)
    return components


def build_calendar(events: list[Event], info: FeedInfo, *, timezone: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", info.name)
    calendar.add("x-wr-calname", info.name)
    calendar.add("description", info.description)
    calendar.add("x-wr-caldesc", info.description)
    calendar.add("x-wr-timezone", timezone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    if info.url:
        calendar.add("url", info.url)
    if info.color:
        calendar.add("color", _css_color(info.color))
        calendar.add("x-apple-calendar-color", info.color)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for event in events:
        for component in event_components(event, info, stamp=stamp):
            calendar.add_component(component)
    _add_timezones(calendar, events, default=timezone)
    return calendar.to_ical()


def _add_timezones(calendar: Calendar, events: list[Event], *, default: str) -> None:
    """A VTIMEZONE for every TZID used (and for X-WR-TIMEZONE), covering the feed's years."""
    years = [o.start_at.year for e in events for o in e.occurrences] or [datetime.now(UTC).year]
    zones = {e.timezone for e in events if not e.is_all_day} | {default}
    for tzid in sorted(zones):
        calendar.add_component(vtimezone(tzid, min(years), max(years)))


def single_occurrence_calendar(occurrence: Occurrence, info: FeedInfo, *, timezone: str) -> bytes:
    """A calendar holding one date of an event as a standalone VEVENT."""
    event = occurrence.event
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", info.name)
    stamp = datetime.now(UTC).replace(microsecond=0)
    component = VEvent()
    _common(component, event, info, stamp=stamp)
    component["uid"] = f"occurrence-{occurrence.id}-{_uid(event)}"
    component["sequence"] = max(event.sequence, occurrence.sequence)
    _add_times(component, occurrence.start_at, occurrence.end_at, event)
    _add_location(
        component,
        event,
        occurrence.effective_venue,
        occurrence.effective_address,
        occurrence.effective_city,
        online_url=event.online_url,
    )
    cancelled = occurrence.is_cancelled_effectively
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(component)
    _add_timezones(calendar, [event], default=event.timezone)
    return calendar.to_ical()
