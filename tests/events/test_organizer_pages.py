"""What organizers see while posting (issue #14, finding 8)."""

from datetime import date, timedelta

import pytest

from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, make_event, member_of


@pytest.fixture
def organizer(client, db):
    org = OrganizationFactory(slug="centro")
    member_of(org, OrgRole.organizer, email="org@example.org")
    client.login("org@example.org")
    return org


def test_the_zone_list_holds_places_grouped_by_region(client, organizer):
    body = client.get("/orgs/centro/events/new").get_data(as_text=True)
    assert '<optgroup label="United States">' in body
    assert '<option selected value="America/New_York">New York</option>' in body
    assert 'value="Europe/Lisbon"' in body
    for junk in ("Factory", "localtime", "US/Eastern", "Etc/GMT+5", "GMT"):
        assert f'value="{junk}"' not in body
    zones = body[body.index('id="timezone"') : body.index("</select>", body.index('id="timezone"'))]
    assert 300 < zones.count("<option") < 450


def test_a_series_is_not_offered_to_be_posted_again_next_month(client, organizer):
    single = make_event(organizer, title="Forum")
    series = make_event(
        organizer, title="Monthly meeting",
        recurrence=RecurrenceSpec(Frequency.monthly_weekday, week_position=4, count=6),
    )  # fmt: skip
    assert "Post it again next month" in client.get(f"/events/{single.id}").get_data(as_text=True)
    body = client.get(f"/events/{series.id}").get_data(as_text=True)
    assert "Post it again next month" not in body


def test_each_date_shows_once_in_the_list_view(client, db):
    day = date.today() + timedelta(days=10)
    make_event(title="Vigil", start_date=day)
    body = client.get("/calendar").get_data(as_text=True)
    section = body[body.index('class="day"') :]
    label = f"{day:%B} {day.day}"
    assert section.count(label) == 1  # in the day's heading, not again on the card
    assert "12:00" in section or "12:00 PM" in section or "12:00\u202fPM" in section
