"""The calendar and event pages run a bounded number of SQL queries whatever the data size."""

from datetime import date, time

from coalition.events import lifecycle as event_lifecycle
from coalition.events.recurrence import Frequency, RecurrenceSpec
from tests.factories import OrganizationFactory, make_event


def _seed(db, orgs, count: int, start: int) -> None:
    """`count` events, one in four of them a weekly series, some co-sponsored and translated."""
    for n in range(start, start + count):
        org = orgs[n % len(orgs)]
        recurrence = RecurrenceSpec(Frequency.weekly, count=6) if n % 4 == 0 else None
        texts = {"en": (f"Event {n}", "About it"), "es": (f"Evento {n}", "Sobre esto")}
        event = make_event(org, texts=texts, start_date=date(2027, 1 + n % 12, 1 + n % 27),
                           start_time=time(10, 0), end_time=time(12, 0),
                           recurrence=recurrence)  # fmt: skip
        if n % 5 == 0:
            partner = orgs[(n + 1) % len(orgs)]
            event_lifecycle.respond_to_cosponsorship(
                event_lifecycle.invite_cosponsor(event, partner), accept=True
            )
            db.session.commit()


def _count(client, queries, url) -> int:
    with queries() as statements:
        assert client.get(url).status_code == 200, url
    return len(statements)


def test_listing_queries_do_not_grow_with_events(client, db, queries):
    orgs = [OrganizationFactory() for _ in range(4)]
    _seed(db, orgs, 60, 0)  # 15 of them recurring
    urls = [
        "/calendar",
        "/calendar?after=20270301T150000000000-1",
        "/calendar/past?before=20270301T150000000000-1",
        "/api/v1/events?after=20270301T150000000000-1",
        "/calendar?type=rally&lang=es",
        "/calendar/month?year=2027&month=3",
        "/calendar/past",
        "/",
        f"/orgs/{orgs[0].slug}",
    ]
    small = {url: _count(client, queries, url) for url in urls}
    _seed(db, orgs, 60, 60)
    large = {url: _count(client, queries, url) for url in urls}
    assert large == small
    assert max(large.values()) <= 20


def test_event_page_queries_are_bounded(client, db, queries):
    short = make_event(recurrence=RecurrenceSpec(Frequency.weekly, count=3))
    long = make_event(recurrence=RecurrenceSpec(Frequency.weekly, count=60))
    single = make_event(title="One-off")
    counts = {
        event.id: _count(client, queries, f"/events/{event.id}") for event in (short, long, single)
    }
    assert counts[short.id] == counts[long.id] == counts[single.id] <= 20
    occurrence_pages = [
        _count(client, queries, f"/events/{e.id}/occurrences/{e.occurrences[-1].id}")
        for e in (short, long)
    ]
    assert occurrence_pages[0] == occurrence_pages[1] <= 20


LISTINGS = ["/", "/calendar", "/calendar?type=rally&lang=es", "/calendar/month?year=2027&month=3",
            "/api/v1/events"]  # fmt: skip


def _listing_counts(client, queries) -> dict[str, int]:
    for url in LISTINGS:  # the first request of a process reads names and versions
        client.get(url)
    return {url: _count(client, queries, url) for url in LISTINGS}


def test_listings_cost_the_same_for_a_member_whatever_the_data(client, db, queries):
    from coalition.events.models import EventVisibility
    from coalition.orgs.models import OrgRole
    from tests.factories import member_of

    orgs = [OrganizationFactory() for _ in range(4)]
    member_of(orgs[0], OrgRole.member, email="member@example.org")
    make_event(orgs[1], title="Members only", visibility=EventVisibility.members,
               start_date=date(2027, 3, 2))  # fmt: skip
    _seed(db, orgs, 30, 0)
    anonymous_small = _listing_counts(client, queries)
    client.login("member@example.org")
    member_small = _listing_counts(client, queries)
    assert "Members only" in client.get("/calendar/month?year=2027&month=3").get_data(as_text=True)
    _seed(db, orgs, 90, 30)
    member_large = _listing_counts(client, queries)
    client.logout()
    anonymous_large = _listing_counts(client, queries)
    assert member_large == member_small
    assert anonymous_large == anonymous_small
    # Stored cards: one query per list, the calendar version, the home page's organizations;
    # a member's session adds its own reads (the account, its memberships).
    assert max(anonymous_large.values()) <= 3, anonymous_large
    assert max(member_large.values()) <= 7, member_large


def test_stored_cards_are_not_read_again(client, db, queries):
    """Once stored, a card's texts are not read: the list's one query is all."""
    orgs = [OrganizationFactory() for _ in range(2)]
    _seed(db, orgs, 30, 0)
    for url in LISTINGS:
        client.get(url)
    warm = {url: _count(client, queries, url) for url in LISTINGS}
    assert warm == {"/": 3, "/calendar": 2, "/calendar?type=rally&lang=es": 2,
                    "/calendar/month?year=2027&month=3": 2, "/api/v1/events": 3}, warm  # fmt: skip
