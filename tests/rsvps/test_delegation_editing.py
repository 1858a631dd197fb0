"""The lead edits the delegation from the private link, and adds people who have no phone or
email (issue #22, item 4)."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from coalition.delegations.models import Delegation
from coalition.erasure import purge_expired
from coalition.events.models import LocationVisibility
from coalition.mail.models import Channel, OutgoingEmail
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.rsvps.operations import confirmed_headcount
from tests.factories import make_event
from tests.rsvps.test_delegation_pages import _join, _start

VENUE, STREET = "Casa del Trabajador", "77 Hidden Street"
EDIT = {"name": "Worcester bus", "expected_headcount": "25", "meeting_point": "Worcester City Hall",
        "departure": "2027-05-01T07:30", "seat_limit": "10"}  # fmt: skip


def _hidden_event():
    return make_event(venue=VENUE, address=STREET, city="Boston",
                      location_visibility=LocationVisibility.hidden_until,
                      location_reveal_hours=2)  # fmt: skip


def _delegation(db) -> Delegation:
    return db.session.scalar(sa.select(Delegation))


def _join_url(delegation: Delegation) -> str:
    return f"/delegations/{delegation.id}/join/{delegation.join_secret}"


def _outbox(kind: str) -> list[OutgoingEmail]:
    from coalition.extensions import db

    return list(db.session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.kind == kind)))


def test_the_lead_edits_and_members_hear_of_the_new_meeting_on_their_channel(
    client, db, make_client
):
    event = _hidden_event()
    lead_url = _start(client, event, lead_email="", lead_phone="617 555 0142",
                      seat_limit="").headers["Location"]  # fmt: skip
    delegation = _delegation(db)
    _join(make_client(), _join_url(delegation), 1, language="es")
    phone_only = {"name": "Lupe", "email": "", "phone": "617 555 0100", "language": "pt",
                  "party_size": "1"}  # fmt: skip
    join_url = _join_url(delegation)
    assert make_client().submit(join_url, phone_only, page=join_url).status_code == 200

    form = client.get(f"{lead_url}/edit")
    assert form.status_code == 200
    assert form.headers["Cache-Control"] == "private, no-store"
    assert 'value="Worcester delegation"' in form.get_data(as_text=True)
    saved = client.submit(f"{lead_url}/edit", EDIT, page=f"{lead_url}/edit")
    assert saved.status_code == 303 and saved.headers["Location"].endswith(lead_url)

    db.session.expire_all()
    delegation = _delegation(db)
    assert (delegation.name, delegation.expected_headcount, delegation.seat_limit) == (
        "Worcester bus", 25, 10)  # fmt: skip
    assert delegation.meeting_point == "Worcester City Hall"
    # 7:30 in New York on May 1st is 11:30 UTC (daylight time).
    assert delegation.departure_at == datetime(2027, 5, 1, 11, 30, tzinfo=UTC)

    (mail,) = [m for m in _outbox("delegation_changed") if m.channel == Channel.email]
    assert mail.recipient == "m1@example.org"
    assert "Worcester bus" in mail.subject and "Nuevo" in mail.subject
    assert "Worcester City Hall" in mail.body_text and "7:30" in mail.body_text
    assert "Worcester City Hall" in mail.body_html
    (text,) = [m for m in _outbox("delegation_changed") if m.channel == Channel.sms]
    assert text.recipient == "+16175550100"
    assert "Worcester City Hall" in text.body_text and "7:30" in text.body_text
    assert "ponto de encontro" in text.body_text.lower()
    # The lead typed the meeting point; the event's hidden place stays hidden from everyone.
    for message in (mail, text):
        for secret in (VENUE, STREET):
            assert secret not in message.body_text and secret not in (message.body_html or "")
    roster = client.get(lead_url).get_data(as_text=True)
    assert "Worcester City Hall" in roster and "Worcester bus" in roster


def test_changing_only_the_name_tells_nobody(client, db, make_client):
    event = make_event()
    lead_url = _start(client, event, seat_limit="").headers["Location"]
    _join(make_client(), _join_url(_delegation(db)), 1)
    edit = dict(EDIT, meeting_point="Union Station", departure="")
    assert client.submit(f"{lead_url}/edit", edit, page=f"{lead_url}/edit").status_code == 303
    assert _outbox("delegation_changed") == []


def test_seats_never_drop_below_the_people_holding_one(client, db, make_client):
    event = make_event()
    lead_url = _start(client, event, seat_limit="").headers["Location"]
    _join(make_client(), _join_url(_delegation(db)), 1, "3")
    refused = client.submit(f"{lead_url}/edit", dict(EDIT, seat_limit="3"),
                            page=f"{lead_url}/edit")  # fmt: skip
    assert refused.status_code == 409
    assert "4 people already have a seat" in refused.get_data(as_text=True)
    bad = client.submit(f"{lead_url}/edit", dict(EDIT, name="", expected_headcount="0"),
                        page=f"{lead_url}/edit")  # fmt: skip
    assert bad.status_code == 400
    db.session.expire_all()
    delegation = _delegation(db)
    assert (delegation.name, delegation.seat_limit) == ("Worcester delegation", None)
    assert delegation.meeting_point == "Union Station"
    assert _outbox("delegation_changed") == []


def test_a_forged_lead_link_edits_nothing(client, db):
    event = make_event()
    lead_url = _start(client, event).headers["Location"]
    forged = lead_url[:-3] + ("xyz" if not lead_url.endswith("xyz") else "abc")
    assert client.get(f"{forged}/edit").status_code == 404
    assert client.submit(f"{forged}/edit", EDIT, page=f"{lead_url}/edit").status_code == 404
    db.session.expire_all()
    assert _delegation(db).name == "Worcester delegation"


def test_the_lead_adds_an_elder_without_contact_counted_in_seats_and_headcount(
    client, db, make_client
):
    event = make_event(capacity=50)
    lead_url = _start(client, event, seat_limit="3").headers["Location"]  # the lead and 2
    delegation = _delegation(db)
    _join(make_client(), _join_url(delegation), 1)
    added = client.submit(f"{lead_url}/guests", {"guest_name": "Abuela Carmen"}, page=lead_url)
    assert added.status_code == 303
    guest = db.session.scalar(sa.select(RSVP).where(RSVP.name == "Abuela Carmen"))
    assert guest.status == RSVPStatus.confirmed and guest.delegation_id == delegation.id
    assert (guest.email, guest.phone) == (None, None)
    # Counted in the bus and at the event: the lead, member 1 and the guest fill 3 seats.
    assert confirmed_headcount(guest.occurrence_id) == 3
    full = _join(make_client(), _join_url(delegation), 2)
    assert full.status_code == 409
    assert client.submit(f"{lead_url}/guests", {"guest_name": "Niño"},
                         page=lead_url).status_code == 409  # fmt: skip
    roster = client.get(lead_url).get_data(as_text=True)
    assert "Abuela Carmen" in roster and "No phone or email" in roster
    assert "<strong>3</strong>" in roster  # coming, the lead included
    # Nothing was sent to anyone about the guest (there is no one to send it to).
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingEmail).where(
        OutgoingEmail.rsvp_id == guest.id)) == 0  # fmt: skip

    # Taken off the roster, the guest is erased at once and the seat is free again.
    removed = client.submit(f"{lead_url}/members/{guest.id}/remove", page=lead_url)
    assert removed.status_code == 303
    db.session.expire_all()
    guest = db.session.get(RSVP, guest.id)
    assert guest.name is None and guest.erased_at is not None
    assert confirmed_headcount(guest.occurrence_id) == 2


def test_guests_are_erased_with_the_delegation(client, db):
    event = make_event()
    lead_url = _start(client, event, seat_limit="").headers["Location"]
    client.submit(f"{lead_url}/guests", {"guest_name": "Tío Pedro"}, page=lead_url)
    occurrence = event.occurrences[0]
    purge_expired(now=occurrence.end_at + timedelta(days=400))
    db.session.commit()
    assert db.session.scalar(sa.select(RSVP.name).where(RSVP.delegation_id.is_not(None))) is None
    assert client.get(lead_url).status_code == 404


def test_a_guest_needs_a_name_and_a_seat(client, db, make_client):
    event = make_event(capacity=1, has_waitlist=False)
    lead_url = _start(client, event, seat_limit="").headers["Location"]  # the lead takes it
    assert client.submit(f"{lead_url}/guests", {"guest_name": ""},
                         page=lead_url).status_code == 400  # fmt: skip
    full = client.submit(f"{lead_url}/guests", {"guest_name": "Ana"}, page=lead_url)
    assert full.status_code == 409 and "This event is full." in full.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0
