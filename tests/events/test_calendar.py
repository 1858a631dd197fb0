"""The public calendar: grouping, filters, pagination, zones, what is never listed."""

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
    from coalition.events import operations as ops

    host, partner = OrganizationFactory(), OrganizationFactory()
    event = make_event(host, title="Shared march")
    invitation = ops.invite_cosponsor(event, partner)
    ops.respond_to_cosponsorship(invitation, accept=True)
    db.session.commit()
    assert "Shared march" in _page(client, f"/calendar?org={partner.slug}")
    assert "Shared march" in _page(client, f"/orgs/{partner.slug}")


@pytest.mark.parametrize(
    "query",
    ["type=picnic", "org=nobody", "lang=xx", "from=soon", "page=1&to=2020-01-01&from=2021-01-01"],
)
def test_bad_filters_are_a_400_with_a_message(client, db, query):
    response = client.get(f"/calendar?{query}")
    assert response.status_code == 400


def test_pagination(client, db):
    org = OrganizationFactory()
    for n in range(30):
        make_event(org, title=f"Meeting {n:02d}", start_date=date(2027, 2, 1 + n % 28),
                   start_time=time(8 + n % 10, 0), end_time=time(19, 0))  # fmt: skip
    first = _page(client, "/calendar")
    second = _page(client, "/calendar?page=2")
    assert first.count('class="card event-card') == 25
    assert second.count('class="card event-card') == 5


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
