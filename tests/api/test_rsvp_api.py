"""POST /api/v1/events/<id>/rsvps: member organizations' own websites RSVP through the API."""

import threading
from datetime import date, time

import pytest
import sqlalchemy as sa

from coalition.events.models import EventStatus, EventVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.rsvps.models import RSVP, RSVPStatus
from tests.factories import link_sent_to, make_event

PERSON = {"name": "Rosa", "email": "rosa@example.org", "language": "es", "party_size": 2,
          "needs": {"interpretation": True}}  # fmt: skip


def _post(client, event_id, body):
    return client.post(f"/api/v1/events/{event_id}/rsvps", json=body)


def test_received_and_the_link_goes_only_to_the_contact(client, db):
    event = make_event(capacity=10)
    response = _post(client, event.id, PERSON)
    assert response.status_code == 202
    data = response.get_json()
    assert data["received"] is True and data["party_size"] == 2
    assert "manage_url" not in data and "/rsvp/" not in response.get_data(as_text=True)
    rsvp = db.session.scalar(sa.select(RSVP))
    assert rsvp.status == RSVPStatus.confirmed
    assert link_sent_to(rsvp.email).startswith("/rsvp/")
    again = _post(client, event.id, {**PERSON, "party_size": 3})
    assert again.status_code == 202
    assert again.get_json() == {**data, "party_size": 3}  # as sent; the RSVP is not touched
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 1
    assert db.session.scalar(sa.select(RSVP.party_size)) == 2


def test_waitlisted_past_capacity(client, db):
    event = make_event(capacity=1)
    _post(client, event.id, {**PERSON, "party_size": 1})
    response = _post(client, event.id, {**PERSON, "email": "b@example.org", "party_size": 1})
    assert response.status_code == 202
    statuses = db.session.scalars(sa.select(RSVP.status).order_by(RSVP.id)).all()
    assert statuses == [RSVPStatus.confirmed, RSVPStatus.waitlisted]


def test_recurring_events_need_the_occurrence(client, db):
    event = make_event(recurrence=RecurrenceSpec(Frequency.weekly, count=3),
                       start_date=date(2027, 3, 4), start_time=time(19, 0),
                       end_time=time(20, 0))  # fmt: skip
    missing = _post(client, event.id, PERSON)
    assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "occurrence"
    wrong = _post(client, event.id, {**PERSON, "occurrence": "2027-03-05T19:00:00-05:00"})
    assert wrong.status_code == 404
    right = _post(client, event.id, {**PERSON, "occurrence": "2027-03-18T19:00:00-04:00"})
    assert right.status_code == 202
    assert right.get_json()["occurrence"] == "2027-03-18T19:00:00-04:00"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("not json", 400, None),
        ({**PERSON, "email": "nope"}, 400, "email"),
        ({**PERSON, "email": None, "phone": "12"}, 400, "phone"),
        ({"name": "Rosa"}, 400, "email"),
        ({**PERSON, "party_size": 0}, 400, "party_size"),
        ({**PERSON, "party_size": 11}, 400, "party_size"),
        ({**PERSON, "name": ""}, 400, "name"),
    ],
)
def test_bad_input_is_a_4xx_json_error_and_writes_nothing(client, db, body, status, field):
    event = make_event()
    response = (
        client.post(f"/api/v1/events/{event.id}/rsvps", data=body, content_type="application/json")
        if isinstance(body, str)
        else _post(client, event.id, body)
    )
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["message"] and error.get("field") == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0


def test_closed_and_hidden_events(client, db):
    cancelled = make_event(status=EventStatus.cancelled)
    assert _post(client, cancelled.id, PERSON).status_code == 409
    members = make_event(visibility=EventVisibility.members)
    assert _post(client, members.id, PERSON).status_code == 404
    assert _post(client, 99999, PERSON).status_code == 404


def test_200_simultaneous_api_requests_for_50_seats(pg_app, db):
    event_id = make_event(capacity=50).id
    barrier = threading.Barrier(200)
    statuses = []

    def post(n):
        client = pg_app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/events/{event_id}/rsvps",
                               json={"name": f"P{n}", "email": f"p{n}@example.org"})  # fmt: skip
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert statuses == [202] * 200
    db.session.expire_all()
    counts = dict(db.session.execute(
        sa.select(RSVP.status, sa.func.count()).group_by(RSVP.status)).all())  # fmt: skip
    assert counts == {RSVPStatus.confirmed: 50, RSVPStatus.waitlisted: 150}
