"""Listings take each event's card (and the month grid's cells, the API's events) from the
fragment store: a change shows at once, and nobody gets a card they may not see."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import time_machine

from coalition.events import lifecycle as event_lifecycle
from coalition.events import operations as event_ops
from coalition.events.models import EventVisibility, LocationVisibility
from coalition.events.occurrences import cancel_occurrence
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, event_input, make_event, member_of

LISTINGS = ["/", "/calendar", "/calendar?type=rally", "/calendar/month?year=2027&month=5"]


def _page(client, url: str, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _warm(client, urls=LISTINGS) -> None:
    for url in urls:
        _page(client, url)


def test_a_changed_title_time_or_cancellation_shows_at_once(client, db):
    org = OrganizationFactory()
    event = make_event(org, title="Vigil at the courthouse")
    _warm(client)
    for url in LISTINGS:
        assert "Vigil at the courthouse" in _page(client, url)

    event_ops.update_event(
        event, event_input(title="Vigil moved to the plaza", start_time=time(15, 0),
                           end_time=time(16, 0))
    )  # fmt: skip
    db.session.commit()
    for url in LISTINGS:
        page = _page(client, url)
        assert "Vigil moved to the plaza" in page, url
        assert "Vigil at the courthouse" not in page, url
    assert "3:00" in _page(client, "/calendar")

    event_lifecycle.cancel_event(event, "Weather")
    db.session.commit()
    assert "Cancelled" in _page(client, "/calendar")
    # The home page lists only what goes ahead.
    assert "Vigil moved to the plaza" not in _page(client, "/")


def test_a_renamed_host_organization_shows_at_once(client, db):
    org = OrganizationFactory(name="Valley Workers Center")
    make_event(org, title="March for dignity")
    _warm(client)
    assert "Valley Workers Center" in _page(client, "/calendar")
    org.name = "Valley Workers United"
    db.session.commit()
    for url in ("/", "/calendar", f"/orgs/{org.slug}"):
        page = _page(client, url)
        assert "Valley Workers United" in page, url
        assert "Valley Workers Center" not in page, url
    listed = client.get("/api/v1/events").get_json()["events"]
    assert [e["host"]["name"] for e in listed] == ["Valley Workers United"]


def test_a_renamed_cosponsor_shows_at_once(client, db):
    host, partner = OrganizationFactory(), OrganizationFactory(name="Janitors Local 615")
    event = make_event(host, title="Rally for TPS")
    event_lifecycle.respond_to_cosponsorship(
        event_lifecycle.invite_cosponsor(event, partner), accept=True
    )
    db.session.commit()
    _warm(client)
    assert "Janitors Local 615" in _page(client, "/calendar")
    partner.name = "Janitors Local 32BJ"
    db.session.commit()
    assert "Janitors Local 32BJ" in _page(client, "/calendar")
    assert "Janitors Local 32BJ" in _page(client, "/")
    cosponsors = client.get("/api/v1/events").get_json()["events"][0]["cosponsors"]
    assert [c["name"] for c in cosponsors] == ["Janitors Local 32BJ"]


def test_each_language_gets_its_own_cards(client, db):
    make_event(
        texts={"en": ("Know your rights", "Bring a friend"),
               "es": ("Conozca sus derechos", "Traiga a alguien")}
    )  # fmt: skip
    _warm(client)
    for url in LISTINGS:
        assert "Know your rights" in _page(client, url)
        spanish = _page(client, url, **{"Accept-Language": "es"})
        assert "Conozca sus derechos" in spanish, url
        assert "Know your rights" not in spanish, url
    assert "Know your rights" in _page(client, "/calendar")
    titles = client.get("/api/v1/events?lang=es").get_json()["events"]
    assert [e["title"] for e in titles] == ["Conozca sus derechos"]
    titles = client.get("/api/v1/events").get_json()["events"]
    assert [e["title"] for e in titles] == ["Know your rights"]


def test_a_members_only_card_never_reaches_an_anonymous_visitor(client, make_client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.member, email="m@example.org")
    make_event(org, title="Members only strategy meeting", visibility=EventVisibility.members)
    make_event(org, title="Public rally")
    member = make_client()
    member.login("m@example.org")
    for url in LISTINGS:
        page = _page(member, url)
        assert "Members only strategy meeting" in page, url  # now stored as a card
    for url in [*LISTINGS, "/api/v1/events", "/calendar/past", f"/orgs/{org.slug}"]:
        page = _page(client, url)
        assert "Members only strategy meeting" not in page, url
    assert "Public rally" in _page(client, "/calendar")


def test_a_hidden_place_is_in_no_card_until_revealed(client, db):
    zone = ZoneInfo("America/New_York")
    make_event(
        title="Sanctuary vigil",
        location_visibility=LocationVisibility.hidden_until,
        location_reveal_hours=2,
        venue="St. Mary's basement",
        address="12 Secret Lane",
        online_url="https://meet.example.org/vigil",
    )
    before = datetime(2027, 5, 1, 9, 0, tzinfo=zone)
    with time_machine.travel(before, tick=False):
        for url in ["/", "/calendar", "/calendar/month?year=2027&month=5", "/api/v1/events"]:
            page = _page(client, url)
            assert "Sanctuary vigil" in page
            for secret in ("St. Mary", "Secret Lane", "meet.example.org"):
                assert secret not in page, (url, secret)
        assert "Online" not in _page(client, "/calendar")
    with time_machine.travel(datetime(2027, 5, 1, 10, 30, tzinfo=zone), tick=False):
        # Revealed two hours before noon: the card says it is online (the place itself is on
        # the event's page), the API gives the place.
        assert "Online" in _page(client, "/calendar")
        listed = client.get("/api/v1/events").get_json()["events"][0]
        assert listed["location"]["venue"] == "St. Mary's basement"


def _today_cell(page: str) -> str | None:
    match = re.search(r'<td class="[^"]*today[^"]*">\s*<span class="day-number"[^>]*>(\d+)<', page)
    return match.group(1) if match else None


def test_the_month_grid_marks_today_by_the_clock(client, db):
    zone = ZoneInfo("America/New_York")
    make_event(start_date=date(2027, 3, 10))
    url = "/calendar/month?year=2027&month=3"
    with time_machine.travel(datetime(2027, 3, 10, 23, 30, tzinfo=zone), tick=False):
        assert _today_cell(_page(client, url)) == "10"
    with time_machine.travel(datetime(2027, 3, 11, 0, 30, tzinfo=zone), tick=False):
        assert _today_cell(_page(client, url)) == "11"
    with time_machine.travel(datetime(2027, 4, 15, 12, 0, tzinfo=zone), tick=False):
        assert _today_cell(_page(client, url)) is None


def test_the_home_page_shows_each_event_once_at_its_next_date_going_ahead(client, db):
    zone = ZoneInfo("America/New_York")
    series = make_event(
        title="Weekly meeting", type_slug="meeting",
        recurrence=RecurrenceSpec(Frequency.weekly, count=4), start_date=date(2027, 5, 3),
    )  # fmt: skip
    first, second = series.occurrences[0], series.occurrences[1]
    cancel_occurrence(first, "Holiday")
    db.session.commit()
    make_event(title="May Day march", type_slug="march", start_date=date(2027, 5, 1))
    with time_machine.travel(datetime(2027, 4, 20, 12, 0, tzinfo=zone), tick=False):
        page = _page(client, "/")
    actions, coming = page.split('id="coming-up"')
    assert "May Day march" in actions and "Weekly meeting" not in actions
    assert coming.count("Weekly meeting</a>") == 1
    assert f"/occurrences/{second.id}" in coming
    assert f"/occurrences/{first.id}" not in coming
