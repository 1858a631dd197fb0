"""Two instances that import each other's feeds: A's events never come back to A as copies,
also when B re-publishes them under its own UIDs (A -> B -> A). B is this same app under another
address (BASE_URL), its feeds built by our own feed builder and served by the local server."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
import time_machine
from flask import current_app

from coalition.events.ics import FeedInfo
from coalition.events.models import Event
from coalition.extensions import db
from coalition.feeds.builder import build_calendar
from coalition.sources import operations
from coalition.sources.models import ImportedEvent, SourceKind
from tests.factories import OrganizationFactory, make_event
from tests.sources.helpers import NOW, imported_events, make_source


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@contextmanager
def instance(base_url: str):
    """Act as the instance at `base_url` (its UIDs, its pages' addresses)."""
    before = current_app.config["BASE_URL"]
    current_app.config["BASE_URL"] = base_url
    try:
        yield
    finally:
        current_app.config["BASE_URL"] = before


def _feed(events: list[Event]) -> bytes:
    info = FeedInfo(name="Coalition calendar", description="All events")
    return build_calendar(events, info, timezone="America/New_York")


def _poll(source):
    report = operations.poll(source, NOW)
    db.session.commit()
    return report


def test_a_to_b_to_a_brings_nothing_back(db, feed_server):
    org_a = OrganizationFactory(name="Coalition A")
    ours = make_event(org_a, title="A's own vigil")
    db.session.commit()
    a_feed = feed_server.serve("/a/calendar.ics", _feed([ours]))  # A's feed, as A serves it

    with instance("https://b.example"):  # B imports A's feed ...
        from_a = make_source(a_feed, kind=SourceKind.partner, publishes_at_once=True,
                             name="Coalition A")  # fmt: skip
        assert _poll(from_a).created == 1
        copy_on_b = imported_events(from_a)["A's own vigil"]
        b_own = make_event(from_a.org, title="B's own march")
        db.session.commit()
        b_body = _feed([copy_on_b, b_own])  # ... and re-publishes it in its own feed
    text = b_body.decode().replace("\r\n ", "")
    assert f"UID:event-{copy_on_b.id}@b.example" in text
    assert f"X-COALITION-ORIGIN:event-{ours.id}@localhost" in text
    b_feed = feed_server.serve("/b/calendar.ics", b_body)

    from_b = make_source(b_feed, kind=SourceKind.partner, publishes_at_once=True,
                         name="Coalition B")  # fmt: skip
    report = _poll(from_b)
    assert report.skipped_own == 1 and report.created == 1
    assert list(imported_events(from_b)) == ["B's own march"]


def test_an_event_we_imported_keeps_its_first_origin_in_our_feed(db, feed_server):
    """C's event reaches A through B: A's feed names C's UID, not B's, so that C skips it."""
    body = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Coalition//Coalition calendar//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:event-12@b.example\r\nX-COALITION-ORIGIN:event-3@c.example\r\n"
        b"SUMMARY:C's forum\r\nDTSTAMP:20270201T000000Z\r\nDTSTART:20270320T190000Z\r\n"
        b"DTEND:20270320T210000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    source = make_source(feed_server.serve("/b/chain.ics", body), publishes_at_once=True)
    _poll(source)
    forum = imported_events(source)["C's forum"]
    assert db.session.scalar(sa.select(ImportedEvent.origin)) == "event-3@c.example"
    text = _feed([forum]).decode().replace("\r\n ", "")
    assert "X-COALITION-ORIGIN:event-3@c.example" in text
    with instance("https://c.example"):
        back_at_c = make_source(feed_server.serve("/a/chain.ics", _feed([forum])),
                                publishes_at_once=True)  # fmt: skip
        assert _poll(back_at_c).skipped_own == 1


def test_a_link_to_one_of_our_event_pages_is_ours(db, feed_server):
    """Another kind of software re-publishing our event keeps at least its link."""
    body = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:abc123@other.example\r\nURL:http://localhost/events/41\r\n"
        b"SUMMARY:Copied\r\nDTSTAMP:20270201T000000Z\r\nDTSTART:20270320T190000Z\r\n"
        b"END:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:def456@other.example\r\nURL:http://localhost.example/events/41\r\n"
        b"SUMMARY:Not ours\r\nDTSTAMP:20270201T000000Z\r\nDTSTART:20270320T190000Z\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    source = make_source(feed_server.serve("/other/copy.ics", body), publishes_at_once=True)
    report = _poll(source)
    assert report.skipped_own == 1 and list(imported_events(source)) == ["Not ours"]


def test_our_own_events_carry_no_origin(db):
    event = make_event(title="Posted here")
    db.session.commit()
    assert b"X-COALITION-ORIGIN" not in _feed([event])
