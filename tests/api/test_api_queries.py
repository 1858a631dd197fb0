"""/api/v1/events runs a fixed number of SQL statements, whatever the number of events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from coalition.api.queries import list_events
from coalition.events import lifecycle as event_lifecycle
from coalition.events.queries import CalendarFilters, Placeholders, first_matching_dates
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.extensions import db
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, make_event, member_of

URLS = [
    "/api/v1/events?per_page=100",
    "/api/v1/events?per_page=100&type=rally&type=vigil&lang=es&city=Boston&q=rally",
    "/api/v1/events?per_page=100&from=2027-01-01&to=2027-12-31&org={org}",
]


def _add_events(hosts, partner, start: int, count: int) -> None:
    """`count` events, a quarter of them weekly or monthly series, half co-sponsored."""
    for n in range(start, start + count):
        host = hosts[n % len(hosts)]
        organizer = host.memberships[0].user
        recurrence = None
        if n % 4 == 0:
            frequency = Frequency.weekly if n % 8 == 0 else Frequency.monthly_weekday
            recurrence = RecurrenceSpec(frequency, count=10)
        event = make_event(
            host,
            by=organizer,
            title=f"Rally {n}",
            type_slug=["rally", "vigil", "march"][n % 3],
            texts={"en": (f"Rally {n}", "Come."), "es": (f"Mitin {n}", "Vengan.")},
            start_date=date(2027, 1, 4) + timedelta(days=n),
            recurrence=recurrence,
        )
        if n % 2:
            event_lifecycle.respond_to_cosponsorship(
                event_lifecycle.invite_cosponsor(event, partner), accept=True
            )
    db.session.commit()


def _statements(client, queries, url: str) -> int:
    with queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(statements)


def test_statement_count_does_not_grow_with_the_number_of_events(app, client, queries):
    # Every event's JSON made afresh (the most statements); stored ones: below.
    app.config["FRAGMENT_CACHE"] = False
    hosts = [OrganizationFactory() for _ in range(3)]
    for host in hosts:
        member_of(host, OrgRole.organizer)
    partner = OrganizationFactory()
    urls = [url.format(org=hosts[0].slug) for url in URLS]

    _add_events(hosts, partner, 0, 40)
    small = [_statements(client, queries, url) for url in urls]
    _add_events(hosts, partner, 40, 80)
    large = [_statements(client, queries, url) for url in urls]
    listed = client.get(urls[0]).get_json()
    assert listed["next"] and len(listed["events"]) == 100
    assert sum(1 for e in listed["events"] if e["rrule"]) >= 20

    assert large == small
    assert max(large) <= 12, large


def test_stored_events_cost_the_same_statements_whatever_their_number(client, queries):
    hosts = [OrganizationFactory() for _ in range(3)]
    for host in hosts:
        member_of(host, OrgRole.organizer)
    partner = OrganizationFactory()
    urls = [url.format(org=hosts[0].slug) for url in URLS]

    def warm_counts() -> list[int]:
        for url in urls:
            client.get(url)
        return [_statements(client, queries, url) for url in urls]

    _add_events(hosts, partner, 0, 40)
    small = warm_counts()
    _add_events(hosts, partner, 40, 80)
    large = warm_counts()
    # The page's events, their dates and the calendar version: no event is read again.
    assert large == small == [3, 3, 3]


def test_a_listed_event_carries_its_own_keys(app, db):
    # Each event's stored JSON is found by these keys: a key of another event, or another
    # column, would serve a stale or foreign JSON.
    host, partner = OrganizationFactory(), OrganizationFactory()
    organizer = member_of(host, OrgRole.organizer)
    event = make_event(host, by=organizer, type_slug="vigil", start_date=date(2027, 5, 6),
                       recurrence=RecurrenceSpec(Frequency.weekly, count=7))  # fmt: skip
    event_lifecycle.respond_to_cosponsorship(
        event_lifecycle.invite_cosponsor(event, partner), accept=True
    )
    db.session.commit()
    page = list_events(CalendarFilters(), zone=ZoneInfo("America/New_York"),
                       now=datetime(2027, 1, 1, tzinfo=UTC), cursor=None, per_page=5)  # fmt: skip
    [listed] = page.events
    assert (listed.event_id, listed.revision, listed.type_id, listed.host_org_id) == (
        event.id, event.revision, event.type_id, host.id)  # fmt: skip
    assert listed.cosponsors_changed == partner.updated_at
    assert (listed.location_visibility, listed.location_reveal_hours) == (
        event.location_visibility, event.location_reveal_hours)  # fmt: skip
    assert [(d.id, d.event_id, d.start_at, d.is_cancelled) for d in listed.dates] == [
        (o.id, event.id, o.start_at, o.is_cancelled) for o in event.occurrences[:5]
    ]


def test_a_statement_made_for_a_shape_has_no_values_of_its_own(app, db):
    values = {"f_types": [1], "f_after": datetime(2027, 1, 1, tzinfo=UTC), "limit": 3}
    placeholders = Placeholders(values)
    statement = first_matching_dates(placeholders)
    placeholders.check()
    assert db.session.execute(statement, values).all() == []
    with pytest.raises(sa.exc.StatementError, match="f_after"):
        db.session.execute(statement, {"f_types": [1], "limit": 3})
    db.session.rollback()
    # A value the statement would not compare with: the shape would not name the statement.
    placeholders = Placeholders({**values, "f_unknown": 1})
    first_matching_dates(placeholders)
    with pytest.raises(ValueError, match="f_unknown"):
        placeholders.check()
