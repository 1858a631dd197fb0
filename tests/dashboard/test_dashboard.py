"""The organizers' dashboard: counts, who sees the list, export, check-in, messages, audit."""

import csv
import io

import pytest
import sqlalchemy as sa

from coalition.crypto import phone_hash
from coalition.dashboard import operations as dashboard_ops
from coalition.delegations import operations as delegation_ops
from coalition.delegations.models import Delegation
from coalition.events import lifecycle as event_lifecycle
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
    event = make_event(host, by=people["organizer"], capacity=7)  # Rosa, the lead, holds one
    invitation = event_lifecycle.invite_cosponsor(event, partner)
    event_lifecycle.respond_to_cosponsorship(invitation, accept=True)
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


def test_counts_and_roll_ups(client, world, db):
    _event, occurrence, _people, base, *_ = world
    # A second delegation from the same town and one from another town, both still empty
    # (added as rows: the date is full now, so starting one would be refused).
    for name, town in (("Worcester van", "Worcester"), ("Lowell carpool", "Lowell")):
        db.session.add(Delegation(occurrence=occurrence, name=name, town=town, lead_name="Lead",
                                  lead_email=f"{town}@example.org"))  # fmt: skip
    db.session.commit()
    counts = dashboard_ops.counts(occurrence)
    assert counts.by_status == {"confirmed": {"rsvps": 2, "people": 5},
                                "waitlisted": {"rsvps": 1, "people": 2}}  # fmt: skip
    assert counts.headcount == 5 and counts.leads == 3
    assert counts.by_language == {"es": 2, "en": 3}
    assert counts.needs == {"interpretation": 0, "childcare": 1, "ride": 1}
    assert counts.by_town == [("Lowell", 0), ("Worcester", 2)]
    assert [(d["name"], d["confirmed"]) for d in counts.by_delegation] == [
        ("Lowell carpool", 0), ("Worcester bus", 2), ("Worcester van", 0)]  # fmt: skip
    client.login("host@example.org")
    body = client.get(f"{base}/attendees").get_data(as_text=True)
    assert "<strong>8</strong> people confirmed / 7" in body
    assert "(including 3 delegation leads)" in body
    assert "<strong>2</strong> people waiting" in body
    assert "Worcester bus (Worcester): 2 / 1" in body
    assert "Worcester: 2" in body and "Lowell: 0" in body
    assert "Español: 2" in body
    assert "childcare: 1" in body and "rides: 1" in body
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
    event, occurrence, _people, base, *_ = world
    dee = db.session.scalar(sa.select(RSVP).where(RSVP.name == "Dee"))
    dee.name = '=HYPERLINK("http://evil")'
    db.session.commit()
    client.login("host@example.org")
    client.get(f"{base}/attendees")
    response = client.get(f"{base}/attendees.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Name", "Email", "Phone", "Language", "People"]
    carla = next(row for row in rows if row[0] == "Carla")
    assert carla[1:5] == ["carla@example.org", "", "es", "2"]
    assert carla[9:11] == ["confirmed", "Worcester bus"]
    assert any(row[0].startswith("'=HYPERLINK") for row in rows)  # not run as a formula
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["view_attendees", "export_csv"]
    assert {(e.user.email, e.org_id, e.occurrence_id) for e in entries} == {
        ("host@example.org", event.host_org_id, occurrence.id)
    }


def test_audit_page_for_owners_and_admins(client, world, db):
    event, _occurrence, _people, base, *_ = world
    client.login("host@example.org")
    client.get(f"{base}/attendees.csv")
    assert client.get(f"/orgs/{event.host_org.slug}/audit").status_code == 403
    client.logout()
    for email in ("owner@example.org", "admin@example.org"):
        client.login(email)
        page = client.get(f"/orgs/{event.host_org.slug}/audit").get_data(as_text=True)
        assert "Exported the attendee list (CSV)" in page and "host@example.org" in page
        assert event.title in page  # which date
        client.logout()


def test_audit_page_is_newest_first_and_paginated(client, world, db):
    event, occurrence, people, *_ = world
    for n in range(60):
        rsvp_ops.record_access(people["organizer"], event.host_org_id, "view_attendees",
                               occurrence_id=occurrence.id, detail=f"look {n}")  # fmt: skip
    db.session.commit()
    client.login("owner@example.org")
    first = client.get(f"/orgs/{event.host_org.slug}/audit").get_data(as_text=True)
    assert first.index("look 59") < first.index("look 58")
    assert "look 9<" not in first and "Page 1 of 2" in first
    second = client.get(f"/orgs/{event.host_org.slug}/audit?page=2").get_data(as_text=True)
    assert "look 9<" in second and "look 59" not in second


