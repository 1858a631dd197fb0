"""Delegation pages: start, join up to the seat limit, the lead's private roster."""

from datetime import UTC, datetime

import sqlalchemy as sa

from coalition.delegations.models import Delegation
from coalition.events.models import EventStatus
from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import OrgRole
from coalition.rsvps.models import RSVP, AuditEntry
from coalition.rsvps.operations import confirmed_headcount
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


def _join(client, join_url, n, party="1", **fields):
    data = {"name": f"Member {n}", "email": f"m{n}@example.org", "phone": "", "language": "en",
            "party_size": party, "consents_to_reminders": "y",
            "shares_contact_with_lead": "y"}  # fmt: skip
    data.update(fields)
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
    assert _join(joiner, join_url, 1, "2").status_code == 200
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


def test_wrong_join_secret_and_forged_lead_link_are_404(client, db):
    event = make_event()
    _start(client, event)
    delegation = db.session.scalar(sa.select(Delegation))
    assert client.get(f"/delegations/{delegation.id}/join/wrong").status_code == 404
    assert client.get("/delegations/lead/forged").status_code == 404


def test_closed_delegation_refuses_and_message_reaches_members(client, db, make_client):
    event = make_event()
    lead_url = _start(client, event, seat_limit="").headers["Location"]
    delegation = db.session.scalar(sa.select(Delegation))
    join_url = f"/delegations/{delegation.id}/join/{delegation.join_secret}"
    _join(make_client(), join_url, 1)
    sent = client.submit(f"{lead_url}/message", {"subject": "Bus at 7", "body": "Be early"},
                         page=lead_url)  # fmt: skip
    assert sent.status_code == 303
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


def test_start_shows_both_links_and_emails_them_to_the_lead(client, db):
    event = make_event(title="May Day march")
    response = _start(client, event, departure="2027-05-01T07:30")
    lead_url = response.headers["Location"]
    page = client.get(lead_url)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    delegation = db.session.scalar(sa.select(Delegation))
    body = page.get_data(as_text=True)
    assert "delegation is started" in body
    assert f"/delegations/{delegation.id}/join/{delegation.join_secret}" in body
    assert lead_url.split("/delegations/lead/")[1] in body
    # 7:30 in Boston (EDT) is 11:30 UTC.
    assert delegation.departure_at == datetime(2027, 5, 1, 11, 30, tzinfo=UTC)
    email = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "delegation_started")
    ).one()
    assert email.recipient == "rosa@example.org"
    assert delegation.join_secret in email.body_text and "/delegations/lead/" in email.body_text


def test_members_count_in_the_event_and_the_lead_removes_one(client, db, make_client):
    event = make_event()
    lead_url = _start(client, event, seat_limit="").headers["Location"]
    delegation = db.session.scalar(sa.select(Delegation))
    join_url = f"/delegations/{delegation.id}/join/{delegation.join_secret}"
    _join(make_client(), join_url, 1, "3")
    _join(make_client(), join_url, 2, "1")
    # The lead holds a seat too (3 + 1 + the lead).
    assert confirmed_headcount(event.occurrences[0].id) == 5
    member = db.session.scalar(sa.select(RSVP).where(RSVP.name == "Member 1"))
    removed = client.submit(f"{lead_url}/members/{member.id}/remove", page=lead_url)
    assert removed.status_code == 303
    db.session.refresh(member)
    assert member.status == "cancelled" and member.delegation_id is None
    assert confirmed_headcount(event.occurrences[0].id) == 2
    roster = client.get(lead_url).get_data(as_text=True)
    assert "Member 2" in roster and "Member 1" not in roster


def test_closed_delegation_and_full_seats_speak_the_persons_language(client, db, make_client):
    event = make_event()
    _start(client, event, seat_limit="2")  # the lead and one more
    delegation = db.session.scalar(sa.select(Delegation))
    join_url = f"/delegations/{delegation.id}/join/{delegation.join_secret}"
    spanish = make_client()
    spanish.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    full = _join(spanish, join_url, 1, "2")
    assert full.status_code == 409
    assert "A la delegación le queda 1 lugar." in full.get_data(as_text=True)
    delegation.is_closed = True
    db.session.commit()
    closed = _join(spanish, join_url, 1, "1")
    assert closed.status_code == 409
    assert "Esta delegación está cerrada." in closed.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0


