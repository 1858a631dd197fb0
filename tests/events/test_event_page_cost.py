"""The event page and a date's page cost the same few SQL statements however big the event is
(dates, RSVPs, delegations, co-sponsors, members), for anonymous and signed-in visitors; their
shared parts come from fragments (core/fragments.py) that follow every change, and never carry
a place shown only to attendees."""

from __future__ import annotations

from datetime import date, time

import pytest

from coalition.delegations import operations as delegation_ops
from coalition.events import lifecycle as event_lifecycle
from coalition.events import occurrences as occurrence_ops
from coalition.events import operations as event_ops
from coalition.events.models import LocationVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs import operations as org_ops
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.volunteers import operations as volunteer_ops
from coalition.volunteers.models import RoleKind
from tests.factories import OrganizationFactory, UserFactory, event_input, make_event, member_of
from tests.sessions.helpers import add_session

pytestmark = pytest.mark.parametrize("app_overrides", [{"FRAGMENT_CACHE": True}])

VENUE = "Sanctuary Hall, 12 Hidden Lane"


def _event(
    db, tag: str = "", *, dates: int, rsvps: int, delegations: int, cosponsors: int, members: int
):
    """An event whose place only confirmed attendees see, with an organizer, a member of the
    host, an attendee (signed in, confirmed) and as much around it as asked."""
    host = OrganizationFactory()
    member_of(host, OrgRole.organizer, email=f"{tag}organizer@example.org")
    member_of(host, OrgRole.member, email=f"{tag}member@example.org")
    for _n in range(members):
        member_of(host, OrgRole.member)
    recurrence = RecurrenceSpec(Frequency.weekly, count=dates) if dates > 1 else None
    event = make_event(
        host,
        capacity=5000,
        recurrence=recurrence,
        location_visibility=LocationVisibility.attendees,
        venue="Sanctuary Hall",
        address="12 Hidden Lane",
    )
    for _n in range(cosponsors):
        partner = OrganizationFactory()
        member_of(partner, OrgRole.organizer)
        cosponsor = event_lifecycle.invite_cosponsor(event, partner)
        event_lifecycle.respond_to_cosponsorship(cosponsor, accept=True)
    occurrence = event.occurrences[0]
    attendee = UserFactory(email=f"{tag}attendee@example.org")
    outcome = rsvp_ops.submit(
        occurrence,
        rsvp_ops.RSVPInput(name="Ana", email=f"{tag}attendee@example.org"),
        user=attendee,
        notify=False,
    )
    rsvp_ops.link_to_account(outcome.rsvp, attendee)
    db.session.add_all(
        RSVP(
            occurrence_id=occurrence.id,
            name=f"Guest {n}",
            email=f"guest{n}@example.org",
            status=RSVPStatus.confirmed,
        )
        for n in range(rsvps)
    )
    for n in range(delegations):
        delegation = delegation_ops.start(
            occurrence,
            delegation_ops.DelegationInput(
                name=f"Bus {n}",
                town="Lowell",
                lead_name="Lead",
                lead_email=f"{tag}lead{n}@example.org",
            ),
        )
        delegation_ops.approve(delegation)
        volunteer_ops.add_role(
            occurrence, volunteer_ops.RoleInput(kind=RoleKind.driver, needed=2, town="Lowell")
        )
    db.session.commit()
    if dates > 1:
        for n in range(3):
            add_session(occurrence, f"Workshop {n}", "12:00", "13:00", capacity=40)
    return event, occurrence


def _warm_counts(client, queries, tag, event, occurrence) -> dict[tuple[str, str], int]:
    """Statements of the second GET of each page as each person (the first fills fragments)."""
    counts = {}
    pages = {
        "event": f"/events/{event.id}",
        "date": f"/events/{event.id}/occurrences/{occurrence.id}",
    }
    for who in (None, "member", "organizer", "attendee"):
        if who:
            who = f"{tag}{who}@example.org"
            client.login(who)
        for name, url in pages.items():
            assert client.get(url).status_code == 200
            with queries() as statements:
                response = client.get(url)
            assert response.status_code == 200
            counts[(who.removeprefix(tag) if who else "anonymous", name)] = len(statements)
        if who:
            client.logout()
    return counts


