"""Reading a feed: VEVENTs made plain values (UTC instants, an IANA zone, clean text).

Nothing here touches the database; `sync` applies what this returns. A VEVENT we cannot read
is left out and counted, never an exception that stops the feed.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import nh3
from dateutil.rrule import rrulestr
from icalendar import Calendar
from icalendar.prop import vRecur

from coalition.sources.zones import iana_name, zone_like

#: Frequencies finer than a day are not events people attend.
_TOO_FREQUENT = {"SECONDLY", "MINUTELY", "HOURLY"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BREAKS = re.compile(r"<br\s*/?>|</p>|</div>|</li>|</h\d>", re.I)
_LINK = re.compile(r"<a\s[^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.I | re.S)
_STATE_ZIP = re.compile(r"^(?:[A-Z]{2}(?:\s+\d{5}(?:-\d{4})?)?|\d{5}(?:-\d{4})?)$")
_COUNTRIES = {"usa", "us", "united states", "united states of america", "canada"}


class FeedError(ValueError):
    """The body is not a calendar at all."""


@dataclass
class Incoming:
    """One VEVENT: a whole event, or (with `recurrence_id`) one changed date of a series."""

    uid: str
    recurrence_id: datetime | None
    sequence: int
    summary: str
    description: str
    location: str
    url: str | None
    categories: list[str]
    status: str
    timezone: str
    is_all_day: bool
    start: datetime
    end: datetime
    rrule: str | None = None
    exdates: list[datetime] = field(default_factory=list)
    rdates: list[datetime] = field(default_factory=list)
    #: No UID in the feed: `uid` was derived from the summary and the start.
    derived_uid: bool = False
    #: X-COALITION-ORIGIN: the UID the event had where it was first published, when another
    #: instance of this service re-publishes an event it imported.
    origin: str | None = None


@dataclass
class Series:
    """A UID's VEVENTs: the master (may be missing) and its changed dates."""

    uid: str
    master: Incoming | None = None
    overrides: list[Incoming] = field(default_factory=list)

    def digest(self) -> str:
        parts = [repr(self.master), *sorted(repr(o) for o in self.overrides)]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass
class Parsed:
    series: dict[str, Series]
    #: VEVENTs seen in the feed (read or not).
    seen: int
    #: VEVENTs left out, and why (one example each).
    skipped: dict[str, int] = field(default_factory=dict)


def clean_text(value: object, limit: int) -> str:
    """Plain text from a TEXT value that may carry HTML (Google and Outlook put some in
    DESCRIPTION): tags dropped, entities decoded, control characters out, bounded."""
    text = str(value or "")
    if "<" in text and ">" in text:
        text = _LINK.sub(_link_text, text)
        text = _BREAKS.sub("\n", text)
        text = html.unescape(nh3.clean(text, tags=set()))
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text[:limit]


def _link_text(match: re.Match) -> str:
    url, label = html.unescape(match.group(1)), match.group(2)
    return label if html.unescape(label) == url else f"{label} ({url})"


def split_location(location: str) -> tuple[str | None, str | None, str | None]:
    """(venue, address, city) from "Venue, 12 Main St, Boston, MA 02108, USA"."""
    parts = [p.strip() for p in location.replace("\n", ",").split(",") if p.strip()]
    while len(parts) > 1 and (parts[-1].lower() in _COUNTRIES or _STATE_ZIP.match(parts[-1])):
        parts.pop()
    if not parts:
        return None, None, None
    if len(parts) == 1:
        return parts[0][:200], None, None
    venue, city = parts[0], parts[-1]
    address = ", ".join(parts[1:-1]) or None
    return venue[:200], (address or None) and address[:300], city[:120]


class _Zones:
    """The zone of a feed's times: a TZID's IANA name, else X-WR-TIMEZONE, else ours."""

    def __init__(self, calendar: Calendar, default: str):
        declared = iana_name(str(calendar.get("X-WR-TIMEZONE") or "")) if calendar else None
        self.default = declared or default

    def when(self, prop, *, zone_hint: str | None = None) -> tuple[datetime | date, str]:
        """(value, IANA zone): a date for an all-day value, else an aware datetime."""
        value = prop.dt
        tzid = prop.params.get("TZID")
        if isinstance(value, datetime):
            return self._datetime(value, tzid, zone_hint)
        return value, zone_hint or self.default

    def _datetime(self, value: datetime, tzid, zone_hint) -> tuple[datetime, str]:
        if tzid:
            name = iana_name(str(tzid))
            if name:
                return value.replace(tzinfo=ZoneInfo(name)), name
            if value.tzinfo is not None:  # built from the feed's own VTIMEZONE
                return value, zone_like(value.tzinfo, value.year)
        if value.tzinfo is None:  # floating time: the calendar's zone
            name = zone_hint or self.default
            return value.replace(tzinfo=ZoneInfo(name)), name
        return value, zone_hint or self.default


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone))


def _instant(value: datetime | date, zone: str) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return _local_midnight(value, zone).astimezone(UTC)


def _dates(component, name: str, zones: _Zones, zone: str) -> list[datetime]:
    found = component.get(name)
    if found is None:
        return []
    lists = found if isinstance(found, list) else [found]
    instants = []
    for item in lists:
        for one in getattr(item, "dts", []):
            value = one.dt
            if isinstance(value, tuple):  # RDATE;VALUE=PERIOD: its start
                value = value[0]
            if isinstance(value, datetime):
                value, _ = zones._datetime(value, one.params.get("TZID") or
                                           item.params.get("TZID"), zone)  # fmt: skip
            instants.append(_instant(value, zone))
    return instants


