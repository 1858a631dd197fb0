"""The calendar, the archive and the month grid make each statement once per process for a
shape of filters (`queries.shaped_statement`) and run it with each request's values: requests
alike in all but their values must each get their own events, and a member's statement is
never an anonymous visitor's."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
import time_machine

from coalition.events.models import EventVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, make_event, member_of

TITLES = ["Boston rally", "Worcester vigil", "Fowòm", "Monthly meeting", "Members only"]

ALIKE = [
    ("type=rally", {"Boston rally"}),
    ("type=vigil", {"Worcester vigil"}),
    ("type=rally&type=meeting", {"Monthly meeting", "Boston rally"}),
    ("type=vigil&type=forum", {"Worcester vigil", "Fowòm"}),
    ("org=valley", {"Monthly meeting", "Boston rally"}),
    ("org=worcester", {"Worcester vigil", "Fowòm"}),
    ("lang=es", {"Worcester vigil"}),
    ("lang=ht", {"Fowòm"}),
    ("lang=es&lang=ht", {"Worcester vigil", "Fowòm"}),
    ("lang=pt&lang=ht", {"Fowòm"}),
    ("city=worcester", {"Worcester vigil"}),
    ("city=lowell", {"Fowòm"}),
    ("q=loud", {"Boston rally"}),
    ("q=quiet", {"Worcester vigil"}),
]


@pytest.fixture
def events(db):
    valley = OrganizationFactory(slug="valley")
    worcester = OrganizationFactory(slug="worcester", city="Worcester")
    make_event(valley, title="Boston rally", texts={"en": ("Boston rally", "Loud.")},
               languages=["en"], start_date=date(2027, 5, 4))  # fmt: skip
    make_event(worcester, title="Worcester vigil", type_slug="vigil", city="Worcester",
               texts={"en": ("Worcester vigil", "Quiet.")}, languages=["en", "es"],
               start_date=date(2027, 5, 12))  # fmt: skip
    make_event(worcester, title="Fowòm", type_slug="forum", city="Lowell", languages=["ht"],
               texts={"ht": ("Fowòm", "")}, primary_language="ht",
               start_date=date(2027, 5, 20))  # fmt: skip
    make_event(valley, title="Monthly meeting", type_slug="meeting", languages=["en"],
               texts={"en": ("Monthly meeting", "")}, start_date=date(2027, 5, 6),
               recurrence=RecurrenceSpec(Frequency.monthly_weekday, count=3))  # fmt: skip
    make_event(valley, title="Members only", visibility=EventVisibility.members,
               start_date=date(2027, 5, 25))  # fmt: skip
    return valley


def _shown(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    return {title for title in TITLES if title in page}


@pytest.mark.parametrize(
    "listing", ["/calendar", "/calendar/month?year=2027&month=5", "/calendar/past"]
)
def test_requests_of_the_same_shape_get_their_own_events(client, events, listing):
    joiner = "&" if "?" in listing else "?"
    with time_machine.travel("2028-01-10 12:00Z" if "past" in listing else "2026-12-07 12:00Z"):
        for query, titles in ALIKE + ALIKE:  # twice: each statement made before it runs again
            assert _shown(client, f"{listing}{joiner}{query}") == titles, query


def _days(page: str) -> list[str]:
    return re.findall(r'id="day-(\d{4}-\d{2}-\d{2})"', page)


def test_each_page_starts_from_its_own_cursor(client, events):
    make_event(events, title="Weekly vigil", type_slug="vigil", start_date=date(2027, 1, 5),
               recurrence=RecurrenceSpec(Frequency.weekly, count=60))  # fmt: skip
    with time_machine.travel("2026-12-07 12:00Z"):
        seen: list[str] = []
        url = "/calendar?type=vigil"
        while url:
            page = client.get(url).get_data(as_text=True)
            days = _days(page)
            assert days and (not seen or days[0] > seen[-1]), url
            seen += days
            following = re.search(r'href="([^"]*after=[^"]*)" rel="next"', page)
            url = html.unescape(following.group(1)) if following else None
        # The Worcester vigil and the 60 weekly ones, each on its own day.
        assert len(seen) == 61 and seen == sorted(seen)


@pytest.mark.parametrize("listing", ["/calendar", "/calendar/month?year=2027&month=5"])
def test_a_members_listing_and_an_anonymous_one_are_not_one_statement(client, events, listing):
    member_of(events, OrgRole.member, email="member@example.org")
    with time_machine.travel("2026-12-07 12:00Z"):
        assert "Members only" not in _shown(client, listing)
        client.login("member@example.org")
        assert "Members only" in _shown(client, listing)
        client.logout()
        assert "Members only" not in _shown(client, listing)


@pytest.mark.parametrize("month", [5, 6, 7, 5])
def test_each_month_shows_its_own_dates(client, events, month):
    with time_machine.travel("2026-12-07 12:00Z"):
        shown = _shown(client, f"/calendar/month?year=2027&month={month}&type=meeting")
        # The monthly meeting (first Thursday) has a date in May, June and July 2027 only.
        assert shown == {"Monthly meeting"}
        assert _shown(client, "/calendar/month?year=2027&month=8&type=meeting") == set()
