"""The public calendar: grouping, filters, pagination, zones, what is never listed."""

import re
from datetime import date, time

import pytest

from coalition.events.models import EventStatus, EventVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs.models import OrgRole, OrgStatus
from tests.factories import OrganizationFactory, UserFactory, make_event, member_of


def _page(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_upcoming_events_grouped_by_day_in_the_event_zone(client, db):
    make_event(title="Evening vigil", start_date=date(2027, 1, 14), start_time=time(19, 0),
               end_time=time(20, 0))  # fmt: skip
    make_event(title="Morning rally", start_date=date(2027, 1, 14), start_time=time(9, 0),
               end_time=time(10, 0))  # fmt: skip
    make_event(title="Summer march", start_date=date(2027, 7, 4), start_time=time(11, 0),
               end_time=time(13, 0))  # fmt: skip
    body = _page(client, "/calendar")
    assert body.index("Thursday, January 14, 2027") < body.index("Morning rally")
    assert body.index("Morning rally") < body.index("Evening vigil") < body.index("Summer march")
    assert "7:00" in body and "EST" in body  # January, New York
    assert "EDT" in body  # July


def test_dates_are_localized_in_spanish(client, db):
    make_event(start_date=date(2027, 1, 14))
    body = _page(client, "/calendar", headers={"Accept-Language": "es"})
    assert "jueves, 14 de enero de 2027" in body


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("type=vigil", ["Vigil A"], ["Rally B"]),
        ("type=vigil&type=rally", ["Vigil A", "Rally B"], []),
        ("lang=es", ["Rally B"], ["Vigil A"]),
        ("city=worcester", ["Vigil A"], ["Rally B"]),
        ("q=bus", ["Rally B"], ["Vigil A"]),
        ("from=2027-06-01", ["Rally B"], ["Vigil A"]),
        ("to=2027-05-01", ["Vigil A"], ["Rally B"]),
    ],
)
def test_filters(client, db, query, shown, hidden):
    make_event(title="Vigil A", type_slug="vigil", city="Worcester", languages=["en"],
               start_date=date(2027, 3, 1))  # fmt: skip
    make_event(title="Rally B", description="Take the bus", languages=["es"], city="Boston",
               start_date=date(2027, 7, 1))  # fmt: skip
    body = _page(client, f"/calendar?{query}")
    for title in shown:
        assert title in body, (query, title)
    for title in hidden:
        assert title not in body, (query, title)


def test_org_filter_includes_cosponsored_events(client, db):
    from coalition.events import lifecycle as event_lifecycle

    host, partner = OrganizationFactory(), OrganizationFactory()
    event = make_event(host, title="Shared march")
    invitation = event_lifecycle.invite_cosponsor(event, partner)
    event_lifecycle.respond_to_cosponsorship(invitation, accept=True)
    db.session.commit()
    assert "Shared march" in _page(client, f"/calendar?org={partner.slug}")
    assert "Shared march" in _page(client, f"/orgs/{partner.slug}")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("type=picnic", "Unknown event type: picnic"),
        ("type=rally&type=picnic", "Unknown event type: picnic"),
        ("org=nobody", "Unknown organization: nobody"),
        ("lang=xx", "Unknown language: xx"),
        ("from=soon", "from must be a date like 2026-05-01."),
        ("to=9999-12-31", "to must be a date like 2026-05-01."),
        ("page=1&to=2020-01-01&from=2021-01-01", "The end date must not be before the start date."),
        ("q=" + "x" * 101, "Search for at most 100 characters."),
        ("q=a%00b", "The request could not be understood."),
    ],
)
@pytest.mark.parametrize("path", ["/calendar", "/calendar/past", "/calendar/month"])
def test_bad_filters_are_a_400_with_a_message(client, db, path, query, message):
    make_event()  # the default types exist
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["year=1&month=1", "year=9999&month=12", "year=2027&month=13"])
def test_month_out_of_range_is_a_400(client, db, query):
    response = client.get(f"/calendar/month?{query}")
    assert response.status_code == 400
    assert "Choose a valid year and month." in response.get_data(as_text=True)


