"""An event (or a date) the feed had cancelled or dropped, listed again: on again here, and the
people who RSVPed told so, each in their language and on their channel (email or text), through
the notices (`event_restored`). A date an organizer cancelled here stays cancelled."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine

from coalition.events.models import EventStatus
from coalition.events.occurrences import cancel_occurrence
from coalition.extensions import db
from coalition.mail.models import OutgoingEmail
from coalition.rsvps import operations as rsvp_ops
from coalition.sources import operations
from coalition.volunteers import operations as volunteer_ops
from coalition.volunteers.models import RoleKind
from tests.sources.helpers import NOW, imported_events, make_source, starts
from tests.sources.test_sync import _feed, _vevent

WEEKLY = "RRULE:FREQ=WEEKLY;COUNT=3\r\n"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def served(feed_server, request):
    path = "/back-" + "".join(c if c.isalnum() else "-" for c in request.node.name) + ".ics"
    return lambda body: feed_server.serve(path, body)


def _poll(source):
    source.next_poll_at = NOW
    report = operations.poll(source, NOW)
    db.session.commit()
    return report


def _notices(kind: str) -> list[OutgoingEmail]:
    query = sa.select(OutgoingEmail).where(OutgoingEmail.kind == kind)
    return list(db.session.scalars(query.order_by(OutgoingEmail.id)))


def _people(occurrence):
    for person in (
        rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"),
        rsvp_ops.RSVPInput(name="Rosa", email="rosa@example.org", language="es"),
        rsvp_ops.RSVPInput(name="Jean", phone="+16175550142", language="ht"),
    ):
        rsvp_ops.submit(occurrence, person, now=NOW)
    db.session.commit()


def test_an_event_back_in_the_feed_is_on_again_and_its_people_told(db, served):
    source = make_source(served(_feed(_vevent(), _vevent("forum@x", summary="Forum"))),
                         publishes_at_once=True)  # fmt: skip
    _poll(source)
    forum = imported_events(source)["Forum"]
    _people(forum.occurrences[0])
    served(_feed(_vevent()))
    _poll(source)
    assert forum.status == EventStatus.cancelled
    assert len(_notices("event_cancelled")) == 3
    served(_feed(_vevent(), _vevent("forum@x", summary="Forum")))
    report = _poll(source)
    db.session.refresh(forum)
    assert report.updated == 1
    assert forum.status == EventStatus.published and forum.cancelled_at is None
    told = {n.recipient: n for n in _notices("event_restored")}
    assert set(told) == {"ana@example.org", "rosa@example.org", "+16175550142"}
    assert told["ana@example.org"].subject == "Back on: Forum"
    assert "it is back on. Your RSVP stands" in told["ana@example.org"].body_text
    assert told["rosa@example.org"].subject == "Confirmado de nuevo: Forum"
    assert told["+16175550142"].channel == "sms"
    assert "Forum" in told["+16175550142"].body_text
    assert "Back on" not in told["+16175550142"].body_text  # in Creole
    # The next poll of the same feed tells nobody again.
    _poll(source)
    assert len(_notices("event_restored")) == 3


def test_helpers_of_an_event_back_in_the_feed_are_told_their_shift_stands(db, served):
    """The helpers were told of the cancellation; they are told it is back on, by email or by
    text, in their language, and still signed up."""
    source = make_source(served(_feed(_vevent(), _vevent("forum@x", summary="Forum"))),
                         publishes_at_once=True)  # fmt: skip
    _poll(source)
    forum = imported_events(source)["Forum"]
    marshals = volunteer_ops.RoleInput(RoleKind.marshal, 3)
    role = volunteer_ops.add_role(forum.occurrences[0], marshals)
    for person in (
        volunteer_ops.HelperInput(name="Beto", email="beto@example.org", language="es"),
        volunteer_ops.HelperInput(name="Jean", phone="+16175550143", language="ht"),
    ):
        volunteer_ops.submit(role, person, now=NOW)
    db.session.commit()
    served(_feed(_vevent()))
    _poll(source)
    assert {n.recipient for n in _notices("helper_cancelled")} == {"beto@example.org",
                                                                     "+16175550143"}  # fmt: skip
    assert _notices("helper_restored") == []
    served(_feed(_vevent(), _vevent("forum@x", summary="Forum")))
    _poll(source)
    told = {n.recipient: n for n in _notices("helper_restored")}
    assert set(told) == {"beto@example.org", "+16175550143"}
    assert told["beto@example.org"].subject == "Confirmado de nuevo: Forum"
    assert "Su inscripción sigue vigente" in told["beto@example.org"].body_text
    assert told["+16175550143"].channel == "sms"
    assert "Ou toujou enskri pou ede" in told["+16175550143"].body_text
    assert volunteer_ops.signed_up_count(role.id) == 2
    _poll(source)
    assert len(_notices("helper_restored")) == 2


def test_an_event_the_feed_cancelled_then_confirmed_again_is_on_again(db, served):
    source = make_source(served(_feed(_vevent())), publishes_at_once=True)
    _poll(source)
    rally = imported_events(source)["Rally at City Hall"]
    rsvp_ops.submit(rally.occurrences[0], rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"),
                    now=NOW)  # fmt: skip
    db.session.commit()
    served(_feed(_vevent(sequence=1, status="CANCELLED")))
    _poll(source)
    assert rally.status == EventStatus.cancelled
    served(_feed(_vevent(sequence=2, status="CONFIRMED")))
    _poll(source)
    assert rally.status == EventStatus.published
    assert [n.recipient for n in _notices("event_restored")] == ["ana@example.org"]


def test_an_older_copy_does_not_bring_back_what_the_feed_cancelled(db, served):
    """SEQUENCE: a copy older than the cancellation (a stale mirror) changes nothing and tells
    nobody; the next version does."""
    source = make_source(served(_feed(_vevent(sequence=1))), publishes_at_once=True)
    _poll(source)
    rally = imported_events(source)["Rally at City Hall"]
    rsvp_ops.submit(rally.occurrences[0], rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"),
                    now=NOW)  # fmt: skip
    db.session.commit()
    served(_feed(_vevent(sequence=2, status="CANCELLED")))
    _poll(source)
    served(_feed(_vevent(sequence=1, status="CONFIRMED")))
    _poll(source)
    assert rally.status == EventStatus.cancelled
    assert _notices("event_restored") == []
    served(_feed(_vevent(sequence=3, status="CONFIRMED")))
    _poll(source)
    assert rally.status == EventStatus.published
    assert [n.recipient for n in _notices("event_restored")] == ["ana@example.org"]


def test_an_older_copy_of_an_event_gone_from_the_feed_leaves_it_gone(db, served, client):
    source = make_source(served(_feed(_vevent(sequence=2), _vevent("forum@x", summary="Forum"))),
                         publishes_at_once=True)  # fmt: skip
    _poll(source)
    rally = imported_events(source)["Rally at City Hall"]
    _people(rally.occurrences[0])
    served(_feed(_vevent("forum@x", summary="Forum")))
    _poll(source)
    assert rally.status == EventStatus.cancelled
    served(_feed(_vevent(sequence=1), _vevent("forum@x", summary="Forum")))
    _poll(source)
    _poll(source)
    assert rally.status == EventStatus.cancelled
    assert _notices("event_restored") == []
    data = client.get(f"/api/v1/events/{rally.id}").get_json()
    assert data["cancel_reason"] == "Removed from Worcester Immigrant Coalition's calendar."
    served(_feed(_vevent(sequence=2), _vevent("forum@x", summary="Forum")))
    _poll(source)
    assert rally.status == EventStatus.published
    assert len(_notices("event_restored")) == 3


def test_a_date_back_in_the_series_is_on_again_and_its_people_told(db, served):
    source = make_source(served(_feed(_vevent(extra=WEEKLY))), publishes_at_once=True)
    _poll(source)
    rally = imported_events(source)["Rally at City Hall"]
    second = sorted(rally.occurrences, key=lambda o: o.start_at)[1]
    rsvp_ops.submit(second, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"), now=NOW)
    db.session.commit()
    served(
        _feed(
            _vevent(sequence=1, extra=WEEKLY + "EXDATE;TZID=America/New_York:20270327T150000\r\n")
        )
    )
    _poll(source)
    assert second.is_cancelled
    served(_feed(_vevent(sequence=2, extra=WEEKLY)))
    _poll(source)
    assert not second.is_cancelled
    assert starts(rally) == ["2027-03-20T19:00Z", "2027-03-27T19:00Z", "2027-04-03T19:00Z"]
    assert [n.recipient for n in _notices("event_restored")] == ["ana@example.org"]


def test_a_date_an_organizer_cancelled_here_stays_cancelled(db, served):
    source = make_source(served(_feed(_vevent(extra=WEEKLY))), publishes_at_once=True)
    _poll(source)
    rally = imported_events(source)["Rally at City Hall"]
    second = sorted(rally.occurrences, key=lambda o: o.start_at)[1]
    cancel_occurrence(second, "The hall is closed that day.")
    db.session.commit()
    served(_feed(_vevent(sequence=1, extra=WEEKLY, summary="Rally (new title)")))
    _poll(source)
    assert second.is_cancelled and second.cancel_reason == "The hall is closed that day."
    assert _notices("event_restored") == []


def _unfold(ics: str) -> str:
    return ics.replace("\r\n ", "").replace("\\,", ",")


def test_the_feeds_reason_reaches_the_api_and_our_ics_in_their_language(db, served, client):
    """A cancellation by the feed says why wherever ours does (the API's `cancel_reason`, our
    `.ics`'s DESCRIPTION with STATUS:CANCELLED), in the language asked (`?lang=`), else the
    event's."""
    forum_vevent = _vevent("forum@x", summary="Forum", extra=WEEKLY)
    source = make_source(served(_feed(_vevent(), forum_vevent)), publishes_at_once=True)
    _poll(source)
    forum, rally = imported_events(source)["Forum"], imported_events(source)["Rally at City Hall"]
    served(_feed(_vevent("forum@x", summary="Forum", sequence=1, extra=WEEKLY
                         + "EXDATE;TZID=America/New_York:20270327T150000\r\n")))  # fmt: skip
    _poll(source)
    assert rally.status == EventStatus.cancelled
    removed = "Removed from Worcester Immigrant Coalition's calendar."
    data = client.get(f"/api/v1/events/{rally.id}").get_json()
    assert data["status"] == "cancelled" and data["cancel_reason"] == removed
    assert data["occurrences"][0]["cancel_reason"] == removed
    spanish = client.get(f"/api/v1/events/{rally.id}?lang=es").get_json()
    assert spanish["cancel_reason"] == "Eliminado del calendario de Worcester Immigrant Coalition."
    ics = _unfold(client.get(f"/events/{rally.id}.ics").get_data(as_text=True))
    assert "STATUS:CANCELLED" in ics and f"DESCRIPTION:{removed}" in ics
    # One date the feed cancelled: the date says so, the others say nothing.
    dates = client.get(f"/api/v1/events/{forum.id}").get_json()["occurrences"]
    assert [d["cancel_reason"] for d in dates] == [
        None, "This date was cancelled in the calendar.", None,
    ]  # fmt: skip
    # An event of ours cancelled without words by nobody's feed says nothing more than before.
    assert client.get(f"/api/v1/events/{forum.id}").get_json()["cancel_reason"] is None


def test_a_date_excluded_from_the_start_comes_in_when_the_feed_lists_it(db, served):
    exdate = "EXDATE;TZID=America/New_York:20270327T150000\r\n"
    source = make_source(served(_feed(_vevent(extra=WEEKLY + exdate))), publishes_at_once=True)
    _poll(source)
    rally = imported_events(source)["Rally at City Hall"]
    assert starts(rally) == ["2027-03-20T19:00Z", "2027-04-03T19:00Z"]
    served(_feed(_vevent(sequence=1, extra=WEEKLY)))
    _poll(source)
    assert starts(rally) == ["2027-03-20T19:00Z", "2027-03-27T19:00Z", "2027-04-03T19:00Z"]
