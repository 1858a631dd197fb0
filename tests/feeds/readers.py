"""Six independent readers of what we publish, each asked for the dates it would show.

icalendar + recurring-ical-events and `ical` (Python), icalevents (Python, its own expansion),
vobject (Python, with validation; its own parser and dateutil's rules), ical.js (Thunderbird's
parser) and node-ical (used by many Node calendar tools), the last two run by node. Each gives
(uid, start in UTC, status) for every date up to `until`; a date dropped by EXDATE is simply
absent.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import recurring_ical_events
import vobject
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from icalevents.icalevents import events as icalevents_events

JS = Path(__file__).parent / "js"
SINCE = datetime(2000, 1, 1, tzinfo=UTC)
NY = ZoneInfo("America/New_York")

Date = tuple[str, str, str]  # (uid, UTC start ISO, STATUS)


def _utc(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC).isoformat()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC).isoformat()


def _status(value) -> str:
    text = str(value or "CONFIRMED").upper()
    return text.rsplit(".", 1)[-1]


def _node(script: str, body: bytes, until: datetime) -> list[Date]:
    result = subprocess.run(
        ["node", str(JS / script), until.isoformat()],
        input=body,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return [(o["uid"], _utc(o["start"]), _status(o["status"])) for o in json.loads(result.stdout)]


def read_recurring_ical_events(body: bytes, until: datetime) -> list[Date]:
    found = recurring_ical_events.of(Calendar.from_ical(body)).between(SINCE, until)
    return [(str(c["UID"]), _utc(c["DTSTART"].dt), _status(c.get("STATUS"))) for c in found]


def read_ical(body: bytes, until: datetime) -> list[Date]:
    calendar = IcsCalendarStream.calendar_from_ics(body.decode())
    items = calendar.timeline_tz(NY).overlapping(SINCE.date(), until.date())
    return [(item.uid, _utc(item.dtstart), _status(item.status)) for item in items]


def read_icalevents(body: bytes, until: datetime) -> list[Date]:
    found = icalevents_events(string_content=body, start=SINCE, end=until)
    return [(e.uid, _utc(e.start), _status(e.status)) for e in found]


def read_vobject(body: bytes, until: datetime) -> list[Date]:
    """vobject parses (and validates) the calendar; its rule sets (dateutil, EXDATE applied)
    give a series' dates, and a RECURRENCE-ID VEVENT replaces the date it names."""
    calendar = vobject.readOne(body.decode(), validate=True)
    masters, overrides = [], []
    for component in calendar.contents.get("vevent", []):
        (overrides if "recurrence_id" in component.contents else masters).append(component)
    replaced = {(c.uid.value, _utc(c.recurrence_id.value)) for c in overrides}
    found: list[Date] = []
    for component in masters:
        uid = component.uid.value
        status = _status(component.status.value if "status" in component.contents else None)
        start = component.dtstart.value
        if "rrule" in component.contents:
            rules = component.getrruleset(addRDate=True)
            naive = not isinstance(start, datetime) or start.tzinfo is None
            low, high = (SINCE, until) if not naive else (SINCE.replace(tzinfo=None),
                                                          until.replace(tzinfo=None))  # fmt: skip
            starts = rules.between(low, high, inc=True)
        else:
            starts = [start]
        for moment in starts:
            if isinstance(moment, datetime) and moment.tzinfo is None and isinstance(start, date) \
                    and not isinstance(start, datetime):  # fmt: skip
                moment = moment.date()
            if (uid, _utc(moment)) not in replaced:
                found.append((uid, _utc(moment), status))
    for component in overrides:
        status = _status(component.status.value if "status" in component.contents else None)
        found.append((component.uid.value, _utc(component.dtstart.value), status))
    return found


def read_vobject_names(body: bytes) -> dict:
    """The calendar's names and the events' summaries as vobject reads them (TEXT unescaped)."""
    calendar = vobject.readOne(body.decode(), validate=True)
    return {
        "NAME": calendar.contents["name"][0].value,
        "X-WR-CALNAME": calendar.contents["x-wr-calname"][0].value,
        "SUMMARY": [c.summary.value for c in calendar.contents.get("vevent", [])],
    }


def read_icaljs(body: bytes, until: datetime) -> list[Date]:
    return _node("expand.mjs", body, until)


def read_node_ical(body: bytes, until: datetime) -> list[Date]:
    return _node("expand_node_ical.mjs", body, until)


READERS = {
    "recurring-ical-events": read_recurring_ical_events,
    "ical": read_ical,
    "icalevents": read_icalevents,
    "vobject": read_vobject,
    "ical.js": read_icaljs,
    "node-ical": read_node_ical,
}


def all_readers(body: bytes, until: datetime) -> dict[str, list[Date]]:
    return {name: read(body, until) for name, read in READERS.items()}


def shown(dates: list[Date]) -> set[tuple[str, str]]:
    """(uid without host, start) of the dates a reader shows as happening."""
    return {(uid.split("@")[0], start) for uid, start, status in dates if status != "CANCELLED"}