def _rrule(component, local_start: datetime) -> str | None:
    rule = component.get("RRULE")
    if rule is None:
        return None
    if isinstance(rule, list):
        rule = rule[0]
    parts = vRecur(dict(rule))
    freq = (parts.get("FREQ") or [""])[0]
    if str(freq).upper() in _TOO_FREQUENT:
        raise ValueError("too frequent")
    until = parts.get("UNTIL")
    if until:
        value = until[0]
        if isinstance(value, datetime):
            value = value if value.tzinfo else value.replace(tzinfo=local_start.tzinfo)
        else:  # a DATE: the end of that day where the event happens
            value = datetime.combine(value, time(23, 59, 59), tzinfo=local_start.tzinfo)
        parts["UNTIL"] = [value.astimezone(UTC)]
    # UNTIL in UTC also bounds an all-day series, expanded from its local midnight.
    text = parts.to_ical().decode()
    try:
        rrulestr(text, dtstart=local_start)
    except (ValueError, TypeError) as exc:
        raise ValueError("unreadable repeat rule") from exc
    return text


def _derived_uid(summary: str, start: datetime) -> str:
    digest = hashlib.sha256(f"{summary.strip().lower()}|{start.isoformat()}".encode()).hexdigest()
    return f"derived-{digest[:32]}"


def read_event(component, zones: _Zones) -> Incoming:
    if component.get("DTSTART") is None:
        raise ValueError("no start")
    start_value, zone = zones.when(component["DTSTART"])
    is_all_day = not isinstance(start_value, datetime)
    if component.get("DTEND") is not None:
        end_value, _ = zones.when(component["DTEND"], zone_hint=zone)
    elif component.get("DURATION") is not None:
        end_value = start_value + component["DURATION"].dt
    else:
        end_value = start_value + (timedelta(days=1) if is_all_day else timedelta(hours=1))
    if is_all_day and isinstance(end_value, datetime):
        end_value = end_value.date()
    start, end = _instant(start_value, zone), _instant(end_value, zone)
    if end <= start:
        end = start + (timedelta(days=1) if is_all_day else timedelta(hours=1))
    if end - start > timedelta(days=31):
        raise ValueError("longer than a month")
    summary = clean_text(component.get("SUMMARY"), 200) or "(untitled)"
    url = str(component.get("URL") or "").strip() or None
    if url and not url.lower().startswith(("http://", "https://")):
        url = None
    description = clean_text(component.get("DESCRIPTION"), 20_000)
    if url and description.endswith(url):  # our own feeds end DESCRIPTION with the page's URL
        description = description[: -len(url)].rstrip()
    categories: list[str] = []
    found = component.get("CATEGORIES") or []
    for item in found if isinstance(found, list) else [found]:
        categories += [clean_text(c, 80) for c in getattr(item, "cats", [item])]
    recurrence_id = None
    if component.get("RECURRENCE-ID") is not None:
        rid_value, _ = zones.when(component["RECURRENCE-ID"], zone_hint=zone)
        recurrence_id = _instant(rid_value, zone)
    local_start = start.astimezone(ZoneInfo(zone))
    raw_uid = clean_text(component.get("UID"), 500)
    try:
        sequence = int(component.get("SEQUENCE") or 0)
    except (TypeError, ValueError):
        sequence = 0
    return Incoming(
        uid=raw_uid or _derived_uid(summary, start),
        derived_uid=not raw_uid,
        recurrence_id=recurrence_id,
        sequence=max(0, min(sequence, 2**31 - 1)),
        summary=summary,
        description=description,
        location=clean_text(component.get("LOCATION"), 600),
        url=url[:1000] if url else None,
        categories=[c for c in categories if c],
        status=str(component.get("STATUS") or "CONFIRMED").upper(),
        timezone=zone,
        is_all_day=is_all_day,
        start=start,
        end=end,
        rrule=None if recurrence_id else _rrule(component, local_start),
        exdates=_dates(component, "EXDATE", zones, zone),
        rdates=_dates(component, "RDATE", zones, zone),
        origin=clean_text(component.get("X-COALITION-ORIGIN"), 500) or None,
    )


def parse(body: bytes, *, default_zone: str, max_events: int) -> Parsed:
    try:
        calendar = Calendar.from_ical(body.decode("utf-8", errors="replace"))
    except Exception as exc:  # icalendar raises several kinds on garbage
        raise FeedError("not a calendar") from exc
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise FeedError("not a calendar")
    zones = _Zones(calendar, default_zone)
    parsed = Parsed(series={}, seen=0)
    for component in calendar.walk("VEVENT"):
        parsed.seen += 1
        if parsed.seen > max_events:
            parsed.skipped["too many events"] = parsed.skipped.get("too many events", 0) + 1
            continue
        try:
            incoming = read_event(component, zones)
        except Exception as exc:  # one unreadable VEVENT never stops the others
            reason = str(exc) if isinstance(exc, ValueError) else "unreadable"
            parsed.skipped[reason] = parsed.skipped.get(reason, 0) + 1
            continue
        series = parsed.series.setdefault(incoming.uid, Series(incoming.uid))
        if incoming.recurrence_id is None:
            if series.master is None or incoming.sequence >= series.master.sequence:
                series.master = incoming
        else:
            series.overrides = [
                o for o in series.overrides if o.recurrence_id != incoming.recurrence_id
            ] + [incoming]
    return parsed
