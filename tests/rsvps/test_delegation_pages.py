"""Delegation pages: start, join up to the seat limit, the lead's private roster."""

import sqlalchemy as sa

from coalition.delegations.models import Delegation
from coalition.orgs.models import OrgRole
from coalition.rsvps.models import AuditEntry
from tests.factories import UserFactory, make_event, member_of


def _start(client, event, **fields):
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/delegations/new"
    data = {"name": "Worcester delegation", "town": "Worcester", "sponsor_org": "",
            "lead_name": "Rosa", "lead_email": "rosa@example.org", "lead_phone": "",
            "lead_language": "es", "expected_headcount": "20", "travel_mode": "bus",
            "meeting_point": "Union Station", "seat_limit": "3"}  # fmt: skip
    data.update(fields)
    return client.submit(url, data, page=url)


def _join(client, join_url, n, party="1"):
    data = {"name": f"Member {n}", "email": f"m{n}@example.org", "phone": "", "language": "en",
            "party_size": party, "consents_to_reminders": "y"}  # fmt: skip
    return client.submit(join_url, data, page=join_url)


def test_start_join_until_full_and_the_roster(client, db, make_client):
    event = make_event(title="May Day march")
    response = _start(client, event)
    assert response.status_code == 303
    lead_url = response.headers["Location"]
    roster = client.get(lead_url)
    assert roster.headers["Cache-Control"] == "private, no-store"
    delegation = db.session.scalar(sa.select(Delegation))
    join_url = f"/delegations/{delegation.id}/join/{delegation.join_secret}"
    joiner = make_client()
    assert _join(joiner, join_url, 1, "2").status_code == 303
    full = _join(make_client(), join_url, 2, "2")
    assert full.status_code == 409
    assert "seats left" in full.get_data(as_text=True)
    body = client.get(lead_url).get_data(as_text=True)
    assert "Member 1" in body and "m1@example.org" in body
    # Every look at the roster is in the audit log.
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "view_roster")
        )
        == 2
    )
    # The event page lists the delegation by name, town and headcount, never by member.
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Worcester delegation" in page and "Member 1" not in page


def test_wrong_join_secret_is_404_and_forged_lead_link_400(client, db):
    event = make_event()
    _start(client, event)
    delegation = db.session.scalar(sa.select(Delegation))
    assert client.get(f"/delegations/{delegation.id}/join/wrong").status_code == 404
    assert client.get("/delegations/lead/forged").status_code == 400


def test_closed_delegation_refuses_and_message_reaches_members(client, db, make_client):
    event = make_event()
    lead_url = _start(client, event, seat_limit="").headers["Location"]
    delegation = db.session.scalar(sa.select(Delegation))
    join_url = f"/delegations/{delegation.id}/join/{delegation.join_secret}"
    _join(make_client(), join_url, 1)
    sent = client.submit(f"{lead_url}/message", {"subject": "Bus at 7", "body": "Be early"},
                         page=lead_url)  # fmt: skip
    assert sent.status_code == 303
    from coalition.mail.models import OutgoingEmail

    assert db.session.scalars(
        sa.select(OutgoingEmail.recipient).where(OutgoingEmail.kind == "delegation_message")
    ).all() == ["m1@example.org"]
    client.submit(f"{lead_url}/close", page=lead_url)
    assert _join(make_client(), join_url, 2).status_code == 409


def test_organizers_only_setting(client, db):
    event = make_event(delegations_by_organizers_only=True)
    UserFactory(email="someone@example.org")
    client.login("someone@example.org")
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/delegations/new"
    assert client.get(url).status_code == 403
    client.logout()
    member_of(event.host_org, OrgRole.organizer, email="org@example.org")
    client.login("org@example.org")
    assert client.get(url).status_code == 200