def test_message_to_members_is_audited_and_texts_phone_only_members(client, db, make_client):
    """A member who gave only a phone gets the lead's message as a text (issue 22: it was
    skipped, the one notice declared for attendees without a text)."""
    event = make_event()
    lead_url = _start(client, event, seat_limit="").headers["Location"]
    delegation = db.session.scalar(sa.select(Delegation))
    join_url = f"/delegations/{delegation.id}/join/{delegation.join_secret}"
    _join(make_client(), join_url, 1)
    _join(make_client(), join_url, 2)
    phone_only = {"name": "Phone", "email": "", "phone": "617 555 0100", "language": "es",
                  "party_size": "1"}  # fmt: skip
    assert make_client().submit(join_url, phone_only, page=join_url).status_code == 200
    client.submit(f"{lead_url}/message", {"subject": "Bus", "body": "At 7"}, page=lead_url)
    messages = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "delegation_message")
    ).all()
    assert sorted((m.recipient, m.channel) for m in messages) == [
        ("+16175550100", "sms"),
        ("m1@example.org", "email"),
        ("m2@example.org", "email"),
    ]
    (text,) = [m.body_text for m in messages if m.channel == "sms"]
    assert text == "Bus: At 7"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "message")).one()
    assert entry.delegation_id == delegation.id and entry.org_id == event.host_org_id


def test_public_list_names_no_member_and_a_signed_in_lead_reaches_the_roster(client, db):
    event = make_event()
    UserFactory(email="lead@example.org", name="Rosa Lead")
    client.login("lead@example.org")
    _start(client, event, lead_name="Rosa Lead", lead_email="lead@example.org")
    delegation = db.session.scalar(sa.select(Delegation))
    join_url = f"/delegations/{delegation.id}/join/{delegation.join_secret}"
    client.logout()
    _join(client, join_url, 7, "2")
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Worcester delegation" in page and "Worcester · 3 coming" in page  # 2 + the lead
    for private in ("Member 7", "m7@example.org", "Rosa Lead", "lead@example.org",
                    delegation.join_secret, "/roster"):  # fmt: skip
        assert private not in page
    client.login("lead@example.org")
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    roster_link = f"/delegations/{delegation.id}/roster"
    assert roster_link in page
    response = client.get(roster_link)
    assert response.status_code == 303
    assert "Member 7" in client.get(response.headers["Location"]).get_data(as_text=True)


def _delegations_section(page: str) -> str:
    start = page.find('id="delegations-heading"')
    return "" if start < 0 else page[start : page.index("</section>", start)]


def test_start_link_only_where_one_may_start(client, db):
    open_event = make_event()
    page = client.get(f"/events/{open_event.id}").get_data(as_text=True)
    assert "/delegations/new" in _delegations_section(page)
    only = make_event(delegations_by_organizers_only=True)
    url = f"/events/{only.id}/occurrences/{only.occurrences[0].id}/delegations/new"
    page = client.get(f"/events/{only.id}").get_data(as_text=True)
    assert url not in _delegations_section(page)
    member_of(only.host_org, OrgRole.organizer, email="org@example.org")
    client.login("org@example.org")
    page = client.get(f"/events/{only.id}").get_data(as_text=True)
    assert url in _delegations_section(page)


def test_cannot_start_for_a_cancelled_event(client, db):
    event = make_event(status=EventStatus.cancelled)
    response = _start(client, event)
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delegation)) == 0


