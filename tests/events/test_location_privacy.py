"""A location that is not public appears in no public response, not even in the HTML source."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from coalition.events import occurrences as occurrence_ops
from coalition.events.models import LocationVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from tests.factories import OrganizationFactory, make_event, member_of

SECRET_VENUE = "Back room of Lupita bakery 9921"
SECRET_ADDRESS = "77 Hidden Lane"
#: The town stays public in every mode: people need to know whether they can get there.
TOWN = "Chelsea"
SECRETS = (SECRET_VENUE, SECRET_ADDRESS, "secret-9921", "9921", "42.39")


def _secret_event(org, **fields):
    event = make_event(
        org,
        title="Solidarity with the Q family",
        venue=SECRET_VENUE,
        address=SECRET_ADDRESS,
        city=TOWN,
        map_url="https://maps.example.org/secret-9921",
        online_url="https://meet.example.org/secret-9921",
        **fields,
    )
    # Coordinates have no form field yet; set them as an import would.
    event.latitude, event.longitude = 42.3918, -71.0328
    from coalition.extensions import db

    db.session.commit()
    return event


def _public_urls(event, org):
    occurrence = event.occurrences[0]
    return [
        "/",
        "/calendar",
        f"/calendar/month?year={occurrence.start_at.year}&month={occurrence.start_at.month}",
        "/calendar/past",
        f"/events/{event.id}",
        f"/events/{event.id}/occurrences/{occurrence.id}",
        f"/orgs/{org.slug}",
        "/calendar.ics",
        f"/orgs/{org.slug}/calendar.ics",
        f"/events/{event.id}.ics",
        f"/events/{event.id}/occurrences/{occurrence.id}.ics",
        "/api/v1/events",
        f"/api/v1/events/{event.id}",
    ]


def _assert_hidden(client, urls):
    for url in urls:
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        for secret in SECRETS:
            assert secret not in body, (url, secret)


def test_attendees_only_location_is_in_no_public_response(client, db):
    org = OrganizationFactory()
    event = _secret_event(org, location_visibility=LocationVisibility.attendees)
    body = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "The place is shared with confirmed attendees." in body
    _assert_hidden(client, _public_urls(event, org))
    # Nor to people signed in who are not hosts: a member of another org, a co-sponsor.
    member_of(OrganizationFactory(), OrgRole.member, email="member@example.org")
    client.login("member@example.org")
    _assert_hidden(client, _public_urls(event, org))
    # The town is public and can be searched for: the place stays hidden.
    body = client.get(f"/calendar?city={TOWN}").get_data(as_text=True)
    assert "Solidarity with the Q family" in body and TOWN in body


def test_hidden_until_location_stays_hidden_until_the_window(client, db):
    org = OrganizationFactory()
    event = _secret_event(
        org, location_visibility=LocationVisibility.hidden_until, location_reveal_hours=3
    )
    body = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "The place is announced on " in body and TOWN in body
    _assert_hidden(client, _public_urls(event, org))


def test_a_date_moved_to_another_place_keeps_it_hidden(client, db):
    org = OrganizationFactory()
    event = make_event(
        org,
        title="Weekly accompaniment",
        recurrence=RecurrenceSpec(Frequency.weekly, count=3),
        location_visibility=LocationVisibility.attendees,
        venue="Courthouse steps",
    )
    moved = event.occurrences[1]
    occurrence_ops.override_occurrence(
        moved,
        occurrence_ops.OccurrenceChange(
            start_date=moved.local_start.date(),
            start_time=moved.local_start.time(),
            end_time=moved.local_end.time(),
            venue=SECRET_VENUE,
            city=TOWN,
            map_url="https://maps.example.org/secret-9921",
        ),
    )
    db.session.commit()
    urls = [*_public_urls(event, org), f"/events/{event.id}/occurrences/{moved.id}"]
    _assert_hidden(client, urls)


def test_hidden_until_location_shows_inside_the_window(client, db):
    org = OrganizationFactory()
    soon = datetime.now(UTC) + timedelta(hours=2)
    local = soon.astimezone(ZoneInfo("America/New_York"))
    end = local + timedelta(hours=1)  # may cross midnight: give the end date too
    event = _secret_event(
        org,
        location_visibility=LocationVisibility.hidden_until,
        location_reveal_hours=3,
        start_date=local.date(),
        start_time=local.time().replace(microsecond=0, second=0),
        end_date=end.date(),
        end_time=end.time().replace(microsecond=0, second=0),
    )
    occurrence = event.occurrences[0]
    for url in (f"/events/{event.id}", f"/events/{event.id}/occurrences/{occurrence.id}"):
        body = client.get(url).get_data(as_text=True)
        assert SECRET_VENUE in body and "secret-9921" in body, url
    assert TOWN in client.get("/calendar").get_data(as_text=True)


def test_hosts_and_confirmed_attendees_see_it(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="host@example.org")
    event = _secret_event(org, location_visibility=LocationVisibility.attendees)
    client.login("host@example.org")
    occurrence = event.occurrences[0]
    for url in (f"/events/{event.id}", f"/events/{event.id}/occurrences/{occurrence.id}"):
        assert SECRET_VENUE in client.get(url).get_data(as_text=True), url
    client.logout()
    attendee = member_of(OrganizationFactory(), OrgRole.member, email="att@example.org")
    outcome = rsvp_ops.submit(
        event.occurrences[0],
        rsvp_ops.RSVPInput(name="Att", email="att@example.org"),
        user=attendee,
    )
    db.session.commit()
    client.login("att@example.org")
    # Signing up while signed in is not enough: the account must hold the RSVP's link first.
    assert SECRET_VENUE not in client.get(f"/events/{event.id}").get_data(as_text=True)
    rsvp_ops.link_to_account(outcome.rsvp, attendee)
    db.session.commit()
    assert SECRET_VENUE in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_approved_attendees_place_is_in_no_public_response(client, db):
    org = OrganizationFactory()
    event = _secret_event(org, location_visibility=LocationVisibility.approved)
    body = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "once the hosts approve them" in body and TOWN in body
    _assert_hidden(client, _public_urls(event, org))
    # A request (pending) sees nothing either, signed in with the RSVP in their account.
    person = member_of(OrganizationFactory(), OrgRole.member, email="req@example.org")
    outcome = rsvp_ops.submit(
        event.occurrences[0], rsvp_ops.RSVPInput(name="Req", email="req@example.org")
    )
    rsvp_ops.link_to_account(outcome.rsvp, person)
    db.session.commit()
    assert outcome.rsvp.status == "pending"
    client.login("req@example.org")
    _assert_hidden(client, _public_urls(event, org))
    rsvp_ops.approve(outcome.rsvp)
    db.session.commit()
    assert SECRET_VENUE in client.get(f"/events/{event.id}").get_data(as_text=True)