def test_repeatable_filters(client, db):
    one, two, three = OrganizationFactory(), OrganizationFactory(), OrganizationFactory()
    make_event(one, title="Creole forum", languages=["ht"], city="Brockton")
    make_event(two, title="Portuguese class", languages=["pt"], city="Framingham")
    make_event(three, title="English meeting", languages=["en"], city="Lowell")
    shown = {
        f"org={one.slug}&org={two.slug}": ["Creole forum", "Portuguese class"],
        "lang=ht&lang=pt": ["Creole forum", "Portuguese class"],
        "city=Brockton&city=framingham": ["Creole forum", "Portuguese class"],
    }
    for query, titles in shown.items():
        body = _page(client, f"/calendar?{query}")
        for title in titles:
            assert title in body, (query, title)
        assert "English meeting" not in body, query


def test_filter_form_shows_the_chosen_filters(client, db):
    make_event()
    body = _page(client, "/calendar?type=vigil&type=march&lang=es&city=Lynn&city=Salem&q=bus")
    for value in ("vigil", "march"):
        assert re.search(rf'name="type" value="{value}" checked', body)
    assert not re.search(r'name="type" value="rally" checked', body)
    assert re.search(r'name="lang" value="es" checked', body)
    assert 'name="city" type="text" value="Lynn"' in body
    assert 'name="city" type="text" value="Salem"' in body
    assert 'name="q" type="search" value="bus"' in body
    form = re.search(r'<form method="get".*?</form>', body, re.S).group(0)
    for input_id in re.findall(r'<input [^>]*id="([^"]+)"', form):  # every input has its label
        assert f'for="{input_id}"' in form, input_id


def test_subscribe_link_carries_the_same_filters(client, db):
    make_event()
    body = _page(client, "/calendar?type=vigil&type=march&lang=es")
    assert "/calendar.ics?type=vigil&amp;type=march&amp;lang=es" in body


def test_pagination(client, db):
    org = OrganizationFactory()
    for n in range(30):
        make_event(org, title=f"Meeting {n:02d}", start_date=date(2027, 2, 1 + n % 28),
                   start_time=time(8 + n % 10, 0), end_time=time(19, 0))  # fmt: skip
    first = _page(client, "/calendar")
    assert first.count('class="card event-card') == 25
    assert "Page " not in first and "First page" not in first  # no count of all the dates
    [next_link] = re.findall(r'href="(/calendar\?after=[^"]+)" rel="next"', first)
    second = _page(client, next_link.replace("&amp;", "&"))
    assert second.count('class="card event-card') == 5
    assert 'rel="next"' not in second and 'href="/calendar">First page' in second
    titles = set(re.findall(r"Meeting \d\d", first)) | set(re.findall(r"Meeting \d\d", second))
    assert len(titles) == 30
    for damaged in ("x", "20270201T0800000000000-", "99999999T999999999999-1"):
        response = client.get(f"/calendar?after={damaged}")
        assert response.status_code == 400
        assert "This page link is damaged" in response.get_data(as_text=True)


def test_past_pages_go_back_in_time(client, db):
    org = OrganizationFactory()
    for n in range(27):
        make_event(org, title=f"Old meeting {n:02d}", start_date=date(2025, 3, 1 + n))
    first = _page(client, "/calendar/past")
    assert first.count('class="card event-card') == 25 and "Old meeting 26" in first
    [next_link] = re.findall(r'href="(/calendar/past\?before=[^"]+)" rel="next"', first)
    second = _page(client, next_link.replace("&amp;", "&"))
    assert re.findall(r"Old meeting \d\d", second) == ["Old meeting 01", "Old meeting 00"]


def test_page_links_keep_repeated_filters(client, db):
    org = OrganizationFactory()
    for n in range(26):
        make_event(org, title=f"Vigil {n:02d}", type_slug="vigil" if n % 2 else "march",
                   start_date=date(2027, 2, 1 + n))  # fmt: skip
    body = _page(client, "/calendar?type=vigil&type=march")
    assert re.search(r"after=[0-9T]+-\d+&amp;type=vigil&amp;type=march", body)
    nav = _page(client, "/calendar/month?year=2027&month=2&type=vigil&type=march")
    assert "year=2027&amp;month=1&amp;type=vigil&amp;type=march" in nav
    assert "year=2027&amp;month=3&amp;type=vigil&amp;type=march" in nav


