"""Events as RFC 5545 VEVENTs (with RFC 7986 properties): the text of each event in every feed
(`feeds/`), and one date as an `.ics` file (a download, an email attachment of a notice or a
reminder). Below every feature that sends a date's `.ics`: they import it, it imports none of them.

One VEVENT per event. A series carries its RRULE, ended (UNTIL) at its last materialized date so
that calendar apps show exactly the dates the site has rows for; a cancelled date is an EXDATE (one
form only: every reader then drops it), a moved or changed date a RECURRENCE-ID VEVENT. Times carry
the event's TZID and every zone used gets a VTIMEZONE, placed before the VEVENTs (older Outlook
ignores them after). Texts are plain text: Markdown is rendered and its tags dropped.

DTSTAMP is the event's last change, so the same data always gives the same bytes, whichever
process builds them. What features above events add (a date's agenda of sessions, a person's own
sessions in their `.ics`) they give as answers to `signals.calendar_agendas` and
`signals.rsvp_calendar`.
"""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlsplit

import nh3
from flask import current_app
from flask_babel import force_locale
from icalendar import Calendar, vCalAddress, vRecur, vText
from icalendar import Event as VEvent

from coalition import signals
from coalition.events.ics_text import text
from coalition.events.ics_timezones import vtimezone
from coalition.events.markdown import render_markdown
from coalition.events.models import Event, EventStatus, LocationVisibility, Occurrence
from coalition.urls import external_url

PRODID = "-//Coalition//Coalition calendar//EN"
#: The UID an imported event had where it was first published (`signals.calendar_origin`).
ORIGIN_PROPERTY = "X-COALITION-ORIGIN"


@dataclass
class FeedInfo:
    name: str
    description: str
    #: Language for titles and descriptions (None: each event's primary language).
    language: str | None = None
    #: "#rrggbb" of the calendar (an organization's color).
    color: str | None = None
    url: str | None = None


class Fragment(NamedTuple):
    """One event's VEVENT text (UTF-8 bytes) and what the calendar around it needs (zones and
    years). A tuple: a feed decodes thousands of them per build."""

    text: bytes
    #: TZID of its times, None for an all-day event.
    tzid: str | None
    first_year: int
    last_year: int


