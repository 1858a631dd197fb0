"""A never-seen combination of types and organizations is picked out of the public listing kept
per calendar version: it must list exactly what the query with the same filters lists."""

from datetime import date, timedelta

from werkzeug.datastructures import MultiDict

from coalition.db import utcnow
from coalition.events import lifecycle as event_lifecycle
from coalition.events.models import EventStatus, EventVisibility
from coalition.events.queries import parse_filters
from coalition.feeds.listing import listed_refs, queried_refs
from coalition.orgs.models import OrgStatus
from tests.factories import OrganizationFactory, make_event
from tests.feeds.conftest import vevents


def _same_as_the_query(args: list[tuple[str, str]]) -> list[int]:
    filters = parse_filters(MultiDict(args))
    picked = listed_refs(filters, user=None)
    assert picked == queried_refs(filters, user=None), args
    return [ref.id for ref in picked]


def test_picked_combinations_list_what_the_query_lists(client, db):
    host, partner, other, leaving = (OrganizationFactory() for _ in range(4))
    next_year = utcnow().date().year + 1
    day = date(next_year, 3, 2)
    shared = make_event(host, type_slug="march", start_date=day)
    event_lifecycle.respond_to_cosponsorship(
        event_lifecycle.invite_cosponsor(shared, partner), accept=True
    )
    pending = make_event(host, type_slug="vigil", start_date=day + timedelta(days=1))
    event_lifecycle.invite_cosponsor(pending, partner)  # not accepted: not the partner's
    make_event(partner, type_slug="rally", start_date=day - timedelta(days=3))
    make_event(partner, type_slug="vigil", start_date=day + timedelta(days=5))
    make_event(other, type_slug="rally", start_date=day)  # same start: id order
    make_event(other, type_slug="march", visibility=EventVisibility.members)
    make_event(other, type_slug="march", status=EventStatus.draft)
    make_event(other, type_slug="march", status=EventStatus.cancelled)  # cancelled just now
    make_event(other, type_slug="rally", start_date=date(next_year - 3, 1, 1))  # long past
    gone = make_event(leaving, type_slug="rally", start_date=day)
    event_lifecycle.respond_to_cosponsorship(
        event_lifecycle.invite_cosponsor(gone, partner), accept=True
    )
    leaving.status = OrgStatus.suspended  # its events leave every listing
    db.session.commit()

    combinations = [
        [],
        [("type", "march")],
        [("type", "rally"), ("type", "vigil")],
        [("org", partner.slug)],
        [("org", host.slug), ("org", other.slug)],
        [("type", "vigil"), ("org", partner.slug)],
        [("type", "march"), ("type", "rally"), ("org", partner.slug), ("org", other.slug)],
        [("type", "forum")],
    ]
    listed = {str(args): _same_as_the_query(args) for args in combinations}
    assert shared.id in listed[str([("org", partner.slug)])]
    assert pending.id not in listed[str([("org", partner.slug)])]
    assert gone.id not in listed[str([])]
    assert listed[str([("type", "forum")])] == []

    # A change is seen at once (the kept listing belongs to the calendar version before it).
    late = make_event(partner, type_slug="march", start_date=day + timedelta(days=9))
    assert late.id in _same_as_the_query([("type", "march"), ("org", partner.slug)])
    late_summaries = [
        str(v["SUMMARY"])
        for v in vevents(client.get(f"/calendar.ics?type=march&org={partner.slug}").data)
    ]
    assert late_summaries == ["Rally for TPS", "Rally for TPS"]  # the shared one and the late one
