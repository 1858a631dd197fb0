"""The calendar and event pages run a bounded number of SQL queries whatever the data size."""

from datetime import date, time

from coalition.events.recurrence import Frequency, RecurrenceSpec
from tests.factories import OrganizationFactory, make_event


def _seed(db, orgs, count: int, start: int) -> None:
    for n in range(start, start + count):
        org = orgs[n % len(orgs)]
        recurrence = RecurrenceSpec(Frequency.weekly, count=6) if n % 4 == 0 else None
        make_event(org, title=f"Event {n}", start_date=date(2027, 1 + n % 12, 1 + n % 27),
                   start_time=time(10, 0), end_time=time(12, 0),
                   recurrence=recurrence)  # fmt: skip


def _count(client, queries, url) -> int:
    with queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_calendar_and_month_queries_do_not_grow_with_events(client, db, queries):
    orgs = [OrganizationFactory() for _ in range(4)]
    _seed(db, orgs, 40, 0)
    urls = ["/calendar", "/calendar/month?year=2027&month=3", "/calendar/past", "/"]
    small = {url: _count(client, queries, url) for url in urls}
    _seed(db, orgs, 80, 40)
    large = {url: _count(client, queries, url) for url in urls}
    assert large == small
    assert max(large.values()) <= 20


def test_event_page_queries_are_bounded(client, db, queries):
    series = make_event(recurrence=RecurrenceSpec(Frequency.weekly, count=40))
    single = make_event(title="One-off")
    assert _count(client, queries, f"/events/{series.id}") <= 20
    assert _count(client, queries, f"/events/{series.id}") == _count(
        client, queries, f"/events/{single.id}"
    )
