"""The organizers' dashboard: counts, who sees the list, export, check-in, messages, audit."""

import pytest
import sqlalchemy as sa

from coalition.delegations import operations as delegation_ops
from coalition.events import operations as event_ops
from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP, AuditEntry
from tests.factories import OrganizationFactory, UserFactory, make_event, member_of


@pytest.fixture
def world(db):
    host = OrganizationFactory()
    partner = OrganizationFactory()
    people = {
        "organizer": member_of(host, OrgRole.organizer, email="host@example.org"),
        "owner": member_of(host, OrgRole.owner, email="owner@example.org"),
        "member": member_of(host, OrgRole.member, email="member@example.org"),
        "partner": member_of(partner, OrgRole.organizer, email="partner@example.org"),
        "admin": UserFactory(email="admin@example.org", is_admin=True),
        "stranger": UserFactory(email="stranger@example.org"),
    }
    event = make_event(host, by=people["organizer"], capacity=6)
    invitation = event_ops.invite_cosponsor(event, partner)
    event_ops.respond_to_cosponsorship(invitation, accept=True)
    occurrence = event.occurrences[0]
    bus = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(
            name="Worcester bus", town="Worcester", lead_name="Rosa", lead_email="rosa@example.org"
        ),
    )
    delegation_ops.join(bus, rsvp_ops.RSVPInput(name="Carla", email="carla@example.org",
                                                language="es", party_size=2,
                                                needs_childcare=True))  # fmt: skip
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Dee", email="dee@example.org",
                                                   party_size=3, needs_ride=True))  # fmt: skip
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Eli", phone="+16175550111",
                                                   party_size=2))  # fmt: skip
    from coalition.db import utcnow

    db.session.commit()
    base = f"/events/{event.id}/occurrences/{occurrence.id}"
    return event, occurrence, people, base, invitation, utcnow


def test_counts_and_roll_ups(client, world):
    _event, _occurrence, _people, base, *_ = world
    client.login("host@example.org")
    body = client.get(f"{base}/attendees").get_data(as_text=True)
    assert "<strong>5</strong> people confirmed / 6" in body
    assert "<strong>2</strong> people waiting" in body
    assert "Worcester bus (Worcester): 2 / 1" in body
    assert "Español: 2" in body
    assert "Carla" in body and "dee@example.org" in body


@pytest.mark.parametrize(
    ("who", "list_status", "sees_names"),
    [("organizer", 200, True), ("owner", 200, True), ("admin", 200, True),
     ("partner", 200, False), ("member", 403, False), ("stranger", 403, False)],
)  # fmt: skip
def test_who_sees_counts_and_who_sees_the_list(client, world, who, list_status, sees_names):
    _event, _occurrence, people, base, *_ = world
    client.login(people[who].email)
    response = client.get(f"{base}/attendees")
    assert response.status_code == list_status
    assert ("Carla" in response.get_data(as_text=True)) is sees_names
    csv_status = 200 if sees_names else 403
    assert client.get(f"{base}/attendees.csv").status_code == csv_status


def test_anonymous_is_sent_to_sign_in(client, world):
    *_, base, _invitation, _now = world
    assert client.get(f"{base}/attendees").status_code == 302


def test_sharing_with_a_cosponsor_shows_them_the_list(client, world, db):
    _event, _occurrence, _people, base, invitation, _ = world
    invitation.shares_attendees = True
    db.session.commit()
    client.login("partner@example.org")
    assert "Carla" in client.get(f"{base}/attendees").get_data(as_text=True)


def test_csv_and_every_view_are_audited(client, world, db):
    event, _occurrence, _people, base, *_ = world
    client.login("host@example.org")
    client.get(f"{base}/attendees")
    response = client.get(f"{base}/attendees.csv")
    text = response.data.decode("utf-8-sig")
    assert "Carla" in text and "carla@example.org" in text
    assert response.headers["Cache-Control"] == "private, no-store"
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["view_attendees", "export_csv"]
    client.logout()
    client.login("owner@example.org")
    page = client.get(f"/orgs/{event.host_org.slug}/audit").get_data(as_text=True)
    assert "export_csv" in page and "host@example.org" in page
    client.logout()
    client.login("host@example.org")
    assert client.get(f"/orgs/{event.host_org.slug}/audit").status_code == 403


def test_check_in_and_walk_in(client, world, db):
    _event, occurrence, _people, base, *_ = world
    client.login("host@example.org")
    dee = db.session.scalar(sa.select(RSVP).where(RSVP.name == "Dee"))
    assert client.submit(f"{base}/checkin/{dee.id}", page=f"{base}/checkin").status_code == 302
    db.session.refresh(dee)
    assert dee.checked_in_at is not None
    response = client.submit(f"{base}/walk-in", {"name": "Walk In", "phone": "", "party_size": "2"},
                             page=f"{base}/checkin")  # fmt: skip
    assert response.status_code == 302
    assert rsvp_ops.confirmed_headcount(occurrence.id) == 7
    assert "Walk In" in client.get(f"{base}/checkin?q=walk").get_data(as_text=True)


def test_message_to_confirmed_in_each_language(client, world, db):
    _event, _occurrence, _people, base, *_ = world
    client.login("host@example.org")
    response = client.submit(
        f"{base}/message",
        {
            "audience": "confirmed",
            "subject_en": "Bring water",
            "body_en": "It is hot.",
            "subject_es": "Traigan agua",
            "body_es": "Hace calor.",
        },
        page=f"{base}/message",
    )
    assert response.status_code == 302
    rows = dict(
        db.session.execute(
            sa.select(OutgoingEmail.recipient, OutgoingEmail.subject).where(
                OutgoingEmail.kind == "organizer_message"
            )
        ).all()
    )
    assert rows == {"carla@example.org": "Traigan agua", "dee@example.org": "Bring water"}


def test_dashboard_queries_are_bounded(client, world, db, queries):
    _event, occurrence, _people, base, *_ = world
    client.login("host@example.org")
    with queries() as small:
        client.get(f"{base}/attendees")
    for n in range(40):
        db.session.add(RSVP(occurrence=occurrence, name=f"P{n}", email=f"x{n}@example.org",
                            status="waitlisted"))  # fmt: skip
    db.session.commit()
    with queries() as large:
        client.get(f"{base}/attendees")
    from collections import Counter

    extra = Counter(large) - Counter(small)
    assert len(large) == len(small), list(extra.items())[:2]


def test_failed_reminders_are_shown_to_the_organizers(client, world, db, smtp):
    from datetime import timedelta

    from coalition.mail.delivery import MAX_ATTEMPTS, deliver_due
    from coalition.reminders.operations import send_due

    _event, occurrence, _people, base, *_ = world
    smtp.refuse["dee@example.org"] = (550, "Mailbox unavailable")
    send_due(now=occurrence.start_at - timedelta(days=1))
    for _attempt in range(MAX_ATTEMPTS):
        deliver_due(now=occurrence.start_at)
    client.login("host@example.org")
    body = client.get(f"{base}/attendees").get_data(as_text=True)
    assert "could not be delivered" in body and "dee@example.org" in body
    assert "Mailbox unavailable" in body


def test_host_shares_the_list_with_a_cosponsor(client, world, db):
    event, _occurrence, _people, base, invitation, _ = world
    client.login("host@example.org")
    url = f"/events/{event.id}/cosponsors/{invitation.id}/share"
    assert client.submit(url, page=f"/events/{event.id}/cosponsors").status_code == 302
    client.logout()
    client.login("partner@example.org")
    assert "Carla" in client.get(f"{base}/attendees").get_data(as_text=True)
