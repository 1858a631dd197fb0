"""Feeds as real calendar software exports them import with the right dates across the March 14,
2027 change (19:00 EST is 00:00Z the next day, 19:00 EDT is 23:00Z), checked against ical.js."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from coalition.events.models import EventStatus
from coalition.extensions import db
from coalition.sources import operations
from tests.feeds.conftest import expand_with_icaljs
from tests.sources.conftest import FIXTURES
from tests.sources.helpers import NOW, imported_events, make_source, starts


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _import(feed_server, name: str, **fields):
    source = make_source(feed_server.serve_fixture(name), publishes_at_once=True, **fields)
    report = operations.poll(source, NOW)
    db.session.commit()
    assert source.last_error is None, source.last_error
    return source, report


def _icaljs(name: str) -> dict[str, list[str]]:
    """{summary: [UTC starts not cancelled]} as Thunderbird's parser reads the fixture."""
    found: dict[str, list[str]] = {}
    body = (FIXTURES / name).read_bytes()
    for o in expand_with_icaljs(body, datetime(2028, 1, 1, tzinfo=UTC)):
        if o["status"] == "CANCELLED":
            continue
        start = datetime.fromisoformat(o["start"].replace("Z", "+00:00"))
        found.setdefault(o["summary"], []).append(start.strftime("%Y-%m-%dT%H:%MZ"))
    return {k: sorted(v) for k, v in found.items()}


def _as_icaljs(events) -> dict[str, list[str]]:
    """Our dates as ical.js prints them: an all-day date as midnight UTC of that day (a floating
    date in node's zone, UTC), a timed one as its instant."""
    return {
        title: [f"{o.local_start:%Y-%m-%d}T00:00Z" for o in e.occurrences if not o.is_cancelled]
        if e.is_all_day
        else starts(e)
        for title, e in events.items()
    }


def test_google_calendar(db, feed_server):
    source, report = _import(feed_server, "google.ics")
    events = imported_events(source)
    weekly = events["Comité de base / Base committee"]
    assert weekly.timezone == "America/New_York"
    # Thursdays 19:00 New York: EST before the 14th, EDT after; the 18th is an EXDATE and the
    # 25th was moved to 20:00 (a RECURRENCE-ID override).
    assert starts(weekly) == [
        "2027-03-05T00:00Z", "2027-03-12T00:00Z", "2027-03-26T00:00Z", "2027-04-01T23:00Z",
    ]  # fmt: skip
    assert "2027-03-18T23:00Z" in starts(weekly, cancelled=True)
    assert weekly.city == "Worcester"
    assert weekly.venue == "Centro Comunitario"
    description = weekly.translation().description
    assert "Everyone welcome" in description and "<b>" not in description
    assert "More (https://example.org/comite)" in description
    training = events["Know Your Rights training"]
    assert "<script>" not in training.translation().description
    assert starts(training) == ["2027-03-20T14:00Z"]
    may_day = events["May Day: a day without immigrants"]
    assert may_day.is_all_day and starts(may_day) == ["2027-05-01T04:00Z"]
    # A cancelled event we never had is not brought in.
    assert "Leafleting (called off)" not in events
    assert all(e.status == EventStatus.published for e in events.values())
    assert report.created == 3
    assert source.events_seen == 5
    assert _icaljs("google.ics") == _as_icaljs(events)


def test_outlook_with_windows_zone_names(db, feed_server):
    source, _ = _import(feed_server, "outlook.ics")
    events = imported_events(source)
    meeting = events["Coalition meeting"]
    assert meeting.timezone == "America/New_York"  # from "Eastern Standard Time"
    # Every 4th Thursday at 18:30 New York: February and March 2027 on both sides of the change.
    assert starts(meeting) == [
        "2027-02-25T23:30Z", "2027-03-25T22:30Z", "2027-04-22T22:30Z", "2027-05-27T22:30Z",
    ]  # fmt: skip
    press = events["Press conference at the State House"]
    assert press.timezone == "America/New_York"  # from "(UTC-05:00) Eastern Time (US & Canada)"
    assert starts(press) == ["2027-03-15T14:00Z"]  # 10:00 EDT, the day after the change
    assert press.city == "Boston"
    retreat = events["Strategy retreat"]
    assert retreat.is_all_day
    assert (retreat.start_at.isoformat(), retreat.end_at.isoformat()) == (
        "2027-03-13T05:00:00+00:00", "2027-03-15T04:00:00+00:00",
    )  # fmt: skip
    assert _icaljs("outlook.ics") == _as_icaljs(events)


def test_apple_calendar_keeps_its_rdate(db, feed_server):
    source, _ = _import(feed_server, "apple.ics")
    events = imported_events(source)
    vigil = events["Vigil for families"]
    # Three Saturdays at 11:00 (the 6th in EST, then EDT) and the RDATE the 27th.
    assert starts(vigil) == [
        "2027-03-06T16:00Z", "2027-03-13T16:00Z", "2027-03-20T15:00Z", "2027-03-27T15:00Z",
    ]  # fmt: skip
    assert [o.is_added for o in vigil.occurrences] == [False, False, False, True]
    assert vigil.venue == "Northampton City Hall" and vigil.city == "Northampton"
    week = events["Court accompaniment week"]
    assert week.is_all_day and week.end_at - week.start_at == (
        datetime(2027, 4, 9) - datetime(2027, 4, 5)
    )
    assert _icaljs("apple.ics") == _as_icaljs(events)


def test_the_rdate_survives_the_nightly_series_extension(db, feed_server):
    from coalition.events.operations import extend_series

    source, _ = _import(feed_server, "apple.ics")
    extend_series(now=NOW)
    db.session.commit()
    assert "2027-03-27T15:00Z" in starts(imported_events(source)["Vigil for families"])


def test_thunderbird(db, feed_server):
    source, _ = _import(feed_server, "thunderbird.ics")
    training = imported_events(source)["Rapid responder training"]
    assert starts(training) == ["2027-03-02T23:00Z", "2027-03-16T22:00Z", "2027-03-23T22:00Z"]
    assert training.city == "Springfield"
    assert _icaljs("thunderbird.ics") == {"Rapid responder training": starts(training)}


def test_an_event_without_uid_keeps_one_stable_key(db, feed_server):
    source, _ = _import(feed_server, "website_no_uid.ics")
    source.next_poll_at = NOW
    operations.poll(source, NOW)  # the same feed again: the same event, not a copy
    db.session.commit()
    events = imported_events(source)
    assert list(events) == ["Father's Day action planning"]
    # A floating time is read in the coalition's zone.
    assert starts(events["Father's Day action planning"]) == ["2027-04-10T19:00Z"]


def test_our_own_events_are_recognized_and_skipped(db, feed_server):
    source, report = _import(feed_server, "own_and_partner_feed.ics")
    assert report.skipped_own == 1
    assert list(imported_events(source)) == ["A partner's forum"]