def test_check_in_and_walk_in(client, world, db):
    _event, occurrence, _people, base, *_ = world
    client.login("host@example.org")
    page = client.get(f"{base}/checkin").get_data(as_text=True)
    assert "Tap to check in" in page and 'type="search"' in page
    dee = db.session.scalar(sa.select(RSVP).where(RSVP.name == "Dee"))
    assert client.submit(f"{base}/checkin/{dee.id}", page=f"{base}/checkin").status_code == 302
    db.session.refresh(dee)
    assert dee.checked_in_at is not None
    assert dashboard_ops.counts(occurrence).checked_in == 3
    # Tapping again undoes a mistaken check-in.
    client.submit(f"{base}/checkin/{dee.id}", page=f"{base}/checkin")
    db.session.refresh(dee)
    assert dee.checked_in_at is None
    response = client.submit(f"{base}/walk-in", {"name": "Walk In", "phone": "", "party_size": "2"},
                             page=f"{base}/checkin")  # fmt: skip
    assert response.status_code == 302
    # Capacity is 7 and 6 hold seats (the lead too): the walk-in is counted past it (they are
    # here).
    assert rsvp_ops.confirmed_headcount(occurrence.id) == 8
    walk_in = db.session.scalar(sa.select(RSVP).where(RSVP.name == "Walk In"))
    assert walk_in.is_walk_in and walk_in.checked_in_at is not None
    assert "Walk In" in client.get(f"{base}/checkin?q=walk").get_data(as_text=True)
    assert "Dee" not in client.get(f"{base}/checkin?q=walk").get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions.count("check_in") == 3 and "view_attendees" in actions


def test_walk_in_with_the_phone_of_a_waitlisted_rsvp_confirms_it(client, world, db):
    _event, occurrence, _people, base, *_ = world
    client.login("host@example.org")
    response = client.submit(f"{base}/walk-in",
                             {"name": "Eli", "phone": "617 555 0111", "party_size": "2"},
                             page=f"{base}/checkin")  # fmt: skip
    assert response.status_code == 302
    eli = db.session.scalars(
        sa.select(RSVP).where(RSVP.phone_hash == phone_hash("+16175550111"))
    ).one()
    assert eli.status == "confirmed" and eli.checked_in_at is not None
    assert rsvp_ops.confirmed_headcount(occurrence.id) == 8


def test_walk_in_without_a_name_is_refused(client, world, db):
    _event, occurrence, _people, base, *_ = world
    client.login("host@example.org")
    response = client.submit(f"{base}/walk-in", {"name": "", "party_size": "1"},
                             page=f"{base}/checkin")  # fmt: skip
    assert response.status_code == 400
    assert rsvp_ops.confirmed_headcount(occurrence.id) == 6


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


def test_message_falls_back_to_the_primary_language(client, db):
    host = OrganizationFactory()
    organizer = member_of(host, OrgRole.organizer, email="host@example.org")
    event = make_event(host, by=organizer, primary_language="ht",
                       texts={"ht": ("Rasanbleman", "Vini")})  # fmt: skip
    occurrence = event.occurrences[0]
    for name, language in (("Jean", "ht"), ("Ana", "es"), ("Vo", "vi")):
        rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name=name, email=f"{name}@example.org",
                                                       language=language))  # fmt: skip
    db.session.commit()
    base = f"/events/{event.id}/occurrences/{occurrence.id}"
    client.login("host@example.org")
    form = client.get(f"{base}/message").get_data(as_text=True)
    assert 'name="subject_ht"' in form and 'name="subject_es"' in form
    data = {"audience": "all", "subject_ht": "Dlo", "body_ht": "Pote dlo",
            "subject_en": "Water", "body_en": "Bring water"}  # fmt: skip
    response = client.submit(f"{base}/message", data, page=f"{base}/message")
    assert response.status_code == 302
    rows = dict(db.session.execute(sa.select(OutgoingEmail.recipient, OutgoingEmail.subject).where(
        OutgoingEmail.kind == "organizer_message")).all())  # fmt: skip
    # Nobody wrote Spanish or Vietnamese: those get the event's primary language, not English.
    assert rows == {"jean@example.org": "Dlo", "ana@example.org": "Dlo", "vo@example.org": "Dlo"}


