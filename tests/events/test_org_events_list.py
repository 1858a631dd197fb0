"""An organization's list of its events: a page at a time, in statements that do not grow with
the number of events (issue #26: the bench's organizer dashboard ran 382 statements at 10,000
events and 3,964 at 100,000, one per event's texts)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import time_machine

from coalition.auth.models import User
from coalition.events import lifecycle as event_lifecycle
from coalition.events import occurrences as occurrence_ops
from coalition.events.models import EventStatus
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, make_event, member_of


def _org_with_events(db, count: int, slug: str = "list-org"):
    org = OrganizationFactory(slug=slug)
    member_of(org, OrgRole.organizer, email=f"organizer@{slug}.example.org")
    for n in range(count):
        make_event(
            org, title=f"Meeting number {n:03d}", start_date=date(2030, 1, 1) + timedelta(days=n)
        )
    db.session.commit()
    return org


def _statements(client, queries, url: str) -> int:
    client.get(url)  # the first request warms what a process keeps
    with queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_statements_do_not_grow_with_the_events(client, db, queries):
    _org_with_events(db, 3, slug="small-org")
    _org_with_events(db, 70, slug="large-org")
    client.login("organizer@small-org.example.org")
    small = _statements(client, queries, "/orgs/small-org/events")
    client.logout()
    client.login("organizer@large-org.example.org")
    large = _statements(client, queries, "/orgs/large-org/events")
    assert large == small


def test_the_list_comes_a_page_at_a_time_newest_first(client, db):
    _org_with_events(db, 60)
    client.login("organizer@list-org.example.org")
    first = client.get("/orgs/list-org/events").get_data(as_text=True)
    assert "Meeting number 059" in first and "Meeting number 010" in first
    assert "Meeting number 009" not in first
    assert "Page 1 of 2" in first
    second = client.get("/orgs/list-org/events?page=2").get_data(as_text=True)
    assert "Meeting number 009" in second and "Meeting number 000" in second
    assert "Meeting number 010" not in second
    # A page past the end is an empty list, not an error.
    beyond = client.get("/orgs/list-org/events?page=9")
    assert beyond.status_code == 200
    assert "Meeting number" not in beyond.get_data(as_text=True)


def test_the_list_is_two_statements_and_never_the_organizations_members(client, db, queries):
    """The person (with their memberships and the header's rapid-response link), the page with
    its counts: not the organization's members, however many it has."""
    org = _org_with_events(db, 12, slug="busy-org")
    for n in range(30):
        member_of(org, OrgRole.member, email=f"member{n}@busy-org.example.org")
    db.session.commit()
    client.login("organizer@busy-org.example.org")
    client.get("/orgs/busy-org/events")
    with queries() as statements:
        assert client.get("/orgs/busy-org/events").status_code == 200
    assert len(statements) == 2, statements
    assert not any("FROM memberships" in s and "org_id =" in s for s in statements)


def _row(html: str, title: str) -> str:
    start = html.index(f">{title}</a>")
    return html[start : html.index("</tr>", start)]


def _row_at(make_client, moment: datetime, title: str) -> str:
    """The row as the organizer sees it at `moment` (signed in then: sessions expire)."""
    with time_machine.travel(moment, tick=False):
        browser = make_client()
        browser.login("organizer@series-org.example.org")
        return _row(browser.get("/orgs/series-org/events").get_data(as_text=True), title)


def test_rows_show_the_next_date_cancelled_dates_and_over_as_time_passes(make_client, db):
    zone = ZoneInfo("America/New_York")
    org = _org_with_events(db, 0, slug="series-org")
    event = make_event(
        org,
        title="Weekly vigil",
        start_date=date(2031, 3, 4),
        start_time=time(18, 0),
        end_time=time(19, 0),
        recurrence=RecurrenceSpec(Frequency.weekly, count=3),
    )
    first, second, third = event.occurrences
    occurrence_ops.cancel_occurrence(second, "Snow")
    db.session.commit()
    row = _row_at(make_client, datetime(2031, 3, 1, 12, 0, tzinfo=zone), "Weekly vigil")
    assert "Next date: Tuesday, March 4, 2031" in row
    assert "1 date cancelled" in row and "over" not in row
    # The first date is over: the next one going ahead is the third (the row stored under the
    # event's revision must not be served again).
    row = _row_at(make_client, datetime(2031, 3, 5, 12, 0, tzinfo=zone), "Weekly vigil")
    assert "Next date: Tuesday, March 18, 2031" in row
    assert "1 date cancelled" in row
    row = _row_at(make_client, datetime(2031, 3, 12, 12, 0, tzinfo=zone), "Weekly vigil")
    assert "Next date: Tuesday, March 18, 2031" in row
    assert "cancelled" not in row
    row = _row_at(make_client, datetime(2031, 3, 20, 12, 0, tzinfo=zone), "Weekly vigil")
    assert "Next date" not in row and "Tuesday, March 4, 2031" in row
    assert "Published · over" in row
    assert third.start_at > first.start_at


def test_rows_follow_edits_language_and_status(client, db):
    org = _org_with_events(db, 0, slug="edit-org")
    event = make_event(org, title="Know your rights", status=EventStatus.draft)
    spanish = make_event(
        org,
        title="unused",
        primary_language="es",
        texts={"en": ("Housing fair", ""), "es": ("Feria de vivienda", "")},
        start_date=date(2027, 6, 1),
    )
    client.login("organizer@edit-org.example.org")
    page = client.get("/orgs/edit-org/events").get_data(as_text=True)
    assert "Draft" in _row(page, "Know your rights")
    # An event's main-language title, whatever the page's language (as before).
    assert "Feria de vivienda" in page and "Housing fair" not in page
    organizer = db.session.scalar(sa.select(User).where(User.email.like("organizer@edit-org%")))
    organizer.language = "es"  # a signed-in person's pages come in their language
    db.session.commit()
    spanish_page = client.get("/orgs/edit-org/events").get_data(as_text=True)
    assert "Borrador" in _row(spanish_page, "Know your rights")
    organizer.language = "en"
    db.session.commit()

    event_lifecycle.publish(event, event.created_by)
    event.translation("en").title = "Know your rights: tenants"
    db.session.commit()
    page = client.get("/orgs/edit-org/events").get_data(as_text=True)
    assert "Know your rights: tenants" in page
    assert "Published" in _row(page, "Know your rights: tenants")
    assert spanish.id and "Feria de vivienda" in page


def test_invitations_to_co_sponsor_are_counted_beside_the_list(client, db):
    org = _org_with_events(db, 1, slug="partner-org")
    for n in range(2):
        event_lifecycle.invite_cosponsor(make_event(title=f"Their march {n}"), org)
    db.session.commit()
    client.login("organizer@partner-org.example.org")
    page = client.get("/orgs/partner-org/events").get_data(as_text=True)
    assert "Co-sponsorship invitations (2)" in page
    # A page past the end still knows them.
    assert "Co-sponsorship invitations (2)" in client.get(
        "/orgs/partner-org/events?page=7"
    ).get_data(as_text=True)


def test_someone_else_gets_no_list(client, db):
    _org_with_events(db, 2, slug="closed-org")
    other = _org_with_events(db, 2, slug="other-org")
    member_of(other, OrgRole.member, email="member@other-org.example.org")
    db.session.commit()
    assert client.get("/orgs/closed-org/events").status_code == 302  # to the sign-in page
    client.login("organizer@other-org.example.org")
    assert client.get("/orgs/closed-org/events").status_code == 403
    client.logout()
    client.login("member@other-org.example.org")
    assert client.get("/orgs/other-org/events").status_code == 403
