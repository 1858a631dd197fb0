"""Attendee safety, tried as someone with a list of phone numbers and emails would.

Possession, not knowledge: knowing a contact must not open, reveal or change an RSVP, and no
answer may differ because the contact was known. Places stay hidden as each mode promises, in
every output. Erasure leaves nothing behind.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coalition.delegations import operations as delegation_ops
from coalition.delegations.models import Delegation, TravelMode
from coalition.erasure import purge_expired
from coalition.events.models import LocationVisibility
from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import OrgRole
from coalition.reminders import operations as reminder_ops
from coalition.reports.models import DateFigures
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP, AuditEntry, RSVPStatus
from tests.factories import link_sent_to, make_event, member_of

PLACE = "Basement of St. Rose 4471"
STREET = "12 Hidden Court 8830"


def _row(db, rsvp_id: int) -> dict:
    """Every column of an RSVP as stored, to compare byte for byte."""
    db.session.expire_all()
    return dict(
        db.session.execute(sa.select(RSVP.__table__).where(RSVP.id == rsvp_id)).one()._mapping
    )


def _kinds(db, kind: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(OutgoingEmail).where(OutgoingEmail.kind == kind)
    )


def _form(client, event, **fields):
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    data = {"name": "Marisol", "email": "marisol@example.org", "language": "es",
            "party_size": "1", "consents_to_reminders": "y"}  # fmt: skip
    data.update(fields)
    return client.submit(url, data, page=url)


def _shape(body: str, *typed: str) -> str:
    """The page with what the submitter typed taken out: what must not differ."""
    for text in typed:
        body = body.replace(text, "…")
    import re

    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", body)


# Possession, not knowledge ------------------------------------------------------------------


def test_a_known_contact_in_the_form_changes_nothing_and_answers_the_same(client, db, make_client):
    event = make_event(capacity=20)
    _form(client, event, email="victim@example.org", name="Victim", party_size="2")
    victim = db.session.scalar(sa.select(RSVP))
    before = _row(db, victim.id)

    attacker = make_client()
    known = _form(attacker, event, email="victim@example.org", name="Stranger", party_size="5")
    fresh = _form(attacker, event, email="nobody@example.org", name="Stranger", party_size="5")
    assert known.status_code == fresh.status_code == 200
    assert known.headers.get("Location") is None and fresh.headers.get("Location") is None
    known_body = _shape(known.get_data(as_text=True), "v•••@e•••.org")
    fresh_body = _shape(fresh.get_data(as_text=True), "n•••@e•••.org")
    assert known_body == fresh_body  # byte for byte, once the typed contact is masked out
    assert "/rsvp/" not in known_body and "Victim" not in known_body

    assert _row(db, victim.id) == before
    already = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "rsvp_already")
    ).all()
    assert [m.recipient for m in already] == ["victim@example.org"]
    # Asking again within the hour sends nothing more (no flooding a person through the form).
    _form(attacker, event, email="victim@example.org", name="Stranger")
    assert _kinds(db, "rsvp_already") == 1
    # The owner's own link still works and shows their own RSVP.
    page = client.get(link_sent_to("victim@example.org")).get_data(as_text=True)
    assert "Victim" in page and "Stranger" not in page


def test_a_known_contact_through_the_api_answers_the_same_status_and_shape(client, db):
    event = make_event(capacity=20)
    url = f"/api/v1/events/{event.id}/rsvps"
    first = client.post(url, json={"name": "Owner", "email": "owner@example.org"})
    rsvp_id = db.session.scalar(sa.select(RSVP.id))
    before = _row(db, rsvp_id)
    known = client.post(url, json={"name": "X", "email": "owner@example.org", "party_size": 4})
    fresh = client.post(url, json={"name": "X", "email": "other@example.org", "party_size": 4})
    assert first.status_code == known.status_code == fresh.status_code == 202
    known_data, fresh_data = known.get_json(), fresh.get_json()
    assert set(known_data) == set(fresh_data)
    assert {**known_data, "sent_to": ""} == {**fresh_data, "sent_to": ""}
    assert known_data["sent_to"] == "o•••@e•••.org"
    assert _row(db, rsvp_id) == before
    assert _kinds(db, "rsvp_already") == 1


def test_a_known_contact_joining_a_delegation_joins_nothing(client, db, make_client):
    event = make_event()
    occurrence = event.occurrences[0]
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Neighbour", email="n@example.org"))
    bus = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(name="Springfield bus", town="Springfield",
                                       lead_name="Lead", lead_email="lead@example.org",
                                       meeting_point="Behind the bakery 5150"),
    )  # fmt: skip
    db.session.commit()
    rsvp_id = db.session.scalar(sa.select(RSVP.id))
    before = _row(db, rsvp_id)
    join = f"/delegations/{bus.id}/join/{bus.join_secret}"
    data = {"name": "Spy", "email": "n@example.org", "language": "en", "party_size": "1"}
    response = make_client().submit(join, data, page=join)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Behind the bakery 5150" not in body and "/rsvp/" not in body
    assert _row(db, rsvp_id) == before
    assert _kinds(db, "rsvp_already") == 1
    assert _kinds(db, "delegation_joined") == 0  # the lead hears of no one new
    # The join page itself does not give the meeting point away to whoever holds the link.
    assert "Behind the bakery 5150" not in client.get(join).get_data(as_text=True)


def test_a_signed_in_stranger_typing_a_known_email_learns_nothing(client, db, make_client):
    event = make_event()
    _form(make_client(), event, email="victim@example.org")
    member_of(event.host_org, OrgRole.member, email="spy@example.org")
    client.login("spy@example.org")
    known = _form(client, event, email="victim@example.org")
    fresh = _form(client, event, email="fresh@example.org")
    assert known.status_code == fresh.status_code == 200
    assert _shape(known.get_data(as_text=True), "v•••@e•••.org") == _shape(
        fresh.get_data(as_text=True), "f•••@e•••.org"
    )


@pytest.fixture
def app_overrides(request):
    if "without_sms" in request.node.name:
        return {"SMS_BACKEND": "none"}
    return {}


def test_without_sms_no_phone_is_asked_and_a_phone_alone_is_refused(client, db):
    event = make_event()
    occurrence = event.occurrences[0]
    page = client.get(f"/events/{event.id}/occurrences/{occurrence.id}/rsvp").get_data(as_text=True)
    assert 'name="phone"' not in page
    assert "text messages are not set up here yet" in page
    response = client.post(
        f"/api/v1/events/{event.id}/rsvps", json={"name": "Ana", "phone": "617 555 0100"}
    )
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "email"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0


# Staged reveal -----------------------------------------------------------------------------


def _secret_event(**fields):
    return make_event(venue=PLACE, address=STREET, city="Worcester", **fields)


def _in_days(days: float) -> dict:
    start = (datetime.now(UTC) + timedelta(days=days)).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    end = start + timedelta(hours=1)
    return {"start_date": start.date(), "start_time": start.time().replace(second=0,
            microsecond=0), "end_date": end.date(), "end_time": end.time().replace(
            second=0, microsecond=0)}  # fmt: skip


def _confirmation(db, email: str) -> OutgoingEmail:
    (message,) = [
        m
        for m in db.session.scalars(
            sa.select(OutgoingEmail).where(OutgoingEmail.kind == "rsvp_confirmation")
        )
        if m.recipient == email
    ]
    return message


def test_hidden_until_hides_the_place_from_attendees_too_until_its_time(client, db):
    event = _secret_event(location_visibility=LocationVisibility.hidden_until,
                          location_reveal_hours=1, **_in_days(3))  # fmt: skip
    occurrence = event.occurrences[0]
    _form(client, event)
    manage = link_sent_to("marisol@example.org")
    confirmation = _confirmation(db, "marisol@example.org")
    assert PLACE not in confirmation.body_text and STREET not in confirmation.body_html
    assert "Worcester" in confirmation.body_text  # the town is public
    assert PLACE not in client.get(manage).get_data(as_text=True)
    # Reminders carry the place only once it is revealed: the 1-day one does not, and a
    # reminder at the reveal time does.
    reminder_ops.send_due(now=occurrence.start_at - timedelta(days=1))
    day_before = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "reminder")
    ).one()
    assert PLACE not in day_before.body_text and STREET not in day_before.body_html
    reminder_ops.send_due(now=occurrence.start_at - timedelta(minutes=61))  # the 2-hour one
    reminder_ops.send_due(now=occurrence.start_at - timedelta(minutes=59))  # at the reveal
    reminders = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "reminder").order_by(OutgoingEmail.id)
    ).all()
    assert [PLACE in r.body_text for r in reminders] == [False, False, True]


def test_hidden_until_with_attendees_told_early(client, db):
    event = _secret_event(location_visibility=LocationVisibility.hidden_until,
                          location_reveal_hours=1, location_attendees_early=True,
                          **_in_days(3))  # fmt: skip
    _form(client, event)
    assert PLACE in _confirmation(db, "marisol@example.org").body_text
    assert PLACE in client.get(link_sent_to("marisol@example.org")).get_data(as_text=True)
    assert PLACE not in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_attendees_mode_shows_the_place_only_behind_the_link(client, db, make_client):
    event = _secret_event(location_visibility=LocationVisibility.attendees)
    response = _form(client, event)
    assert PLACE not in response.get_data(as_text=True)  # not on the page after the form
    assert PLACE in _confirmation(db, "marisol@example.org").body_text
    assert PLACE in client.get(link_sent_to("marisol@example.org")).get_data(as_text=True)
    for url in (f"/events/{event.id}", "/calendar", "/calendar.ics", f"/api/v1/events/{event.id}"):
        assert PLACE not in client.get(url).get_data(as_text=True), url


def test_approved_mode_only_approved_people_ever_see_the_place(client, db, make_client):
    event = _secret_event(location_visibility=LocationVisibility.approved, capacity=10)
    occurrence = event.occurrences[0]
    host = member_of(event.host_org, OrgRole.organizer, email="host@example.org")
    assert _form(client, event).status_code == 200
    rsvp = db.session.scalar(sa.select(RSVP))
    assert rsvp.status == RSVPStatus.pending
    request_mail = _confirmation(db, "marisol@example.org")
    assert PLACE not in request_mail.body_text and "aprueban" in request_mail.body_text
    manage = link_sent_to("marisol@example.org")
    assert PLACE not in client.get(manage).get_data(as_text=True)
    assert rsvp_ops.seats_left(occurrence) == 10  # a request holds no seat

    organizer = make_client()
    organizer.login(host.email)
    dashboard = f"/events/{event.id}/occurrences/{occurrence.id}/attendees"
    assert "Waiting for your approval" in organizer.get(dashboard).get_data(as_text=True)
    approve = f"{dashboard.rsplit('/', 1)[0]}/rsvps/{rsvp.id}/approve"
    assert organizer.submit(approve, page=dashboard).status_code == 303
    db.session.expire_all()
    assert db.session.get(RSVP, rsvp.id).status == RSVPStatus.confirmed
    assert PLACE in client.get(manage).get_data(as_text=True)
    approved_mail = db.session.scalars(
        sa.select(OutgoingEmail)
        .where(OutgoingEmail.kind == "rsvp_confirmation")
        .order_by(OutgoingEmail.id.desc())
    ).first()
    assert PLACE in approved_mail.body_text and "Está" in approved_mail.subject


def test_a_declined_request_is_told_in_the_persons_language_and_never_sees_it(
    client, db, make_client
):
    event = _secret_event(location_visibility=LocationVisibility.approved)
    occurrence = event.occurrences[0]
    host = member_of(event.host_org, OrgRole.organizer, email="host@example.org")
    _form(client, event)
    rsvp = db.session.scalar(sa.select(RSVP))
    organizer = make_client()
    organizer.login(host.email)
    dashboard = f"/events/{event.id}/occurrences/{occurrence.id}/attendees"
    decline = f"{dashboard.rsplit('/', 1)[0]}/rsvps/{rsvp.id}/decline"
    organizer.submit(decline, {"message": "Solo para miembros del comité."}, page=dashboard)
    declined = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "rsvp_declined")
    ).one()
    assert "Solo para miembros del comité." in declined.body_text
    assert "Sobre su solicitud" in declined.subject
    assert PLACE not in declined.body_text
    assert PLACE not in client.get(link_sent_to("marisol@example.org")).get_data(as_text=True)
    # Someone else's organizer cannot decide.
    stranger = member_of(make_event().host_org, OrgRole.organizer, email="other@example.org")
    other = make_client()
    other.login(stranger.email)
    approve = f"{dashboard.rsplit('/', 1)[0]}/rsvps/{rsvp.id}/approve"
    assert other.submit(approve, page="/").status_code == 403


# Delegations -------------------------------------------------------------------------------


def test_delegations_that_need_approval_take_nobody_until_approved(client, db, make_client):
    event = make_event(delegations_need_approval=True)
    occurrence = event.occurrences[0]
    bus = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(name="Lowell van", town="Lowell", lead_name="Lead",
                                       lead_email="lead@example.org", travel_mode=TravelMode.van),
    )  # fmt: skip
    db.session.commit()
    assert bus.is_approved is False
    join = f"/delegations/{bus.id}/join/{bus.join_secret}"
    assert "waiting for the hosts" in client.get(join).get_data(as_text=True)
    assert "Lowell van" not in client.get(f"/events/{event.id}").get_data(as_text=True)
    with pytest.raises(rsvp_ops.RSVPError):
        delegation_ops.join(bus, rsvp_ops.RSVPInput(name="A", email="a@example.org"))
    db.session.rollback()
    host = member_of(event.host_org, OrgRole.organizer, email="host@example.org")
    organizer = make_client()
    organizer.login(host.email)
    base = f"/events/{event.id}/occurrences/{occurrence.id}"
    response = organizer.submit(f"{base}/delegations/{bus.id}/approve", page=f"{base}/attendees")
    assert response.status_code == 303
    db.session.expire_all()
    assert delegation_ops.join(bus, rsvp_ops.RSVPInput(name="A", email="a@example.org")).created


# Erasure -----------------------------------------------------------------------------------

#: Distinctive strings planted in every personal field.
PLANTED = {
    "name": "Zyxname Qwop",
    "email": "zyxmail@planted.example",
    "phone": "+16175550177",
    "note": "Zyxnote wheelchair",
    "lead_name": "Zyxlead Vrum",
    "lead_email": "zyxlead@planted.example",
    "lead_phone": "+16175550188",
    "meeting_point": "Zyxmeet behind the mill",
    "delegation": "Zyxdelegation bus",
    "town": "Zyxtown",
    "message": "Zyxmessage bring the banner",
}


def _every_text_value(db) -> str:
    """Every value of every column of every table, as text."""
    chunks = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            chunks.extend(str(value) for value in row if value is not None)
    return "\n".join(chunks)


def test_purge_leaves_no_personal_data_anywhere_and_kills_every_link(client, db, deliver, smtp):
    event = make_event(location_visibility=LocationVisibility.hidden_until,
                       location_reveal_hours=2, venue=PLACE)  # fmt: skip
    occurrence = event.occurrences[0]
    bus = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(
            name=PLANTED["delegation"], town=PLANTED["town"], lead_name=PLANTED["lead_name"],
            lead_email=PLANTED["lead_email"], lead_phone=PLANTED["lead_phone"],
            meeting_point=PLANTED["meeting_point"],
        ),
    )  # fmt: skip
    delegation_ops.join(
        bus,
        rsvp_ops.RSVPInput(name=PLANTED["name"], email=PLANTED["email"], phone=PLANTED["phone"],
                           note=PLANTED["note"], shares_contact_with_lead=True),
    )  # fmt: skip
    db.session.commit()
    from coalition.dashboard.operations import message_attendees

    message_attendees(occurrence, audience="all", subjects={"en": "Update"},
                      bodies={"en": PLANTED["message"]})  # fmt: skip
    reminder_ops.send_due(now=occurrence.start_at - timedelta(days=1))
    db.session.commit()
    deliver()
    manage = link_sent_to(PLANTED["email"])
    lead = delegation_ops.lead_url(bus).removeprefix("http://localhost")
    join = f"/delegations/{bus.id}/join/{bus.join_secret}"
    member_feed = f"/delegations/{bus.id}/{bus.join_secret}/calendar.ics"
    for url in (manage, lead, join, member_feed):
        assert client.get(url).status_code == 200, url
    everything = _every_text_value(db)
    assert PLANTED["name"] in everything and PLANTED["message"] in everything  # planted indeed

    rsvp_ops.record_access(None, event.host_org_id, "view_attendees", occurrence_id=occurrence.id)
    db.session.commit()
    later = occurrence.end_at + timedelta(days=31)
    assert purge_expired(now=later) == 1
    db.session.commit()

    everything = _every_text_value(db)
    for field, planted in PLANTED.items():
        assert planted not in everything, field
    assert "Zyx" not in everything
    for url in (manage, lead, join, member_feed):
        assert client.get(url).status_code == 404, url
    # What reports need stays: the date's frozen counts, the kinds of messages, the audit entry;
    # the RSVP row itself is deleted (its id and times would link those who came together).
    gone = sa.select(sa.func.count()).select_from(RSVP).where(RSVP.occurrence_id == occurrence.id)
    assert db.session.scalar(gone) == 0
    frozen = db.session.scalar(
        sa.select(DateFigures).where(DateFigures.occurrence_id == occurrence.id)
    )
    assert frozen is not None and frozen.rsvps >= 1
    assert _kinds(db, "rsvp_confirmation") == 1
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["view_roster", "view_attendees"]
    assert db.session.get(Delegation, bus.id).erased_at is not None
    assert purge_expired(now=later) == 0  # safe to run twice


def test_erase_my_data_also_erases_the_messages_about_me(client, db):
    event = make_event()
    _form(client, event, note=PLANTED["note"], name=PLANTED["name"])
    manage = link_sent_to("marisol@example.org")
    assert client.submit(f"{manage}/erase", page=manage).status_code == 200
    everything = _every_text_value(db)
    for planted in (PLANTED["name"], PLANTED["note"], "marisol@example.org", manage):
        assert planted not in everything
    statuses = db.session.scalars(sa.select(OutgoingEmail.status)).all()
    assert statuses == ["cancelled"]  # never sent: it was still queued
    assert client.get(manage).status_code == 404


def test_sent_messages_lose_their_contents_after_the_retention_period(db, deliver, smtp):
    from coalition.auth.operations import request_password_reset
    from tests.factories import UserFactory

    UserFactory(email="organizer@planted.example")
    request_password_reset("organizer@planted.example")
    db.session.commit()
    deliver()
    message = db.session.scalar(sa.select(OutgoingEmail))
    assert message.status == "sent"
    purge_expired(now=message.sent_at + timedelta(days=29))
    db.session.commit()
    assert db.session.scalar(sa.select(OutgoingEmail.recipient)) == "organizer@planted.example"
    purge_expired(now=message.sent_at + timedelta(days=31))
    db.session.commit()
    db.session.expire_all()
    kept = db.session.scalar(sa.select(OutgoingEmail))
    assert (kept.recipient, kept.body_text, kept.kind, kept.status) == ("", "", "password_reset",
                                                                       "sent")  # fmt: skip
    assert db.session.scalar(sa.select(OutgoingEmail.mime)) is None  # the rendered copy too


def test_texts_never_carry_a_hidden_place(client, db):
    event = _secret_event(location_visibility=LocationVisibility.attendees)
    assert _form(client, event, email="", phone="617 555 0123").status_code == 200
    reminder_ops.send_due(now=event.occurrences[0].start_at - timedelta(hours=2))
    texts = db.session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.channel == "sms")).all()
    assert len(texts) >= 2  # the confirmation and a reminder, each with its short link
    for text in texts:
        assert PLACE not in text.body_text and STREET not in text.body_text
        assert "/r/" in text.body_text
