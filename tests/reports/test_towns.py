"""A delegation's town is typed by its lead: a report names it only when the calendar already
shows it publicly; anything else counts as "other", never kept as typed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from coalition.delegations import operations as delegation_ops
from coalition.erasure import purge_expired
from coalition.extensions import db
from coalition.reports.models import DateFigures
from coalition.rsvps import operations as rsvp_ops
from tests.factories import OrganizationFactory, make_event


def _bus(occurrence, name, town, sponsor=None, members=2):
    bus = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(name=name, town=town, lead_name="Lead",
                                       lead_email=f"lead-{name}@example.org",
                                       sponsor_org_id=sponsor.id if sponsor else None),
    )  # fmt: skip
    for n in range(members):
        delegation_ops.join(bus, rsvp_ops.RSVPInput(name=f"M{n}", email=f"{name}-{n}@example.org"))
    db.session.commit()
    return bus


def test_towns_on_the_calendar_are_named_typed_ones_are_other(db):
    make_event(city="Worcester")  # a published event shows Worcester publicly
    union = OrganizationFactory(name="Local 32BJ")
    occurrence = make_event(city="Boston").occurrences[0]
    _bus(occurrence, "worcester-bus", "  worcester ", sponsor=union, members=3)
    _bus(occurrence, "maple-st", "42 Maple St, behind the church", members=2)
    with time_machine.travel(occurrence.end_at + timedelta(days=31), tick=False):
        purge_expired()
        db.session.commit()
    figures = db.session.scalar(
        sa.select(DateFigures).where(DateFigures.occurrence_id == occurrence.id)
    )
    # Leads hold a seat too (an RSVP of their own, outside the roster's members).
    assert figures.breakdown["town"]["Worcester"] >= 3
    assert set(figures.breakdown["town"]) <= {"Worcester", "other"}
    assert figures.breakdown["organization"] == {str(union.id): 3}
    assert "Maple" not in repr(figures.breakdown)
    assert figures.delegations == 2
