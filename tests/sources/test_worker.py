"""The worker polls due sources politely; a hostile or broken one cannot hold the others."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine

from coalition.sources import operations
from tests.sources.helpers import NOW, imported_events, make_source

FEED = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
    "SUMMARY:{summary}\r\nDTSTART:20270320T150000Z\r\nDTEND:20270320T170000Z\r\n"
    "DTSTAMP:20270201T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _serve(feed_server, name, uid, summary):
    return feed_server.serve(f"/w-{name}.ics", FEED.format(uid=uid, summary=summary).encode())


def test_the_worker_has_the_job(app):
    from coalition.worker import build_scheduler

    assert "poll-sources" in {job.id for job in build_scheduler(app).get_jobs()}


def test_only_due_sources_are_polled_each_on_its_schedule(db, feed_server):
    due = make_source(_serve(feed_server, "due", "a@x", "Due"), publishes_at_once=True)
    later = make_source(_serve(feed_server, "later", "b@x", "Later"), publishes_at_once=True)
    later.next_poll_at = NOW + timedelta(minutes=30)
    db.session.commit()
    assert operations.poll_due(NOW) == 1
    assert list(imported_events(due)) == ["Due"]
    assert imported_events(later) == {}
    assert due.next_poll_at == NOW + timedelta(minutes=due.poll_minutes)


def test_a_hanging_feed_costs_its_budget_and_the_next_source_still_imports(db, feed_server, app):
    app.config["SOURCES_TIMEOUT"] = 1

    def hang(out):
        out.write(b"BEGIN:VCALENDAR\r\n")
        out.flush()
        time.sleep(3)

    feed_server.routes["/hang.ics"] = (200, {"Content-Type": "text/calendar"}, hang)
    hanging = make_source(feed_server.url("/hang.ics"))
    fine = make_source(_serve(feed_server, "fine", "c@x", "Fine"), publishes_at_once=True)
    started = time.perf_counter()
    assert operations.poll_due(NOW) == 2
    assert time.perf_counter() - started < 3
    assert "too long" in hanging.last_error and hanging.failures == 1
    assert list(imported_events(fine)) == ["Fine"]


def test_a_feed_that_breaks_the_import_is_recorded_not_retried_at_once(db, feed_server):
    bad = feed_server.serve(
        "/w-bad.ics",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:notadate\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:y\r\nSUMMARY:Fine one\r\nDTSTART:20270320T150000Z\r\n"
        b"RRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    source = make_source(bad, publishes_at_once=True)
    operations.poll_due(NOW)
    assert "could not be read" in source.last_error
    assert imported_events(source) == {}
    assert source.next_poll_at > NOW
