"""Private feeds at a per-person secret URL that the person can reset."""

from coalition.events.models import EventVisibility
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, UserFactory, make_event, member_of


def test_member_feed_includes_members_only_events(client, db):
    org = OrganizationFactory()
    member = member_of(org, OrgRole.member)
    make_event(org, title="Members strategy meeting", visibility=EventVisibility.members)
    make_event(org, title="Public rally")
    private = client.get(f"/feeds/{member.feed_token}/calendar.ics")
    assert private.status_code == 200
    assert b"Members strategy meeting" in private.data and b"Public rally" in private.data
    assert "private" in private.headers["Cache-Control"]
    assert b"Members strategy meeting" not in client.get("/calendar.ics").data


def test_a_person_without_a_member_org_gets_only_public_events(client, db):
    org = OrganizationFactory()
    make_event(org, title="Members strategy meeting", visibility=EventVisibility.members)
    outsider = UserFactory()
    body = client.get(f"/feeds/{outsider.feed_token}/calendar.ics").data
    assert b"Members strategy meeting" not in body


def test_unknown_token_is_404_and_reset_revokes_the_old_link(client, db):
    org = OrganizationFactory()
    member = member_of(org, OrgRole.member)
    old = member.feed_token
    assert client.get("/feeds/not-a-token/calendar.ics").status_code == 404
    client.login(member.email)
    page = client.get("/calendar/subscribe").get_data(as_text=True)
    assert old in page
    assert client.submit("/account/feed-token/reset", page="/calendar/subscribe").status_code == 302
    assert client.get(f"/feeds/{old}/calendar.ics").status_code == 404
    db.session.refresh(member)
    assert member.feed_token != old
    assert client.get(f"/feeds/{member.feed_token}/calendar.ics").status_code == 200


def test_my_events_feed_lists_what_the_person_rsvped_to(client, db):
    from coalition.rsvps import operations as rsvp_ops

    org = OrganizationFactory()
    person = member_of(org, OrgRole.member, email="ana@example.org")
    going = make_event(org, title="Going to this", visibility=EventVisibility.unlisted)
    make_event(org, title="Not going")
    outcome = rsvp_ops.submit(going.occurrences[0],
                              rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"),
                              user=person)  # fmt: skip
    rsvp_ops.link_to_account(outcome.rsvp, person)  # from the emailed link, while signed in
    db.session.commit()
    body = client.get(f"/feeds/{person.feed_token}/my-events.ics").data
    assert b"Going to this" in body and b"Not going" not in body
    assert client.get("/feeds/nope/my-events.ics").status_code == 404


def test_delegation_feed_for_the_lead_link(client, db):
    from coalition.delegations import operations as delegation_ops

    event = make_event(title="May Day march")
    bus = delegation_ops.start(
        event.occurrences[0],
        delegation_ops.DelegationInput(
            name="Worcester bus", town="Worcester", lead_name="Rosa", lead_email="rosa@example.org"
        ),
    )
    db.session.commit()
    body = client.get(f"/delegations/{delegation_ops.lead_token(bus)}/calendar.ics").data
    assert b"May Day march" in body and b"Worcester bus" in body
    assert client.get("/delegations/forged/calendar.ics").status_code == 404
    member_feed = client.get(f"/delegations/{bus.id}/{bus.join_secret}/calendar.ics")
    assert b"May Day march" in member_feed.data
    assert client.get(f"/delegations/{bus.id}/wrong/calendar.ics").status_code == 404
