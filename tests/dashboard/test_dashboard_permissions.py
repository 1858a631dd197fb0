"""Route by role → expected status, for every dashboard and delegation route."""

import pytest

from coalition.delegations import operations as delegation_ops
from coalition.events import lifecycle as event_lifecycle
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from tests.factories import OrganizationFactory, UserFactory, make_event, member_of

ROLES = [
    "anonymous",
    "stranger",
    "member",
    "organizer",
    "owner",
    "cosponsor",
    "cosponsor_sharing",
    "admin",
    "lead",
]

# Shorthand for the expected statuses, in ROLES order.
# `lead` is signed in and leads a delegation of this date: no more than a stranger here.
EVERYONE = [200] * 9
ATTENDEE_LIST = [302, 403, 403, 200, 200, 403, 200, 200, 403]
COUNTS = [302, 403, 403, 200, 200, 200, 200, 200, 403]
OWNERS = [302, 403, 403, 403, 200, 403, 403, 200, 403]
HOST_ORGANIZERS = [302, 403, 403, 200, 200, 403, 403, 200, 403]


def _posted(expected: list[int], success: int) -> list[int]:
    return [success if code == 200 else code for code in expected]


DELEGATION = {
    "name": "Lowell bus",
    "town": "Lowell",
    "sponsor_org": "",
    "lead_name": "Ana",
    "lead_email": "ana@example.org",
    "lead_phone": "",
    "lead_language": "en",
    "expected_headcount": "10",
    "travel_mode": "bus",
    "meeting_point": "",
    "seat_limit": "",
}

D = "/events/{event}/occurrences/{occurrence}"
ONLY = "/events/{only_event}/occurrences/{only_occurrence}"

TABLE = [
    # The organizers' dashboard.
    ("GET", D + "/attendees", None, COUNTS),
    ("GET", D + "/attendees.csv", None, ATTENDEE_LIST),
    ("GET", D + "/checkin", None, ATTENDEE_LIST),
    ("GET", D + "/checkin?q=dee", None, ATTENDEE_LIST),
    ("POST", D + "/checkin/{rsvp}", {}, _posted(ATTENDEE_LIST, 302)),
    ("POST", D + "/walk-in", {"name": "Walk", "phone": "", "party_size": "1"},
     _posted(ATTENDEE_LIST, 302)),
    ("GET", D + "/message", None, ATTENDEE_LIST),
    ("POST", D + "/message", {"audience": "all", "subject_en": "Hi", "body_en": "Water"},
     _posted(ATTENDEE_LIST, 302)),
    ("GET", "/orgs/{org}/audit", None, OWNERS),
    # Starting a delegation: anyone, or only the host's organizers when the event says so.
    ("GET", D + "/delegations/new", None, EVERYONE),
    ("POST", D + "/delegations/new", DELEGATION, [303] * 9),
    ("GET", ONLY + "/delegations/new", None, HOST_ORGANIZERS),
    ("POST", ONLY + "/delegations/new", DELEGATION, _posted(HOST_ORGANIZERS, 303)),
    # Joining: the join link is the key, for everyone.
    ("GET", "/delegations/{delegation}/join/{join_secret}", None, EVERYONE),
    ("POST", "/delegations/{delegation}/join/{join_secret}", "join", [200] * 9),
    ("GET", "/delegations/{delegation}/join/wrong-secret", None, [404] * 9),
    # The lead's roster: the private link is the key; an account reaches it only as the lead.
    ("GET", "/delegations/lead/{token}", None, EVERYONE),
    ("GET", "/delegations/lead/forged", None, [404] * 9),
    ("GET", "/delegations/{delegation}/roster", None, [302, *[403] * 7, 303]),
    ("GET", "/delegations/9999/roster", None, [404] * 9),
    ("POST", "/delegations/lead/{token}/close", {}, [303] * 9),
    ("POST", "/delegations/lead/forged/close", {}, [404] * 9),
    ("POST", "/delegations/lead/{token}/reopen", {}, [303] * 9),
    ("POST", "/delegations/lead/{token}/members/{member}/remove", {}, [303] * 9),
    ("POST", "/delegations/lead/forged/members/{member}/remove", {}, [404] * 9),
    ("POST", "/delegations/lead/{token}/message", {"subject": "Bus", "body": "At 7"}, [303] * 9),
    ("POST", "/delegations/lead/forged/message", {"subject": "Bus", "body": "At 7"}, [404] * 9),
]  # fmt: skip


