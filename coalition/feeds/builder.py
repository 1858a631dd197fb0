"""Whole calendars (feeds): a header, its VTIMEZONEs, and each event's VEVENT text (a
"fragment", built by `events/ics.py` and cached by `fragments.py`) concatenated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import webcolors
from icalendar import Calendar, vDuration

from coalition.events.ics import PRODID, FeedInfo, Fragment, fragment
from coalition.events.ics_text import text
from coalition.events.ics_timezones import vtimezone_ical
from coalition.events.models import Event

#: How often subscribed clients should poll.
REFRESH = timedelta(hours=1)
_END = b"END:VCALENDAR\r\n"


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


def _header(info: FeedInfo, *, timezone: str, zones: set[str], years: tuple[int, int]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", text(info.name))
    calendar.add("x-wr-calname", text(info.name))
    calendar.add("description", text(info.description))
    calendar.add("x-wr-caldesc", text(info.description))
    calendar.add("x-wr-timezone", timezone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    if info.url:
        calendar.add("url", info.url)
    if info.color:
        calendar.add("color", _css_color(info.color))
        calendar.add("x-apple-calendar-color", info.color)
    body = calendar.to_ical()
    assert body.endswith(_END)
    zone_texts = [vtimezone_ical(tzid, *years) for tzid in sorted(zones | {timezone})]
    return b"".join([body[: -len(_END)], *zone_texts])


def assemble(fragments: list[Fragment], info: FeedInfo, *, timezone: str) -> bytes:
    """A whole calendar: header, VTIMEZONEs, then the events' VEVENT texts."""
    if fragments:
        texts, tzids, firsts, lasts = zip(*fragments, strict=True)  # columns, at C speed
        years = (min(firsts), max(lasts))
        zones = set(tzids)
        zones.discard(None)
    else:
        this_year = datetime.now(UTC).year
        texts, years, zones = (), (this_year, this_year), set()
    head = _header(info, timezone=timezone, zones=zones, years=years)
    return b"".join([head, *texts, _END])


def build_calendar(events: list[Event], info: FeedInfo, *, timezone: str) -> bytes:
    """A calendar of `events`, built without any cache."""
    return assemble([fragment(e, info.language) for e in events], info, timezone=timezone)