def uid(event: Event) -> str:
    """The UID of an event in every feed, single-date file and email attachment."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "coalition"
    return f"event-{event.id}@{host}"


_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)
_BREAKS = re.compile(r"</p>|<br\s*/?>|</li>|</h[34]>|</blockquote>|<hr\s*/?>")


def plain_text(markdown: str | None) -> str:
    """What a calendar app should show for a Markdown description: the text, links as
    "text (url)", no markup."""
    if not markdown:
        return ""
    rendered = str(render_markdown(markdown))

    def link(match: re.Match) -> str:
        url, text = html.unescape(match.group(1)), match.group(2)
        return text if html.unescape(text) == url else f"{text} ({url})"

    rendered = _LINK.sub(link, rendered)
    rendered = rendered.replace("<li>", "<li>- ")
    rendered = _BREAKS.sub("\n", rendered)
    text = html.unescape(nh3.clean(rendered, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _texts(event: Event, language: str | None) -> tuple[str, str]:
    texts = event.texts_for(language or event.primary_language)
    summary = " / ".join(t.title for t in texts)
    description = "\n\n".join(plain_text(t.description) for t in texts if t.description)
    return summary, description


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


def _rrule(event: Event, last: Occurrence) -> vRecur:
    """The event's rule, ended at its last materialized date (RFC 5545: UNTIL in UTC for a
    zoned DTSTART, a DATE for an all-day one)."""
    rule = vRecur.from_ical(event.rrule)
    rule.pop("COUNT", None)
    if event.is_all_day:
        rule["UNTIL"] = [last.recurrence_id.astimezone(event.zone).date()]
    else:
        rule["UNTIL"] = [last.recurrence_id.astimezone(UTC)]
    return rule


def _stamp(event: Event) -> datetime:
    return (event.updated_at or event.created_at).astimezone(UTC).replace(microsecond=0)


def _organizer(event: Event):
    """The organization's public address (else the event's contact); none rather than a made-up
    one."""
    email = event.host_org.contact_email or event.contact_email
    if not email:
        return None
    organizer = vCalAddress(f"mailto:{email}")
    organizer.params["cn"] = vText(event.host_org.name)
    return organizer


def _common(component, event: Event, language: str | None) -> None:
    summary, description = _texts(event, language)
    url = external_url("events.show", event_id=event.id)
    component.add("uid", uid(event))
    component.add("dtstamp", _stamp(event))
    component.add("created", event.created_at.replace(microsecond=0))
    component.add("last-modified", _stamp(event))
    component.add("sequence", event.sequence)
    component.add("summary", text(summary))
    component.add("description", text(f"{description}\n\n{url}".strip()))
    component.add("url", url)
    component.add("categories", [event.type.name(language or event.primary_language)])
    origin = signals.answers(signals.calendar_origin, event)
    if origin:  # an event we took from another calendar: where it was first published
        component.add(ORIGIN_PROPERTY, text(origin[0]))
    organizer = _organizer(event)
    if organizer is not None:
        component.add("organizer", organizer)
    component.add("transp", "OPAQUE")


def _add_location(
    component, event: Event, occurrence: Occurrence | None, venue, address, city, *, online_url
) -> None:
    """Only a place public now ever reaches a feed (feeds are cached and shared); a hidden one
    is published as its town alone. A place hidden "until N hours before" is public from then
    (`events/privacy.py`): the worker raises the event's revision at that moment
    (`events/schedule.py`), so its cached text is built again, with the place."""
    if not event.location_is_public(occurrence):
        if city:
            component.add("location", text(city))
        return
    place = _location_text(venue, address, city)
    if online_url:
        place = f"{place} ({online_url})" if place else online_url
    if place:
        component.add("location", text(place))
    if event.latitude is not None and event.longitude is not None:
        component.add("geo", (event.latitude, event.longitude))


def _date_component(
    occurrence: Occurrence, event: Event, language: str | None, agenda: str | None
) -> VEvent:
    """A VEVENT for one date with its own time, place, note and agenda."""
    component = VEvent()
    _common(component, event, language)
    component["sequence"] = max(event.sequence, occurrence.sequence)
    _add_times(component, occurrence.start_at, occurrence.end_at, event)
    _add_location(
        component,
        event,
        occurrence,
        occurrence.effective_venue,
        occurrence.effective_address,
        occurrence.effective_city,
        online_url=event.online_url,
    )
    note = _cancel_reason(event, occurrence) or occurrence.note
    if note:
        component["description"] = text(f"{note}\n\n{component['description']}")
    _add_agenda(component, agenda)
    return component


def _cancel_reason(event: Event, occurrence: Occurrence | None) -> str | None:
    """Why the date (or, without one, the event) is cancelled, as the API gives it; None when it
    is not. Without typed words, the features above may say why (`signals.cancel_reason_asked`:
    an imported event its calendar cancelled), in the language the text is built in."""
    if occurrence is not None and occurrence.is_cancelled:
        return occurrence.cancel_reason or event.cancel_reason or asked_reason(event, occurrence)
    if event.status != EventStatus.cancelled:
        return None
    return event.cancel_reason or asked_reason(event, None)


def asked_reason(event: Event, occurrence: Occurrence | None) -> str | None:
    """The first answer to `signals.cancel_reason_asked` (the current language's words)."""
    found = signals.answers(signals.cancel_reason_asked, event, occurrence=occurrence)
    return str(found[0]) if found else None


def _add_reason(component, reason: str | None) -> None:
    if reason:
        component["description"] = text(f"{reason}\n\n{component['description']}")


def agendas(event: Event, occurrences: list[Occurrence]) -> dict[int, str]:
    """The agendas among `occurrences` of `event` ({occurrence id: text}), as the features above
    give them (`signals.calendar_agendas`: the sessions', one line each)."""
    found: dict[int, str] = {}
    if occurrences:
        for answer in signals.answers(signals.calendar_agendas, event, occurrences=occurrences):
            found.update(answer)
    return found


def _add_agenda(component, agenda: str | None) -> None:
    """The date's agenda at the end of DESCRIPTION."""
    if agenda:
        component["description"] = text(f"{component['description']}\n\n{agenda}")


def event_components(
    event: Event, language: str | None, *, only: frozenset[int] | None = None
) -> list[VEvent]:
    """The VEVENT of `event`, and one per changed date of a series. With `only` (occurrence ids),
    the other dates are left out (EXDATE), as the site leaves them out for the same filters."""
    cancelled = event.status == EventStatus.cancelled
    if not event.rrule:
        master = VEvent()
        _common(master, event, language)
        _add_times(master, event.start_at, event.end_at, event)
        the_one = event.occurrences[0] if event.occurrences else None
        _add_location(
            master, event, the_one, event.venue, event.address, event.city,
            online_url=event.online_url,
        )  # fmt: skip
        cancelled = cancelled or bool(the_one and the_one.is_cancelled)
        _add_reason(master, _cancel_reason(event, the_one))
        if the_one is not None:
            _add_agenda(master, agendas(event, [the_one]).get(the_one.id))
        master.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        return [master]
    occurrences = list(event.occurrences)
    return _series_components(event, occurrences, language, only, agendas(event, occurrences))


def _series_components(event, occurrences, language, only, agenda_of) -> list[VEvent]:
    cancelled = event.status == EventStatus.cancelled
    master = VEvent()
    _common(master, event, language)
    _add_times(master, event.start_at, event.end_at, event)
    # The series' own place: public only in the public mode (a hidden one is revealed per date,
    # in the date's own VEVENT).
    _add_location(
        master, event, None, event.venue, event.address, event.city, online_url=event.online_url
    )
    master.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    _add_reason(master, _cancel_reason(event, None))
    # The rule ends at its own last date; dates outside it (RDATE, `is_added`) are listed.
    by_rule = [o for o in occurrences if not o.is_added] or occurrences
    master.add("rrule", _rrule(event, max(by_rule, key=lambda o: o.recurrence_id)))
    components = [master]
    exdates, rdates = [], []
    for occurrence in occurrences:
        if occurrence.is_cancelled or (only is not None and occurrence.id not in only):
            if not occurrence.is_added:  # an added date left out is simply not listed
                exdates.append(_recurrence_id(occurrence, event))
            continue
        if occurrence.is_added:
            rdates.append(_recurrence_id(occurrence, event))
        revealed = (
            event.location_visibility == LocationVisibility.hidden_until
            and event.location_is_public(occurrence)
        )
        agenda = agenda_of.get(occurrence.id)
        if not occurrence.is_override and not revealed and not agenda:
            continue  # a date with sessions or a revealed place gets its own VEVENT
        override = _date_component(occurrence, event, language, agenda)
        override.add("recurrence-id", _recurrence_id(occurrence, event))
        override.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        components.append(override)
    if exdates:
        master.add("exdate", exdates)
    if rdates:
        master.add("rdate", rdates)
    return components


@contextmanager
def texts_locale(event: Event, language: str | None):
    """Words we add to an event's texts (the agenda's "interpretation") in the language of its
    texts: the feed's (`?lang=`), else the event's own, never the visitor's. A fragment is cached
    and served to everyone, so what it says depends only on its key."""
    wanted = language or event.primary_language
    if wanted not in current_app.config["LANGUAGES"]:
        wanted = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(wanted):
        yield


def fragment(event: Event, language: str | None, *, only: frozenset[int] | None = None) -> Fragment:
    """The VEVENT text of `event` (see `event_components`) and its zone and years."""
    with texts_locale(event, language):
        components = event_components(event, language, only=only)
    text = b"".join(c.to_ical() for c in components)
    years = [o.start_at.astimezone(event.zone).year for o in event.occurrences] or [
        event.start_at.year
    ]
    return Fragment(
        text=text,
        tzid=None if event.is_all_day else event.timezone,
        first_year=min(years),
        last_year=max(years),
    )


def single_occurrence_calendar(
    occurrence: Occurrence, info: FeedInfo, *, timezone: str, rsvp=None
) -> bytes:
    """One date of an event (a download or an email attachment).

    Same UID as in every feed, so that a subscriber who also opens this file keeps one entry; a
    date of a series carries its RECURRENCE-ID, which names that date within the series."""
    event = occurrence.event
    with texts_locale(event, info.language):
        agenda = agendas(event, [occurrence]).get(occurrence.id)
        component = _date_component(occurrence, event, info.language, agenda)
    if event.rrule:
        component.add("recurrence-id", _recurrence_id(occurrence, event))
    component.add("status", "CANCELLED" if occurrence.is_cancelled_effectively else "CONFIRMED")
    year = occurrence.start_at.astimezone(event.zone).year
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", text(info.name))
    if not event.is_all_day:
        calendar.add_component(vtimezone(event.timezone, year, year))
    calendar.add_component(component)
    if rsvp is not None:  # what is the person's own on that date (their sessions)
        for components in signals.answers(signals.rsvp_calendar, rsvp, language=info.language):
            for own in components:
                calendar.add_component(own)
    return calendar.to_ical()


def ics_attachment(occurrence: Occurrence, language: str | None, *, rsvp=None) -> dict:
    """The date as an `.ics` email attachment (UTF-8, said so in its Content-Type)."""
    event = occurrence.event
    info = FeedInfo(
        name=event.translation(language).title, description=event.host_org.name, language=language
    )
    ics = single_occurrence_calendar(occurrence, info, timezone=event.timezone, rsvp=rsvp)
    return {
        "filename": "event.ics",
        "content_type": "text/calendar; charset=utf-8; method=PUBLISH",
        "data": ics.decode(),
    }
