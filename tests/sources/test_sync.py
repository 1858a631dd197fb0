"""The next poll brings a change, a cancellation or a removal to the calendar and to the people
who RSVP'd; an older copy (lower SEQUENCE) changes nothing; an unchanged feed writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from coalition.events.models import EventStatus
from coalition.extensions import db
from coalition.mail.models import OutgoingEmail
from coalition.rsvps import operations as rsvp_ops
from coalition.sources import operations
from tests.sources.helpers import NOW, imported_events, make_source, starts

HEADER = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"


def _vevent(uid="rally-1@google.com", *, summary="Rally at City Hall", start="20270320T150000",
            end="20270320T170000", sequence=0, status="CONFIRMED", extra="") -> str:  # fmt: skip
    return (
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nSUMMARY:{summary}\r\nDTSTAMP:20270201T000000Z\r\n"
        f"DTSTART;TZID=America/New_York:{start}\r\nDTEND;TZID=America/New_York:{end}\r\n"
        f"SEQUENCE:{sequence}\r\nSTATUS:{status}\r\nLOCATION:City Hall\\, Worcester\r\n{extra}"
        "END:VEVENT\r\n"
    )


def _feed(*vevents: str) -> bytes:
    return (HEADER + "".join(vevents) + "END:VCALENDAR\r\n").encode()


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def served(feed_server, request):
    path = "/" + "".join(c if c.isalnum() else "-" for c in request.node.name) + ".ics"

    def serve(body: bytes, **kwargs) -> str:
        return feed_server.serve(path, body, **kwargs)

    return serve


def _poll(source, now=NOW):
    source.next_poll_at = now
    report = operations.poll(source, now)
    db.session.commit()
    return report


def _rsvp(event, email="ana@example.org"):
    rsvp_ops.submit(event.occurrences[0], rsvp_ops.RSVPInput(name="Ana", email=email), now=NOW)
    db.session.commit()


def _sent(kind: str) -> list[str]:
    rows = db.session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.kind == kind))
    return [row.recipient for row in rows]


def test_a_change_updates_the_event_and_its_sequence(db, served):
    source = make_source(served(_feed(_vevent())), publishes_at_once=True)
    _poll(source)
    event = imported_events(source)["Rally at City Hall"]
    before = event.sequence
    served(_feed(_vevent(start="20270320T160000", end="20270320T180000", sequence=1,
                         summary="Rally at City Hall (new time)")))  # fmt: skip
    report = _poll(source)
    assert report.updated == 1
    event = imported_events(source)["Rally at City Hall (new time)"]
    assert starts(event) == ["2027-03-20T20:00Z"]  # 16:00 EDT
    assert event.sequence > before


def test_an_older_sequence_is_ignored(db, served):
    source = make_source(served(_feed(_vevent(sequence=3))), publishes_at_once=True)
    _poll(source)
    served(_feed(_vevent(sequence=2, summary="Stale copy")))
    _poll(source)
    assert list(imported_events(source)) == ["Rally at City Hall"]


def test_an_unchanged_feed_writes_nothing(db, served):
    source = make_source(served(_feed(_vevent())), publishes_at_once=True)
    _poll(source)
    event = imported_events(source)["Rally at City Hall"]
    revision = event.revision
    report = _poll(source)
    assert report.unchanged == 1 and report.updated == 0
    db.session.refresh(event)
    assert event.revision == revision


def test_a_304_keeps_everything(db, served, feed_server):
    source = make_source(served(_feed(_vevent()), headers={"ETag": '"abc"'}),
                         publishes_at_once=True)  # fmt: skip
    _poll(source)
    assert source.etag == '"abc"'
    _poll(source)
    assert feed_server.requests[-1]["If-None-Match"] == '"abc"'
    assert source.last_error is None and source.last_success_at == NOW


def test_status_cancelled_cancels_here_and_tells_who_rsvpd(db, served, app):
    source = make_source(served(_feed(_vevent())), publishes_at_once=True)
    _poll(source)
    _rsvp(imported_events(source)["Rally at City Hall"])
    served(_feed(_vevent(sequence=1, status="CANCELLED")))
    report = _poll(source)
    assert report.cancelled == 1
    event = imported_events(source)["Rally at City Hall"]
    assert event.status == EventStatus.cancelled
    assert _sent("event_cancelled") == ["ana@example.org"]
    notice = db.session.scalar(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "event_cancelled")
    )
    assert "Cancelled in Worcester Immigrant Coalition's calendar." in notice.body_text


def test_a_cancellation_by_the_feed_reaches_each_person_in_their_language(db, served, client):
    """Nothing is stored in English on the event: a Spanish speaker's notice gives the reason
    in Spanish, and the event's page says it in each reader's language."""
    source = make_source(served(_feed(_vevent())), publishes_at_once=True)
    _poll(source)
    event = imported_events(source)["Rally at City Hall"]
    rsvp_ops.submit(event.occurrences[0], rsvp_ops.RSVPInput(name="Rosa", email="rosa@example.org",
                                                            language="es"), now=NOW)  # fmt: skip
    db.session.commit()
    served(_feed(_vevent(sequence=1, status="CANCELLED")))
    _poll(source)
    assert event.status == EventStatus.cancelled and not event.cancel_reason
    notice = db.session.scalar(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "event_cancelled")
    )
    assert notice.recipient == "rosa@example.org"
    assert "Cancelado en el calendario de Worcester Immigrant Coalition." in notice.body_text
    assert "Cancelled in" not in notice.body_text
    page = f"/events/{event.id}"
    english = client.get(page).get_data(as_text=True)
    assert "Cancelled in Worcester Immigrant Coalition&#39;s calendar." in english
    client.set_cookie("lang", "es", domain="localhost")
    spanish = client.get(page).get_data(as_text=True)
    assert "Cancelado en el calendario de Worcester Immigrant Coalition." in spanish


def test_an_event_gone_from_the_feed_is_cancelled_and_people_told(db, served):
    source = make_source(served(_feed(_vevent(), _vevent("other@google.com", summary="Forum"))),
                         publishes_at_once=True)  # fmt: skip
    _poll(source)
    _rsvp(imported_events(source)["Forum"], "luis@example.org")
    served(_feed(_vevent()))
    _poll(source)
    forum = imported_events(source)["Forum"]
    assert forum.status == EventStatus.cancelled
    assert _sent("event_cancelled") == ["luis@example.org"]
    assert imported_events(source)["Rally at City Hall"].status == EventStatus.published


def test_a_past_event_dropped_by_the_feed_is_not_cancelled(db, served):
    source = make_source(served(_feed(_vevent())), publishes_at_once=True)
    _poll(source)
    served(_feed(_vevent("later@google.com", summary="Later", start="20270501T150000",
                         end="20270501T170000")))  # fmt: skip
    later = NOW + timedelta(days=60)  # the rally (March 20) is over
    with time_machine.travel(later, tick=False):
        _poll(source, later)
    assert imported_events(source)["Rally at City Hall"].status == EventStatus.published


def test_an_emptied_feed_cancels_nothing(db, served):
    body = _feed(*(_vevent(f"e{i}@google.com", summary=f"Event {i}") for i in range(3)))
    source = make_source(served(body), publishes_at_once=True)
    _poll(source)
    served(_feed())
    _poll(source)
    assert "came back empty" in source.last_error
    assert {e.status for e in imported_events(source).values()} == {EventStatus.published}


def test_a_cancelled_date_of_a_series_reaches_its_people(db, served):
    rule = "RRULE:FREQ=WEEKLY;COUNT=3\r\n"
    source = make_source(served(_feed(_vevent(extra=rule))), publishes_at_once=True)
    _poll(source)
    event = imported_events(source)["Rally at City Hall"]
    rsvp_ops.submit(event.occurrences[1], rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"),
                    now=NOW)  # fmt: skip
    db.session.commit()
    served(_feed(_vevent(extra=rule + "EXDATE;TZID=America/New_York:20270327T150000\r\n",
                         sequence=1)))  # fmt: skip
    _poll(source)
    assert starts(event) == ["2027-03-20T19:00Z", "2027-04-03T19:00Z"]
    assert _sent("event_cancelled") == ["ana@example.org"]


def test_new_events_wait_for_review_unless_published_at_once(db, served):
    source = make_source(served(_feed(_vevent())))
    _poll(source)
    event = imported_events(source)["Rally at City Hall"]
    assert event.status == EventStatus.draft
    assert [i.event for i in operations.waiting(source.org)] == [event]


def test_locally_edited_fields_are_left_alone(db, served):
    source = make_source(served(_feed(_vevent())), publishes_at_once=True,
                         editable_fields=("title",))  # fmt: skip
    _poll(source)
    event = imported_events(source)["Rally at City Hall"]
    event.translation().title = "Rally: bring signs"
    db.session.commit()
    served(_feed(_vevent(sequence=1, summary="Rally at City Hall", start="20270320T160000",
                         end="20270320T180000")))  # fmt: skip
    _poll(source)
    assert list(imported_events(source)) == ["Rally: bring signs"]
    assert starts(event) == ["2027-03-20T20:00Z"]


def test_errors_back_off_and_say_why(db, served, feed_server):
    source = make_source(feed_server.url("/nothing-here.ics"))
    _poll(source)
    assert source.failures == 1
    assert "no calendar at this address" in source.last_error
    first_wait = source.next_poll_at - NOW
    _poll(source)
    assert source.failures == 2
    assert source.next_poll_at - NOW == 2 * first_wait
    served(_feed(_vevent()))
    source.url = served(_feed(_vevent()))
    _poll(source)
    assert source.failures == 0 and source.last_error is None


def test_garbage_is_not_a_calendar(db, served):
    source = make_source(served(b"<html><body>Sign in to Google</body></html>"))
    _poll(source)
    assert "not a calendar" in source.last_error
