"""An organization's list of its events: a page at a time, in statements that do not grow with
the number of events (issue #26: the bench's organizer dashboard ran 382 statements at 10,000
events and 3,964 at 100,000, one per event's texts)."""

from __future__ import annotations

from datetime import date, timedelta

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
