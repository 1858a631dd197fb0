"""Sessions in the JSON API: listed with spots left, and signing up (possession, not
knowledge: the same 202 whether or not the contact is known)."""

import sqlalchemy as sa

from coalition.sessions import operations as ops
from coalition.sessions.models import SessionSignup, SignupStatus
from tests.api.test_openapi import _check, _document
from tests.factories import make_event
from tests.sessions.helpers import add_session, rsvp

PERSON = {"name": "Rosa", "email": "rosa@example.org", "language": "es"}


def test_event_detail_lists_sessions_with_spots_left(client, db):
    event = make_event(capacity=50)
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Taller", "12:00", "13:00", capacity=25, room="Sala 2",
                           languages=["es"], has_interpretation=True)  # fmt: skip
    add_session(occurrence, "Plenary", "13:00", "14:00")
    rsvp(occurrence, 1, sessions=[workshop], party_size=3)
    data = client.get(f"/api/v1/events/{event.id}").get_json()
    assert [(s["title"], s["spots_left"]) for s in data["sessions"]] == [
        ("Taller", 22), ("Plenary", None)]  # fmt: skip
    taller = data["sessions"][0]
    assert taller["start"] == "2027-05-01T12:00:00-04:00" and taller["room"] == "Sala 2"
    assert taller["occurrence_id"] == occurrence.id and taller["has_interpretation"] is True
    _check(_document(client), "EventDetail", data)


def test_sign_up_for_a_session_answers_the_same_for_known_contacts(client, db):
    event = make_event(capacity=50)
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Taller", "12:00", "13:00", capacity=1)
    url = f"/api/v1/events/{event.id}/sessions/{workshop.id}/signups"
    first = client.post(url, json=PERSON)
    assert first.status_code == 202
    _check(_document(client), "SessionSignupResult", first.get_json())
    again = client.post(url, json=PERSON)  # the same contact: the same answer, nothing changes
    assert again.status_code == 202 and again.get_json() == first.get_json()
    late = client.post(url, json={**PERSON, "email": "late@example.org"})
    assert late.status_code == 202  # past the seat: the session's waitlist
    db.session.expire_all()
    statuses = db.session.scalars(sa.select(SessionSignup.status).order_by(SessionSignup.id)).all()
    assert statuses == [SignupStatus.confirmed, SignupStatus.waitlisted]
    assert ops.seats_left(workshop) == 0


def test_bad_session_sign_ups(client, db):
    event = make_event(capacity=50)
    other = make_event(title="Other")
    workshop = add_session(other.occurrences[0], "Elsewhere", "12:00", "13:00")
    url = f"/api/v1/events/{event.id}/sessions/{workshop.id}/signups"
    assert client.post(url, json=PERSON).status_code == 404
    mine = add_session(event.occurrences[0], "Taller", "12:00", "13:00")
    url = f"/api/v1/events/{event.id}/sessions/{mine.id}/signups"
    bad = client.post(url, json={"name": "", "email": "x@example.org"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "name"
    assert client.post(url, data="nope").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionSignup)) == 0