@pytest.fixture
def world(db):
    host = OrganizationFactory()
    partner = OrganizationFactory()
    sharing = OrganizationFactory()
    people = {
        "stranger": UserFactory(),
        "member": member_of(host, OrgRole.member),
        "organizer": member_of(host, OrgRole.organizer),
        "owner": member_of(host, OrgRole.owner),
        "cosponsor": member_of(partner, OrgRole.organizer),
        "cosponsor_sharing": member_of(sharing, OrgRole.organizer),
        "admin": UserFactory(is_admin=True),
        "lead": UserFactory(),
    }
    event = make_event(host, by=people["organizer"])
    only = make_event(host, by=people["organizer"], delegations_by_organizers_only=True)
    for org, shares in ((partner, False), (sharing, True)):
        invitation = event_lifecycle.invite_cosponsor(event, org)
        event_lifecycle.respond_to_cosponsorship(invitation, accept=True)
        invitation.shares_attendees = shares
    occurrence = event.occurrences[0]
    delegation = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(name="Worcester bus", town="Worcester", lead_name="Rosa",
                                       lead_email="rosa@example.org"),
        user=people["lead"],
    )  # fmt: skip
    # One member per role, so that each role's "remove" has someone to remove.
    members = {
        role: delegation_ops.join(
            delegation, rsvp_ops.RSVPInput(name=f"Member {role}", email=f"{role}@m.example.org")
        ).rsvp
        for role in ROLES
    }
    dee = rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Dee", email="dee@example.org"))
    db.session.commit()
    values = {
        "event": event.id,
        "occurrence": occurrence.id,
        "only_event": only.id,
        "only_occurrence": only.occurrences[0].id,
        "org": host.slug,
        "rsvp": dee.rsvp.id,
        "delegation": delegation.id,
        "join_secret": delegation.join_secret,
        "token": delegation_ops.lead_token(delegation),
    }
    return people, values, {role: rsvp.id for role, rsvp in members.items()}


@pytest.mark.parametrize(
    ("method", "path", "data", "expected"), TABLE, ids=[f"{m} {p}" for m, p, _d, _e in TABLE]
)
def test_route_role_table(make_client, world, method, path, data, expected):
    people, values, members = world
    results = {}
    for role in ROLES:
        client = make_client()
        if role != "anonymous":
            client.login(people[role].email)
        url = path.format(**values, member=members[role])
        if method == "GET":
            response = client.get(url)
        else:
            if data == "join":
                data_ = {"name": role, "email": f"{role}@join.example.org", "language": "en",
                         "party_size": "1"}  # fmt: skip
            else:
                data_ = dict(data)
            response = client.submit(url, data_)
        results[role] = response.status_code
    assert results == dict(zip(ROLES, expected, strict=True))


def test_counts_only_for_cosponsors_the_host_does_not_share_with(make_client, world):
    people, values, _members = world
    url = D.format(**values) + "/attendees"
    sees_names = {}
    for role in ("organizer", "owner", "cosponsor", "cosponsor_sharing", "admin"):
        client = make_client()
        client.login(people[role].email)
        body = client.get(url).get_data(as_text=True)
        assert "people confirmed" in body
        sees_names[role] = "dee@example.org" in body
    assert sees_names == {"organizer": True, "owner": True, "cosponsor": False,
                          "cosponsor_sharing": True, "admin": True}  # fmt: skip