def test_statements_do_not_grow_with_the_event(client, db, queries):
    small = "small-", _event(db, "small-", dates=1, rsvps=0, delegations=1, cosponsors=1, members=0)
    large = (
        "large-",
        _event(db, "large-", dates=50, rsvps=1000, delegations=30, cosponsors=3, members=20),
    )
    small_counts = _warm_counts(client, queries, small[0], *small[1])
    large_counts = _warm_counts(client, queries, large[0], *large[1])
    assert large_counts == small_counts
    # The event, its dates, the calendar version, where it was imported from.
    assert small_counts[("anonymous", "event")] <= 4
    assert small_counts[("anonymous", "date")] <= 4
    # Signed in: the account, own memberships, own RSVP, the menu, the delegations list.
    assert max(small_counts.values()) <= 12


def _page(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\u2009", " ")


def test_every_change_shows_at_once(client, db):
    host = OrganizationFactory(name="Old Name Workers")
    organizer = member_of(host, OrgRole.organizer)
    event = make_event(
        host,
        by=organizer,
        capacity=10,
        title="Rally for TPS",
        description="Bring **signs**.",
        recurrence=RecurrenceSpec(Frequency.weekly, count=4),
        texts={"en": ("Rally for TPS", "Bring **signs**."), "es": ("Mitin por el TPS", "Traigan.")},
    )
    first, second = event.occurrences[0], event.occurrences[1]
    pages = [f"/events/{event.id}", f"/events/{event.id}/occurrences/{first.id}"]
    for url in pages:  # every fragment stored
        body = _page(client, url)
        assert "Rally for TPS" in body and "<strong>signs</strong>" in body
        assert "10 seats left" in body and "Old Name Workers" in body
        assert "12:00 – 2:00 PM" in body
        assert "Mitin por el TPS" in _page(client, url, headers={"Accept-Language": "es"})

    event_ops.update_event(
        event,
        event_input(
            texts={"en": ("March for TPS", "Bring **water**."), "es": ("Marcha", "Agua.")},
            start_time=time(15, 0),
            end_time=time(17, 0),
            capacity=10,
            recurrence=RecurrenceSpec(Frequency.weekly, count=4),
        ),
    )
    occurrence_ops.cancel_occurrence(second, "Snowstorm")
    rsvp_ops.submit(
        first, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org", party_size=3), notify=False
    )
    org_ops.update_profile(host, {"name": "Renamed Workers"})
    db.session.commit()

    for url in pages:
        body = _page(client, url)
        assert "March for TPS" in body and "Rally for TPS" not in body
        assert "<strong>water</strong>" in body and "signs" not in body
        assert "3:00 – 5:00 PM" in body and "12:00 – 2:00 PM" not in body
        assert "Snowstorm" in body  # the cancelled date in the list of next dates
        assert "7 seats left" in body and "10 seats left" not in body
        assert "Renamed Workers" in body and "Old Name Workers" not in body
        spanish = _page(client, url, headers={"Accept-Language": "es"})
        assert (
            "Marcha" in spanish
            and "Mitin por el TPS" not in spanish
            and "March for TPS" not in spanish
        )
        assert "Renamed Workers" in spanish


@pytest.mark.parametrize("attendee_first", [True, False])
def test_a_place_for_attendees_never_reaches_anyone_else(client, make_client, db, attendee_first):
    event, occurrence = _event(db, dates=3, rsvps=0, delegations=1, cosponsors=0, members=0)
    pages = [f"/events/{event.id}", f"/events/{event.id}/occurrences/{occurrence.id}"]
    attendee = make_client()
    attendee.login("attendee@example.org")
    member = make_client()
    member.login("member@example.org")

    def check_attendee():
        for url in pages:
            assert "Sanctuary Hall, 12 Hidden Lane" in _page(attendee, url)

    def check_others():
        for url in pages:
            for body in (_page(client, url), _page(member, url)):
                assert "Hidden Lane" not in body and "Sanctuary Hall" not in body
                assert "The place is shared with confirmed attendees." in body
                assert "Boston" in body  # the town is public

    order = [check_attendee, check_others] if attendee_first else [check_others, check_attendee]
    for check in order * 2:
        check()


def test_a_started_date_takes_no_rsvp_though_its_fragment_was_stored(client, db, time_machine):
    event = make_event(start_date=date(2027, 5, 1), start_time=time(12, 0), capacity=5)
    url = f"/events/{event.id}"
    time_machine.move_to("2027-05-01T11:00:00-04:00")
    assert "5 seats left" in _page(client, url)
    time_machine.move_to("2027-05-01T12:30:00-04:00")
    body = _page(client, url)
    assert "RSVPs are closed" in body and "5 seats left" not in body
