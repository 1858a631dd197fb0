"""Delegations: seat limits, counting in the event, the public summary, closing."""

import pytest
import sqlalchemy as sa

from coalition.delegations import operations as ops
from coalition.delegations.models import TravelMode
from coalition.mail.models import OutgoingEmail
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVPStatus
from tests.factories import make_event


def _delegation(occurrence, **fields):
    data = ops.DelegationInput(
        name=fields.pop("name", "Worcester delegation"),
        town=fields.pop("town", "Worcester"),
        lead_name="Rosa",
        lead_email="rosa@example.org",
        travel_mode=TravelMode.bus,
        meeting_point="Union Station",
        **fields,
    )
    return ops.start(occurrence, data)


def _member(n, party=1):
    return rsvp_ops.RSVPInput(name=f"Member {n}", email=f"m{n}@example.org", party_size=party)


def test_seat_limit_is_enforced_and_members_count_in_the_event(db):
    occurrence = make_event(capacity=100).occurrences[0]
    bus = _delegation(occurrence, seat_limit=6)  # the lead and 5
    ops.join(bus, _member(1, 3))
    ops.join(bus, _member(2, 2))
    with pytest.raises(ops.DelegationError) as refused:
        ops.join(bus, _member(3, 1))
    assert refused.value.status == 409
    db.session.commit()
    assert rsvp_ops.confirmed_headcount(occurrence.id) == 6  # the lead holds a seat too
    assert ops.members_headcount(bus) == 5


def test_a_member_changing_their_party_stays_within_the_seats(db):
    occurrence = make_event().occurrences[0]
    van = _delegation(occurrence, seat_limit=5)
    first = ops.join(van, _member(1, 2)).rsvp
    ops.join(van, _member(2, 2))
    with pytest.raises(ops.DelegationError):
        rsvp_ops.change(first, party_size=3, needs_interpretation=False, needs_childcare=False,
                        needs_ride=False, note=None)  # fmt: skip


def test_delegation_members_respect_event_capacity_too(db):
    occurrence = make_event(capacity=3).occurrences[0]
    bus = _delegation(occurrence)
    ops.join(bus, _member(1, 2))
    second = ops.join(bus, _member(2, 2)).rsvp
    assert second.status == RSVPStatus.waitlisted


def test_closed_delegation_refuses_joins(db):
    occurrence = make_event().occurrences[0]
    bus = _delegation(occurrence)
    ops.close(bus)
    with pytest.raises(ops.DelegationError):
        ops.join(bus, _member(1))


def test_public_summary_has_names_towns_and_headcounts_but_no_members(db):
    occurrence = make_event().occurrences[0]
    worcester = _delegation(occurrence)
    springfield = _delegation(occurrence, name="Springfield carpool", town="Springfield")
    ops.join(worcester, _member(1, 2))
    ops.join(springfield, _member(2, 1))
    db.session.commit()
    summary = ops.public_summary(occurrence)
    assert [(d["town"], d["confirmed"]) for d in summary] == [("Springfield", 1), ("Worcester", 2)]
    assert all(set(d) == {"id", "name", "town", "expected", "confirmed"} for d in summary)


def test_lead_gets_links_and_is_told_who_joined(db):
    occurrence = make_event().occurrences[0]
    bus = _delegation(occurrence)
    ops.join(bus, _member(1))
    db.session.commit()
    kinds = [m.kind for m in db.session.scalars(sa.select(OutgoingEmail))
             if m.recipient == "rosa@example.org"]  # fmt: skip
    assert sorted(kinds) == ["delegation_joined", "delegation_started"]
    assert ops.delegation_for_lead_token(ops.lead_token(bus)).id == bus.id


def test_removing_a_member_frees_their_seats(db):
    occurrence = make_event(capacity=3).occurrences[0]  # the lead and 2
    bus = _delegation(occurrence)
    first = ops.join(bus, _member(1, 2)).rsvp
    waiting = rsvp_ops.submit(occurrence, _member(9, 1)).rsvp
    assert waiting.status == RSVPStatus.waitlisted
    ops.remove_member(bus, first)
    db.session.commit()
    assert first.status == RSVPStatus.cancelled and first.delegation_id is None
    assert waiting.status == RSVPStatus.confirmed