def test_message_to_one_delegation_and_half_written_versions(client, world, db):
    _event, _occurrence, _people, base, *_ = world
    client.login("host@example.org")
    delegation_id = db.session.scalar(sa.select(RSVP.delegation_id).where(RSVP.name == "Carla"))
    half = client.submit(f"{base}/message", {"audience": "all", "subject_en": "Only a subject"},
                         page=f"{base}/message")  # fmt: skip
    assert half.status_code == 400 and "Write both a subject and a message" in half.text
    empty = client.submit(f"{base}/message", {"audience": "all"}, page=f"{base}/message")
    assert empty.status_code == 400 and "at least one language" in empty.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingEmail).where(
        OutgoingEmail.kind == "organizer_message")) == 0  # fmt: skip
    response = client.submit(f"{base}/message", {"audience": f"delegation-{delegation_id}",
                             "subject_en": "Bus at 7", "body_en": "Be early"},
                             page=f"{base}/message")  # fmt: skip
    assert response.status_code == 302
    assert db.session.scalars(sa.select(OutgoingEmail.recipient).where(
        OutgoingEmail.kind == "organizer_message")).all() == ["carla@example.org"]  # fmt: skip
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "message")).one()
    assert entry.detail.endswith("1 recipients")


def test_dashboard_queries_are_bounded(client, world, db, queries):
    _event, occurrence, _people, base, *_ = world
    bus = db.session.scalar(sa.select(RSVP.delegation_id).where(RSVP.name == "Carla"))

    def add(n: int) -> None:
        for i in range(n):
            db.session.add(RSVP(occurrence=occurrence, name=f"P{i}",
                                email=f"p{i}-{n}@example.org" if i % 5 else None,
                                phone=f"+1617{n:03d}{i:04d}" if i % 5 == 0 else None,
                                status=("confirmed", "waitlisted", "cancelled", "pending")[i % 4],
                                delegation_id=bus if i % 2 else None,
                                needs_ride=bool(i % 4)))  # fmt: skip
        db.session.commit()

    client.login("host@example.org")
    pages = [f"{base}/attendees", f"{base}/attendees?q=p4", f"{base}/checkin"]
    add(7)  # 10 RSVPs
    small = {}
    for page in pages:
        with queries() as small[page]:
            assert client.get(page).status_code == 200
    add(300)  # 310 RSVPs
    large = {}
    for page in pages:
        with queries() as large[page]:
            assert client.get(page).status_code == 200
    with queries() as later:  # a page further down the list: the same statements
        assert client.get(f"{base}/attendees?page=5").status_code == 200
    assert len(later) == len(large[pages[0]])
    from collections import Counter

    for page in pages:
        extra = Counter(large[page]) - Counter(small[page])
        assert len(large[page]) == len(small[page]), (page, list(extra.items())[:2])


def test_a_long_attendee_list_comes_in_pages_and_a_search_finds_anyone(client, world, db):
    _event, occurrence, _people, base, *_ = world
    for i in range(120):
        db.session.add(RSVP(occurrence=occurrence, name=f"Marcher {i:03d}",
                            email=f"marcher{i}@example.org", status="confirmed"))  # fmt: skip
    db.session.commit()
    client.login("host@example.org")
    first = client.get(f"{base}/attendees").text
    assert first.count("@example.org</a>") == dashboard_ops.PAGE_SIZE
    assert "Page 1 of 3" in first and "Marcher 000" in first and "Marcher 119" not in first
    last = client.get(f"{base}/attendees?page=3").text
    assert "Marcher 119" in last and "marcher119@example.org" in last and "Marcher 000" not in last
    found = client.get(f"{base}/attendees?q=marcher 11").text
    assert [f"Marcher 11{d}" in found for d in range(10)] == [True] * 10
    assert "Marcher 120" not in found and "Page 1 of" not in found
    assert "No one by that name." in client.get(f"{base}/attendees?q=nobody").text
    assert client.get(f"{base}/attendees?page=99999999999999999999").status_code == 200
    rows = list(csv.reader(io.StringIO(client.get(f"{base}/attendees.csv").text)))
    assert len(rows) == 1 + 3 + 120  # the export stays complete: Carla, Dee, Eli and the 120


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


def test_approval_cards_show_the_oldest_requests_first_and_count_the_rest(client, world, db):
    _event, occurrence, _people, base, *_ = world
    for i in range(dashboard_ops.PAGE_SIZE + 10):
        db.session.add(RSVP(occurrence=occurrence, name=f"Asker {i:03d}", status="pending",
                            email=f"asker{i}@example.org"))  # fmt: skip
    db.session.commit()
    client.login("host@example.org")
    body = client.get(f"{base}/attendees").text
    assert body.count('/approve"') == dashboard_ops.PAGE_SIZE
    assert "<strong>Asker 000</strong>" in body and "<strong>Asker 049</strong>" in body
    assert "<strong>Asker 050</strong>" not in body
    assert "10 more requests wait after these." in body
    # A co-sponsor sees neither the cards nor the people.
    client.logout()
    client.login("partner@example.org")
    body = client.get(f"{base}/attendees").text
    assert "Asker" not in body and "asker1@example.org" not in body
