"""An organization applies, an admin approves or declines, suspends and reinstates."""

import sqlalchemy as sa

from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import Organization, OrgRole, OrgStatus
from tests.factories import OrganizationFactory, UserFactory, member_of

APPLICATION = {
    "name": "Centro Obrero de Lawrence",
    "slug": "",
    "description": "Worker center",
    "city": "Lawrence",
    "website": "https://centro.example.org",
    "contact_email": "info@centro.example.org",
    "contact_phone": "(978) 555-0123",
    "languages": ["es", "en"],
    "color": "#aa3300",
}


def _outbox(db, kind):
    return db.session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.kind == kind)).all()


def test_apply_creates_a_pending_org_owned_by_the_applicant_and_tells_admins(client, db):
    UserFactory(email="admin@example.org", is_admin=True)
    applicant = UserFactory(email="maria@example.org")
    client.login("maria@example.org")
    response = client.submit("/orgs/apply", APPLICATION, page="/orgs/apply")
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organization))
    assert org.status == OrgStatus.pending
    assert org.slug == "centro-obrero-de-lawrence"
    assert org.contact_phone == "+19785550123"
    assert org.role_of(applicant) == OrgRole.owner
    assert [m.recipient for m in _outbox(db, "org_application")] == ["admin@example.org"]
    # Not in the public directory until approved, but visible to its owner.
    client.get("/")  # shows (and so clears) the "thank you" message
    assert "Centro Obrero" not in client.get("/orgs").get_data(as_text=True)
    assert client.get(f"/orgs/{org.slug}").status_code == 200
    client.logout()
    assert client.get(f"/orgs/{org.slug}").status_code == 404


def test_invalid_application_shows_errors_and_writes_nothing(client, db):
    UserFactory(email="maria@example.org")
    client.login("maria@example.org")
    bad = dict(APPLICATION, contact_phone="12", website="not a url", color="red", name="")
    response = client.submit("/orgs/apply", bad, page="/orgs/apply")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    for field in ("name", "contact_phone", "website", "color"):
        assert f'id="{field}-error"' in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0


def test_duplicate_org_name_is_refused(client, db):
    OrganizationFactory(name="Centro Obrero de Lawrence")
    UserFactory(email="maria@example.org")
    client.login("maria@example.org")
    response = client.submit("/orgs/apply", APPLICATION, page="/orgs/apply")
    assert response.status_code == 400
    assert "exists already" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 1


def test_admin_approves_and_the_owners_are_told(client, db):
    UserFactory(email="admin@example.org", is_admin=True)
    org = OrganizationFactory(status=OrgStatus.pending)
    member_of(org, OrgRole.owner, email="owner@example.org", language="es")
    client.login("admin@example.org")
    assert org.name in client.get("/admin/applications").get_data(as_text=True)
    response = client.submit(f"/admin/orgs/{org.id}/approve")
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.status == OrgStatus.active
    assert [m.recipient for m in _outbox(db, "org_approved")] == ["owner@example.org"]
    client.get("/")
    assert org.name in client.get("/orgs").get_data(as_text=True)


def test_decline_needs_a_note_which_is_emailed(client, db):
    UserFactory(email="admin@example.org", is_admin=True)
    org = OrganizationFactory(status=OrgStatus.pending)
    member_of(org, OrgRole.owner, email="owner@example.org")
    client.login("admin@example.org")
    response = client.submit(f"/admin/orgs/{org.id}/decline", {"note": ""})
    assert response.status_code == 400
    db.session.refresh(org)
    assert org.status == OrgStatus.pending
    response = client.submit(f"/admin/orgs/{org.id}/decline", {"note": "Not a member group."})
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.status == OrgStatus.declined
    (email,) = _outbox(db, "org_declined")
    assert "Not a member group." in email.body_text


def test_suspend_hides_the_org_and_reinstate_brings_it_back(client, db):
    UserFactory(email="admin@example.org", is_admin=True)
    org = OrganizationFactory(name="Visible Workers")
    member_of(org, OrgRole.owner)
    client.login("admin@example.org")
    response = client.submit(f"/admin/orgs/{org.id}/suspend", {"note": "Posted spam."})
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.status == OrgStatus.suspended
    client.logout()
    assert "Visible Workers" not in client.get("/orgs").get_data(as_text=True)
    assert client.get(f"/orgs/{org.slug}").status_code == 404
    client.login("admin@example.org")
    assert client.submit(f"/admin/orgs/{org.id}/reinstate").status_code == 302
    client.logout()
    assert "Visible Workers" in client.get("/orgs").get_data(as_text=True)


def test_approving_an_active_org_is_a_conflict(client, db):
    UserFactory(email="admin@example.org", is_admin=True)
    org = OrganizationFactory()
    client.login("admin@example.org")
    assert client.submit(f"/admin/orgs/{org.id}/approve").status_code == 409


def test_owner_edits_the_profile(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.owner, email="owner@example.org")
    client.login("owner@example.org")
    data = dict(APPLICATION, name="New Name", slug="new-name")
    response = client.submit(f"/orgs/{org.slug}/edit", data, page=f"/orgs/{org.slug}/edit")
    assert response.status_code == 302
    db.session.refresh(org)
    assert (org.name, org.slug) == ("New Name", "new-name")


def test_the_decline_note_goes_with_decline_only(client, db):
    """Issue #14, finding 6: the note box is inside Decline's own disclosure, not beside
    Approve, and says it is sent with that decision."""
    import re

    UserFactory(email="admin@example.org", is_admin=True)
    org = OrganizationFactory(status=OrgStatus.pending, name="Centro Obrero")
    client.login("admin@example.org")
    body = client.get("/admin/applications").get_data(as_text=True)
    approve = re.search(rf'<form[^>]*action="/admin/orgs/{org.id}/approve".*?</form>', body, re.S)
    assert approve and "<textarea" not in approve.group(0)
    decline = re.search(r"<details[^>]*>\s*<summary>Decline…</summary>(.*?)</details>", body, re.S)
    assert decline and "<textarea" in decline.group(1)
    assert f'action="/admin/orgs/{org.id}/decline"' in decline.group(1)
    assert "Note to the organization, sent with this decision" in decline.group(1)