def test_the_lead_holds_a_seat_and_a_full_date_refuses_a_new_delegation(client, db, make_client):
    event = make_event(capacity=2, has_waitlist=True)
    occurrence = event.occurrences[0]
    assert _start(client, event, seat_limit="").status_code == 303
    assert confirmed_headcount(occurrence.id) == 1
    rsvp_url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    one = {"name": "Ana", "email": "ana@example.org", "phone": "", "language": "en",
           "party_size": "1", "consents_to_reminders": "y"}  # fmt: skip
    assert make_client().submit(rsvp_url, one, page=rsvp_url).status_code == 200
    assert confirmed_headcount(occurrence.id) == 2
    # Full: no seat for another lead, and nothing is half-saved.
    refused = _start(make_client(), event, name="Springfield delegation", seat_limit="")
    assert refused.status_code == 409
    assert "no seat for the delegation" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delegation)) == 1
    # The organizers' count says why 2 of 2 are taken with one RSVP.
    organizer = make_client()
    organizer.login(member_of(event.host_org, OrgRole.organizer, email="o@example.org").email)
    dashboard = organizer.get(f"/events/{event.id}/occurrences/{occurrence.id}/attendees")
    assert "including 1 delegation lead" in dashboard.get_data(as_text=True)


def test_a_delegation_card_opens_its_public_page(client, db, make_client):
    event = make_event(title="May Day march")
    lead_url = _start(client, event).headers["Location"]
    delegation = db.session.scalar(sa.select(Delegation))
    _join(make_client(), f"/delegations/{delegation.id}/join/{delegation.join_secret}", 1, "2")
    event_page = make_client().get(f"/events/{event.id}").get_data(as_text=True)
    assert f'href="/delegations/{delegation.id}"' in event_page
    page = make_client().get(f"/delegations/{delegation.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Worcester delegation" in body and "Worcester" in body and "Bus" in body
    assert "3 coming" in body and "0 seats left" in body
    # Never the members, the lead, the meeting point or the links that let people in.
    for secret in ("Member 1", "m1@example.org", "Rosa", "rosa@example.org", "Union Station",
                   delegation.join_secret, lead_url.rsplit("/", 1)[1]):  # fmt: skip
        assert secret not in body
    assert "Ask them for it" in body


def test_a_delegation_waiting_for_approval_has_no_public_page(client, db):
    event = make_event(delegations_need_approval=True)
    _start(client, event)
    delegation = db.session.scalar(sa.select(Delegation))
    assert not delegation.is_approved
    assert client.get(f"/delegations/{delegation.id}").status_code == 404
    assert client.get("/delegations/999999").status_code == 404


def test_the_roster_runs_the_same_statements_for_10_or_200_members(client, db, queries):
    """Issue 26: one query for the members, whoever shares a contact; only shared contacts
    reach the page, guests are told apart, statuses named."""
    event = make_event()
    lead_url = _start(client, event, seat_limit="").headers["Location"]
    delegation = db.session.scalar(sa.select(Delegation))
    occurrence_id = event.occurrences[0].id

    def add(first: int, count: int) -> None:
        for i in range(first, first + count):
            db.session.add(RSVP(
                occurrence_id=occurrence_id, delegation_id=delegation.id, name=f"Rider {i:03d}",
                email=f"rider{i}@example.org" if i % 4 else None,
                phone=f"+1617555{i:04d}" if i % 4 == 0 else None,
                shares_contact_with_lead=i % 2 == 0,
                status=("confirmed", "waitlisted", "pending")[i % 3],
            ))  # fmt: skip
        db.session.commit()

    add(0, 9)
    db.session.add(RSVP(occurrence_id=occurrence_id, delegation_id=delegation.id,
                        name="Abuela", status="confirmed"))  # fmt: skip
    db.session.commit()
    with queries() as small:
        body = client.get(lead_url).text
    assert "rider2@example.org" in body and "+16175550004" in body  # shared
    assert "rider1@example.org" not in body and "Not shared" in body  # not shared
    assert "Abuela" in body and "No phone or email: you keep them informed" in body
    assert "Rider 001 (waitlist)" in body and "Rider 002 (waiting for the hosts' approval)" in body
    add(9, 190)
    with queries() as large:
        body = client.get(lead_url).text
    assert "Rider 198" in body and "rider198@example.org" in body
    assert "rider197@example.org" not in body
    assert len(large) == len(small), [s for s in large if s not in small][:2]
