"""Three independent parsers agree with our occurrences, also across daylight-saving changes.

icalendar + recurring_ical_events (the Python stack), `ical` (a separate Python implementation)
and ical.js (Thunderbird's parser, run by node) each expand the published feed; all must give the
dates and local times stored in the database.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import recurring_ical_events
from ical.calendar_stream import IcsCalendarStream

from coalition.events import occurrences as occurrence_ops
from coalition.events.recurrence import Frequency, RecurrenceSpec
from tests.factories import OrganizationFactory, make_event
from tests.feeds.conftest import expand_with_icaljs, parse

NY = ZoneInfo("America/New_York")
UNTIL = datetime(2029, 1, 1, tzinfo=UTC)


def _expected(events) -> set[tuple[str, str]]:
    """(uid suffix, UTC start) of every date that is not cancelled, from the database."""
    return {
        (f"event-{e.id}@", o.start_at.astimezone(UTC).isoformat())
        for e in events
        for o in e.occurrences
        if not o.is_cancelled
    }


def _normalize(pairs) -> set[tuple[str, str]]:
    return {(uid.split("@")[0] + "@", start.astimezone(UTC).isoformat()) for uid, start in pairs}


def _world(db):
    org = OrganizationFactory()
    weekly = make_event(
        org,
        title="Rapid response committee",
        recurrence=RecurrenceSpec(Frequency.weekly, count=8),
        start_date=date(2027, 2, 25),  # crosses March 14, 2027 (clocks forward)
        start_time=time(19, 0),
        end_time=time(20, 0),
    )
    monthly = make_event(
        org,
        title="Coalition meeting",
        recurrence=RecurrenceSpec(Frequency.monthly_weekday, count=6),
        start_date=date(2027, 8, 26),  # 4th Thursday; crosses November 7, 2027 (clocks back)
        start_time=time(18, 30),
        end_time=time(20, 30),
    )
    single = make_event(org, title="May Day", start_date=date(2027, 5, 1), start_time=time(11, 0))
    occurrence_ops.cancel_occurrence(weekly.occurrences[3], "Snow")
    occurrence_ops.override_occurrence(
        monthly.occurrences[2],
        occurrence_ops.OccurrenceChange(
            start_date=date(2027, 10, 29), start_time=time(17, 0), end_time=time(19, 0)
        ),
    )
    db.session.commit()
    return [weekly, monthly, single]


def _check_local_times(events):
    weekly, monthly, _single = events
    assert {o.local_start.hour for o in weekly.occurrences} == {19}
    assert {o.local_start.utcoffset().total_seconds() / 3600 for o in weekly.occurrences} == {
        -5,
        -4,
    }
    assert {(o.local_start.hour, o.local_start.minute) for o in monthly.occurrences
            if not o.is_override} == {(18, 30)}  # fmt: skip


def test_recurring_ical_events_agrees(client, db):
    events = _world(db)
    _check_local_times(events)
    calendar = parse(client.get("/calendar.ics").data)
    found = recurring_ical_events.of(calendar).between(datetime(2026, 1, 1), UNTIL)
    pairs = [
        (str(c["UID"]), c["DTSTART"].dt)
        for c in found
        if str(c.get("STATUS", "CONFIRMED")) != "CANCELLED"
    ]
    assert _normalize(pairs) == _expected(events)


def test_ical_package_agrees(client, db):
    events = _world(db)
    body = client.get("/calendar.ics").get_data(as_text=True)
    calendar = IcsCalendarStream.calendar_from_ics(body)
    pairs = []
    for item in calendar.timeline_tz(NY).overlapping(date(2026, 1, 1), date(2029, 1, 1)):
        if item.status and str(item.status).upper().endswith("CANCELLED"):
            continue
        pairs.append((item.uid, item.dtstart))
    assert _normalize(pairs) == _expected(events)


def test_icaljs_agrees(client, db):
    events = _world(db)
    occurrences = expand_with_icaljs(client.get("/calendar.ics").data, UNTIL)
    pairs = [
        (o["uid"], datetime.fromisoformat(o["start"].replace("Z", "+00:00")))
        for o in occurrences
        if o["status"] != "CANCELLED"
    ]
    assert _normalize(pairs) == _expected(events)
    # DST-season dates at the right local time: 19:00 EST (00:00Z) and 19:00 EDT (23:00Z).
    weekly_hours = sorted({p[1].hour for p in pairs if p[0].startswith(f"event-{events[0].id}@")})
    assert weekly_hours == [0, 23]
