"""Our own feed, read by another instance (a partner coalition), gives back the same events:
titles, texts, places, zones and every date's UTC start and end. And a series imported with an
RDATE is written back by our feed with that date (ical.js agrees)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.extensions import db
from coalition.sources import ical, operations, sync
from tests.factories import OrganizationFactory, make_event
from tests.feeds.conftest import expand_with_icaljs
from tests.sources.helpers import NOW, imported_events, make_source

ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/Lisbon",
         "America/Port-au-Prince"]  # fmt: skip
PLACES = [
    ("Centro Comunitario", "44 Main St", "Worcester"),
    ("City Hall Plaza", "1 City Hall Sq", "Boston"),
    ("Union Hall", "26 West St", "Springfield"),
]
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéíñç", min_size=1, max_size=12)


@st.composite
def events(draw):
    """A valid event: a start hour and a length that end the same day, in 2027 after NOW."""
    day = draw(st.dates(min_value=date(2027, 2, 10), max_value=date(2027, 12, 20)))
    hour = draw(st.integers(min_value=6, max_value=21))
    minute = draw(st.sampled_from([0, 15, 30, 45]))
    # At most until 23:45 the same day.
    room = (23 * 60 + 45) - (hour * 60 + minute)
    length = draw(st.integers(min_value=15, max_value=min(room, 240)).map(lambda m: m - m % 15))
    length = max(length, 15)
    end = (datetime.combine(day, time(hour, minute)) + timedelta(minutes=length)).time()
    weekly = draw(st.one_of(st.none(), st.integers(min_value=2, max_value=6)))
    venue, address, city = draw(st.sampled_from(PLACES))
    return {
        "title": " ".join(draw(st.lists(WORDS, min_size=1, max_size=4))),
        "description": " ".join(draw(st.lists(WORDS, min_size=0, max_size=8))),
        "timezone": draw(st.sampled_from(ZONES)),
        "start_date": day,
        "start_time": time(hour, minute),
        "end_time": end,
        "venue": venue,
        "address": address,
        "city": city,
        "recurrence": RecurrenceSpec(Frequency.weekly, count=weekly) if weekly else None,
    }


def _dates(event) -> list[tuple[datetime, datetime]]:
    return sorted(
        (o.start_at.astimezone(UTC), o.end_at.astimezone(UTC))
        for o in event.occurrences
        if not o.is_cancelled
    )


@pytest.fixture
def backend():
    return "sqlite"


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(wanted=st.lists(events(), min_size=1, max_size=3))
def test_our_feed_round_trips_through_import(app, client, wanted):
    with time_machine.travel(NOW, tick=False):
        org = OrganizationFactory()
        ours = [make_event(org, **values) for values in wanted]
        body = client.get("/calendar.ics").data
        parsed = ical.parse(body, default_zone="America/New_York", max_events=10_000)
        # Read by another instance: our UIDs are not its own.
        app.config["BASE_URL"] = "https://partner.example"
        try:
            # Imported as drafts (review), so no copy reaches the next example's feed.
            source = make_source("https://localhost.example/calendar.ics")
            sync.apply_feed(source, parsed, NOW)
            db.session.commit()
        finally:
            app.config["BASE_URL"] = "http://localhost"
        by_uid = {i.uid: i.event for i in source.imported}
        for original in ours:
            copy = by_uid[f"event-{original.id}@localhost"]
            assert copy.title == original.title
            assert copy.translation().description == original.translation().description
            assert copy.timezone == original.timezone
            assert copy.is_all_day == original.is_all_day
            assert (copy.venue, copy.address, copy.city) == (
                original.venue, original.address, original.city,
            )  # fmt: skip
            assert _dates(copy) == _dates(original)


def test_our_own_feed_is_skipped_by_ourselves(app, client):
    with time_machine.travel(NOW, tick=False):
        event = make_event(start_date=date(2027, 3, 20))
        parsed = ical.parse(client.get("/calendar.ics").data, default_zone="UTC", max_events=99)
        source = make_source("https://example.org/ours.ics", publishes_at_once=True)
        report = sync.apply_feed(source, parsed, NOW)
        assert report.skipped_own == 1
        assert imported_events(source) == {}
        assert event.id


def test_an_imported_rdate_is_in_our_feed(app, client, feed_server):
    with time_machine.travel(NOW, tick=False):
        source = make_source(feed_server.serve_fixture("apple.ics"), publishes_at_once=True)
        operations.poll(source, NOW)
        db.session.commit()
        vigil = imported_events(source)["Vigil for families"]
        body = client.get("/calendar.ics").data
    assert b"RDATE" in body
    found = sorted(
        o["start"]
        for o in expand_with_icaljs(body, datetime(2028, 1, 1, tzinfo=UTC))
        if o["uid"].startswith(f"event-{vigil.id}@") and o["status"] != "CANCELLED"
    )
    assert found == [s.isoformat().replace("+00:00", ".000Z") for s, _ in _dates(vigil)]
