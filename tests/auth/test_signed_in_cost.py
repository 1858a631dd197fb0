"""What every page of a signed-in person costs beside the page itself (issue #26): the person,
their memberships and those organizations in one statement, whatever the number of
organizations, then nothing more for the header, two-factor, members-only events or an
organization's permission check, nor for the header's rapid-response link (a flag read in the
same statement).
And the answers stay those of the moment: a membership removed or granted counts at once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coalition.orgs.models import Membership, OrgRole, OrgStatus
from tests.factories import MembershipFactory, OrganizationFactory, make_event, member_of


@pytest.fixture
def app_overrides() -> dict:
    # As production: two-factor is asked of organizers, so every request checks who needs it.
    return {"REQUIRE_TWO_FACTOR": True}


def _count(client, queries, url: str) -> tuple[int, list[str]]:
    client.get(url)  # the first request of a process reads names and versions
    with queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements), list(statements)


def test_the_person_costs_one_statement_however_many_organizations(client, db, queries):
    make_event(title="Rally for TPS")  # something on the calendar
    anonymous, _ = _count(client, queries, "/calendar")

    one = member_of(OrganizationFactory(), OrgRole.member, email="one@example.org")
    many = member_of(OrganizationFactory(), OrgRole.member, email="many@example.org")
    # Members-only events are asked of the organizations in turn: suspended ones first.
    for _ in range(5):
        MembershipFactory(user=many, org=OrganizationFactory(status=OrgStatus.suspended))
    db.session.commit()
    assert one.id and len(many.memberships) == 6

    client.login("one@example.org")
    first, _ = _count(client, queries, "/calendar")
    client.logout()
    client.login("many@example.org")
    second, statements = _count(client, queries, "/calendar")
    assert first == second == anonymous + 1, statements
    assert sum("FROM users" in s for s in statements) == 1
    assert not any(s.lstrip().startswith("SELECT memberships") for s in statements)
    assert not any(s.lstrip().startswith("SELECT organizations") for s in statements)


def test_an_organization_page_asks_no_membership_of_its_own(client, db, queries):
    org = OrganizationFactory(slug="home-org")
    member_of(org, OrgRole.member, email="member@home-org.example.org")
    for n in range(20):
        member_of(org, OrgRole.member, email=f"other{n}@home-org.example.org")
    db.session.commit()
    client.login("member@home-org.example.org")
    _, statements = _count(client, queries, "/orgs/home-org")
    # The person's own statement reads them (and the header's flag); nothing else does.
    statements = [s for s in statements if "FROM users" not in s]
    assert not any("FROM memberships" in s for s in statements), statements
    assert not any("FROM organizations" in s and "slug" in s for s in statements), statements


@pytest.mark.parametrize("app_overrides", [{"REQUIRE_TWO_FACTOR": False}])
def test_a_membership_removed_or_granted_counts_at_the_next_request(client, db, make_client):
    org = OrganizationFactory(slug="changing-org")
    owner = member_of(org, OrgRole.owner, email="owner@changing-org.example.org")
    member = member_of(org, OrgRole.member, email="member@changing-org.example.org")
    db.session.commit()
    assert owner.id
    client.login("member@changing-org.example.org")
    assert client.get("/orgs/changing-org/people").status_code == 403

    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == member.id))
    membership.role = OrgRole.owner
    db.session.commit()
    assert client.get("/orgs/changing-org/people").status_code == 200

    db.session.delete(membership)
    db.session.commit()
    assert client.get("/orgs/changing-org/people").status_code == 403

    # A suspended organization is hidden from those who are not its people.
    org.status = OrgStatus.suspended
    db.session.commit()
    assert client.get("/orgs/changing-org").status_code == 404
    other = make_client()
    other.login("owner@changing-org.example.org")
    assert other.get("/orgs/changing-org").status_code == 200


def test_the_rapid_response_link_follows_the_roles_of_the_moment(client, db, queries):
    """The header's link, read with the person: shown to an organization's dispatcher and to a
    coalition-wide one (while an organization is active), at once when granted or taken away."""
    from coalition.rapid.models import CoalitionDispatcher

    org = OrganizationFactory()
    person = member_of(org, OrgRole.member, email="person@example.org")
    db.session.commit()
    client.login("person@example.org")
    hub = 'href="/rapid"'

    def shown() -> bool:
        _count(client, queries, "/calendar")
        return hub in client.get("/calendar").text

    assert not shown()
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == person.id))
    membership.is_dispatcher = True
    db.session.commit()
    assert shown()
    org.status = OrgStatus.suspended  # a suspended organization dispatches nothing
    db.session.commit()
    assert not shown()
    db.session.add(CoalitionDispatcher(user_id=person.id))
    db.session.commit()
    assert not shown()  # coalition-wide, but no organization is active
    org.status = OrgStatus.active
    membership.is_dispatcher = False
    db.session.commit()
    assert shown()
    db.session.execute(sa.delete(CoalitionDispatcher))
    db.session.commit()
    assert not shown()
