"""Owners invite people by email; roles; the last owner stays."""

import re

import sqlalchemy as sa

from coalition.auth.models import User
from coalition.orgs.models import Invitation, Membership, OrgRole
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member_of

ACCEPT = re.compile(r"http://localhost(/invitations/\S+)")


def _invite(client, org, email, role="organizer"):
    return client.submit(
        f"/orgs/{org.slug}/people", {"email": email, "role": role}, page=f"/orgs/{org.slug}/people"
    )


def _accept_link(smtp) -> str:
    _recipients, message = smtp.messages[-1]
    return ACCEPT.search(message.get_body(preferencelist=("plain",)).get_content()).group(1)


def test_new_person_accepts_and_sets_a_password(client, db, smtp, deliver):
    org = OrganizationFactory()
    member_of(org, OrgRole.owner, email="owner@example.org")
    client.login("owner@example.org")
    assert _invite(client, org, "new@example.org").status_code == 302
    deliver()
    link = _accept_link(smtp)
    client.logout()
    response = client.submit(link, {"name": "Nuevo", "password": PASSWORD}, page=link)
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.org"))
    assert org.role_of(user) == OrgRole.organizer
    # The link is single use.
    client.logout()
    assert client.get(link).status_code == 400


def test_existing_user_signs_in_then_accepts(client, db, smtp, deliver):
    org = OrganizationFactory()
    member_of(org, OrgRole.owner, email="owner@example.org")
    existing = UserFactory(email="old@example.org")
    client.login("owner@example.org")
    _invite(client, org, "old@example.org", role="member")
    deliver()
    link = _accept_link(smtp)
    client.logout()
    response = client.get(link)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    client.login("old@example.org")
    assert client.submit(link, page=link).status_code == 302
    db.session.refresh(org)
    assert org.role_of(existing) == OrgRole.member


def test_withdrawn_invitation_no_longer_works(client, db, smtp, deliver):
    org = OrganizationFactory()
    member_of(org, OrgRole.owner, email="owner@example.org")
    client.login("owner@example.org")
    _invite(client, org, "new@example.org")
    deliver()
    link = _accept_link(smtp)
    invitation = db.session.scalar(sa.select(Invitation))
    client.submit(f"/orgs/{org.slug}/invitations/{invitation.id}/revoke")
    client.logout()
    assert client.get(link).status_code == 400


def test_inviting_someone_already_in_is_refused(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.owner, email="owner@example.org")
    member_of(org, OrgRole.member, email="in@example.org")
    client.login("owner@example.org")
    response = _invite(client, org, "in@example.org")
    assert response.status_code == 400
    assert "already in the organization" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_the_last_owner_cannot_leave_or_be_demoted(client, db):
    org = OrganizationFactory()
    owner = member_of(org, OrgRole.owner, email="owner@example.org")
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == owner.id))
    client.login("owner@example.org")
    url = f"/orgs/{org.slug}/people/{membership.id}"
    assert client.submit(f"{url}/role", {"role": "member"}).status_code == 409
    assert client.submit(f"{url}/remove").status_code == 409
    db.session.refresh(membership)
    assert membership.role == OrgRole.owner


def test_owner_changes_a_role_and_removes_someone(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.owner, email="owner@example.org")
    person = member_of(org, OrgRole.member, email="p@example.org")
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == person.id))
    client.login("owner@example.org")
    url = f"/orgs/{org.slug}/people/{membership.id}"
    assert client.submit(f"{url}/role", {"role": "organizer"}).status_code == 302
    db.session.refresh(membership)
    assert membership.role == OrgRole.organizer
    membership_id = membership.id
    assert client.submit(f"{url}/remove").status_code == 302
    db.session.expire_all()
    assert db.session.get(Membership, membership_id) is None


def test_a_person_may_belong_to_several_orgs(db):
    first, second = OrganizationFactory(), OrganizationFactory()
    user = member_of(first, OrgRole.owner)
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, org=second, role=OrgRole.member)
    assert first.role_of(user) == OrgRole.owner
    assert second.role_of(user) == OrgRole.member
