"""Route by role → expected status, for every page of the foundation."""

import pytest

from coalition.orgs.models import OrgRole, OrgStatus
from tests.factories import OrganizationFactory, UserFactory, member_of

ROLES = ["anonymous", "stranger", "member", "organizer", "owner", "other_owner", "admin"]

# Shorthand for the expected statuses, in ROLES order.
EVERYONE = [200] * 7
SIGNED_IN = [302, 200, 200, 200, 200, 200, 200]
OWNERS = [302, 403, 403, 403, 200, 403, 200]
ADMINS = [302, 403, 403, 403, 403, 403, 200]

TABLE = [
    ("GET", "/", EVERYONE),
    ("GET", "/healthz", EVERYONE),
    ("GET", "/orgs", EVERYONE),
    ("GET", "/orgs/{org}", EVERYONE),
    ("GET", "/orgs/{pending}", [404, 404, 404, 404, 404, 404, 200]),
    ("GET", "/orgs/{org}/edit", OWNERS),
    ("GET", "/orgs/{org}/people", OWNERS),
    # The owner removes the person; for the admin after them the membership is gone.
    ("POST", "/orgs/{org}/people/{membership}/remove", [*OWNERS[:4], 302, 403, 404]),
    ("GET", "/orgs/apply", SIGNED_IN),
    ("GET", "/account", SIGNED_IN),
    ("GET", "/login", [200, 302, 302, 302, 302, 302, 302]),
    ("GET", "/admin/", ADMINS),
    ("GET", "/admin/applications", ADMINS),
    ("GET", "/admin/orgs", ADMINS),
    ("GET", "/admin/users", ADMINS),
    ("POST", "/admin/orgs/{pending_id}/approve", [*ADMINS[:6], 302]),
]


@pytest.fixture
def world(db):
    org = OrganizationFactory()
    other = OrganizationFactory()
    pending = OrganizationFactory(status=OrgStatus.pending)
    people = {
        "stranger": UserFactory(),
        "member": member_of(org, OrgRole.member),
        "organizer": member_of(org, OrgRole.organizer),
        "owner": member_of(org, OrgRole.owner),
        "other_owner": member_of(other, OrgRole.owner),
        "admin": UserFactory(is_admin=True),
    }
    removable = member_of(org, OrgRole.member)
    membership = next(m for m in org.memberships if m.user_id == removable.id)
    values = {
        "org": org.slug,
        "pending": pending.slug,
        "pending_id": pending.id,
        "membership": membership.id,
    }
    return people, values


@pytest.mark.parametrize(
    ("method", "path", "expected"), TABLE, ids=[f"{m} {p}" for m, p, _ in TABLE]
)
def test_route_role_table(make_client, world, method, path, expected):
    people, values = world
    url = path.format(**values)
    results = {}
    for role in ROLES:
        client = make_client()
        if role != "anonymous":
            client.login(people[role].email)
        response = client.get(url) if method == "GET" else client.submit(url)
        results[role] = response.status_code
    assert results == dict(zip(ROLES, expected, strict=True))
