"""Five independent readers of what we publish, each asked for the dates it would show.

icalendar + recurring-ical-events and `ical` (Python), icalevents (Python, its own expansion),
ical.js (Thunderbird's parser) and node-ical (used by many Node calendar tools), the last two run
by node. Each gives (uid, start in UTC, status) for every date up to `until`; a date dropped by
EXDATE is simply absent.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import recurring_ical_events
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


def read_icaljs(body: bytes, until: datetime) -> list[Date]:
    return _node("expand.mjs", body, until)


def read_node_ical(body: bytes, until: datetime) -> list[Date]:
    return _node("expand_node_ical.mjs", body, until)


READERS = {
    "recurring-ical-events": read_recurring_ical_events,
    "ical": read_ical,
    "icalevents": read_icalevents,
    "ical.js": read_icaljs,
    "node-ical": read_node_ical,
}


def all_readers(body: bytes, until: datetime) -> dict[str, list[Date]]:
    return {name: read(body, until) for name, read in READERS.items()}


def shown(dates: list[Date]) -> set[tuple[str, str]]:
    """(uid without host, start) of the dates a reader shows as happening."""
    return {(uid.split("@")[0], start) for uid, start, status in dates if status != "CANCELLED"}