def test_month_shows_a_few_dates_a_day_and_links_to_the_rest(client, db):
    org = OrganizationFactory()
    for hour in range(8, 14):
        make_event(org, title=f"Shift {hour}", type_slug="vigil", start_date=date(2027, 3, 9),
                   start_time=time(hour, 0), end_time=time(hour, 30))  # fmt: skip
    make_event(org, title="Quiet day", start_date=date(2027, 3, 10))
    body = _page(client, "/calendar/month?year=2027&month=3&type=vigil&type=rally")
    assert re.findall(r"Shift \d+", body) == ["Shift 8", "Shift 9", "Shift 10", "Shift 11"]
    assert "Quiet day" in body
    [more] = re.findall(r'<a class="month-more" href="([^"]+)"', body)
    day = _page(client, more.replace("&amp;", "&"))
    assert re.findall(r"Shift \d+", day) == [f"Shift {h}" for h in range(8, 14)]
    assert "Quiet day" not in day


def test_days_in_order_when_zones_interleave(client, db):
    # 10 PM in Los Angeles on the 14th is later (in UTC) than 12:30 AM in New York on the 15th.
    west = {"timezone": "America/Los_Angeles", "start_date": date(2027, 1, 14)}
    make_event(title="West coast vigil", start_time=time(22, 0), end_time=time(23, 0), **west)
    make_event(title="Midnight rally", start_date=date(2027, 1, 15), start_time=time(0, 30),
               end_time=time(1, 30))  # fmt: skip
    body = _page(client, "/calendar")
    assert body.index("Thursday, January 14, 2027") < body.index("West coast vigil")
    assert body.index("West coast vigil") < body.index("Friday, January 15, 2027")
    assert body.index("Friday, January 15, 2027") < body.index("Midnight rally")
    assert "PST" in body


def test_never_listed(client, db):
    org = OrganizationFactory()
    make_event(org, title="Draft plan", status=EventStatus.draft)
    make_event(org, title="Members only meeting", visibility=EventVisibility.members)
    make_event(org, title="Unlisted gathering", visibility=EventVisibility.unlisted)
    suspended = OrganizationFactory()
    make_event(suspended, title="Suspended org rally")
    suspended.status = OrgStatus.suspended
    db.session.commit()
    make_event(org, title="Cancelled vigil", status=EventStatus.cancelled)
    for url in ("/calendar", "/calendar/month?year=2027&month=5", "/", f"/orgs/{org.slug}"):
        body = _page(client, url)
        for title in ("Draft plan", "Members only meeting", "Unlisted gathering",
                      "Suspended org rally"):  # fmt: skip
            assert title not in body, (url, title)
    body = _page(client, "/calendar")
    assert "Cancelled vigil" in body and "Cancelled" in body


def test_members_see_members_only_events(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.member, email="m@example.org")
    UserFactory(email="outsider@example.org")
    make_event(org, title="Members only meeting", visibility=EventVisibility.members)
    client.login("outsider@example.org")
    assert "Members only meeting" not in _page(client, "/calendar")
    client.logout()
    client.login("m@example.org")
    assert "Members only meeting" in _page(client, "/calendar")


def test_month_view_across_a_dst_change(client, db):
    make_event(
        title="Weekly committee",
        recurrence=RecurrenceSpec(Frequency.weekly, count=4),
        start_date=date(2027, 3, 4),
        start_time=time(19, 0),
        end_time=time(20, 0),
    )
    body = _page(client, "/calendar/month?year=2027&month=3")
    assert body.count("Weekly committee") == 4
    normalized = body.replace("\u202f", " ")
    assert "7:00 PM EST" in normalized and "7:00 PM EDT" in normalized
    assert client.get("/calendar/month?year=2027&month=13").status_code == 400


def test_past_archive_newest_first(client, db):
    make_event(title="Old vigil", start_date=date(2025, 1, 10))
    make_event(title="Older rally", start_date=date(2024, 1, 10))
    make_event(title="Future march", start_date=date(2027, 1, 10))
    body = _page(client, "/calendar/past")
    assert "Future march" not in body
    assert body.index("Old vigil") < body.index("Older rally")


def test_filter_choices_follow_a_new_organization_at_once(client, db):
    make_event(start_date=date(2027, 3, 4))
    assert "Brand new workers center" not in _page(client, "/calendar")
    OrganizationFactory(name="Brand new workers center")
    assert "Brand new workers center" in _page(client, "/calendar")
