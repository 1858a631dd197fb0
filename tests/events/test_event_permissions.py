"""Route by role for every event, RSVP-dashboard and moderation route (GET and POST)."""

import pytest

from coalition.events import lifecycle as event_lifecycle
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, UserFactory, make_event, member_of

ROLES = ["anonymous", "stranger", "member", "organizer", "owner", "other_org", "cosponsor", "admin"]
#       anon  stranger member organizer owner other  cosponsor admin
EVERYONE = [200, 200, 200, 200, 200, 200, 200, 200]
MANAGERS = [302, 403, 403, 200, 200, 403, 403, 200]
ORGANIZERS_OF_HOST = [302, 403, 403, 200, 200, 403, 403, 200]
COUNTS = [302, 403, 403, 200, 200, 403, 200, 200]
ADMINS = [302, 403, 403, 403, 403, 403, 403, 200]
OWNERS = [302, 403, 403, 403, 200, 403, 403, 200]

TABLE = [
    ("GET", "/calendar", EVERYONE),
    ("GET", "/calendar/month", EVERYONE),
    ("GET", "/calendar/past", EVERYONE),
    ("GET", "/events/{event}", EVERYONE),
    ("GET", "/events/{event}/occurrences/{occ}", EVERYONE),
    ("GET", "/events/{draft}", [404, 404, 404, 200, 200, 404, 404, 200]),
    ("GET", "/events/{event}/edit", MANAGERS),
    # A draft is hidden (404) from whoever could not see it, signed in or not.
    ("GET", "/events/{draft}/edit", [404, 404, 404, 200, 200, 404, 404, 200]),
    ("GET", "/events/{event}/cosponsors", MANAGERS),
    ("GET", "/events/{event}/occurrences/{occ}/edit", MANAGERS),
    ("GET", "/orgs/{org}/events", ORGANIZERS_OF_HOST),
    ("GET", "/orgs/{org}/events/new", ORGANIZERS_OF_HOST),
    ("GET", "/orgs/{org}/cosponsorships", ORGANIZERS_OF_HOST),
    # The organizer publishes it; from then on it is public, and publishing again is refused.
    ("POST", "/events/{draft}/publish", [404, 404, 404, 302, 409, 403, 403, 409]),
    ("POST", "/events/{event}/duplicate", [302, 403, 403, 302, 302, 403, 403, 302]),
    ("POST", "/events/{event}/occurrences/{occ}/restore", [302, 403, 403, 409, 409, 403, 403, 409]),
    ("GET", "/events/{event}/occurrences/{occ}/rsvp", EVERYONE),
    ("GET", "/events/{event}/occurrences/{occ}/delegations/new", EVERYONE),
    ("GET", "/events/{event}/occurrences/{occ}/attendees", COUNTS),
    ("GET", "/events/{event}/occurrences/{occ}/attendees.csv", MANAGERS),
    ("GET", "/events/{event}/occurrences/{occ}/checkin", MANAGERS),
    ("GET", "/events/{event}/occurrences/{occ}/message", MANAGERS),
    ("GET", "/orgs/{org}/audit", OWNERS),
    ("GET", "/admin/events/pending", ADMINS),
    ("GET", "/admin/events/types", ADMINS),
    ("GET", "/admin/events/settings", ADMINS),
    ("POST", "/admin/events/{event}/approve", [302, 403, 403, 403, 403, 403, 403, 409]),
]


@pytest.fixture
def world(db):
    host, other, partner = OrganizationFactory(), OrganizationFactory(), OrganizationFactory()
    people = {
        "stranger": UserFactory(),
        "member": member_of(host, OrgRole.member),
        "organizer": member_of(host, OrgRole.organizer),
        "owner": member_of(host, OrgRole.owner),
        "other_org": member_of(other, OrgRole.organizer),
        "cosponsor": member_of(partner, OrgRole.organizer),
        "admin": UserFactory(is_admin=True),
    }
    event = make_event(host, by=people["organizer"],
                       recurrence=RecurrenceSpec(Frequency.weekly, count=3))  # fmt: skip
    invitation = event_lifecycle.invite_cosponsor(event, partner)
    event_lifecycle.respond_to_cosponsorship(invitation, accept=True)
    draft = make_event(host, by=people["organizer"], title="Secret draft", status="draft")
    db.session.commit()
    values = {"event": event.id, "occ": event.occurrences[0].id, "draft": draft.id,
              "org": host.slug}  # fmt: skip
    return people, values


@pytest.mark.parametrize(
    ("method", "path", "expected"), TABLE, ids=[f"{m} {p}" for m, p, _ in TABLE]
)
def test_event_route_role_table(make_client, world, method, path, expected, db):
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
