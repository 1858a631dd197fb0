"""Waitlist fairness (issue #14, finding 11; the rule is in README, "Waitlist fairness")."""

import pytest
import sqlalchemy as sa

from coalition.mail.models import OutgoingEmail
from coalition.rsvps import operations as ops
from tests.factories import make_event
from tests.rsvps.test_capacity import _statuses, person


@pytest.fixture
def workshop(db):
    """A training capped at 5 seats, with a waitlist."""
    return make_event(type_slug="training", capacity=5, title="Know your rights").occurrences[0]


def _mail_to(db, kind: str) -> list[str]:
    return sorted(
        db.session.scalars(sa.select(OutgoingEmail.recipient).where(OutgoingEmail.kind == kind))
    )


def _change(rsvp, size: int) -> None:
    ops.change(rsvp, party_size=size, needs_interpretation=False, needs_childcare=False,
               needs_ride=False, note=None)  # fmt: skip


def test_once_anyone_waits_a_newcomer_waits_too(db, workshop):
    first = ops.submit(workshop, person(1, 4)).rsvp
    ops.submit(workshop, person(2, 3))  # 1 seat left: the party of 3 waits
    db.session.commit()
    # A single person arrives: a seat is free, but a party is waiting ahead of them.
    ops.submit(workshop, person(3, 1))
    db.session.commit()
    assert _statuses(db, workshop) == [
        ("Person 1", "confirmed", 4),
        ("Person 2", "waitlisted", 3),
        ("Person 3", "waitlisted", 1),
    ]
    # Three seats free up: the party of 3, first in line, gets them before the later single.
    _change(first, 2)
    db.session.commit()
    assert _statuses(db, workshop) == [
        ("Person 1", "confirmed", 2),
        ("Person 2", "confirmed", 3),
        ("Person 3", "waitlisted", 1),
    ]


def test_the_bigger_party_is_offered_the_free_seats_and_may_split(db, workshop):
    first = ops.submit(workshop, person(1, 5)).rsvp
    waiting = ops.submit(workshop, person(2, 4)).rsvp
    db.session.commit()
    # Two seats free up and nobody smaller waits: the party of 4 is told, and keeps its place.
    _change(first, 3)
    db.session.commit()
    assert _mail_to(db, "waitlist_offer") == ["p2@example.org"]
    offer = db.session.scalar(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "waitlist_offer")
    )
    assert "2 seats are free now, fewer than the 4 people in your party." in offer.body_text
    assert "/rsvp/" in offer.body_text
    # Two of them come: they are confirmed at once.
    _change(waiting, 2)
    db.session.commit()
    assert _statuses(db, workshop)[1] == ("Person 2", "confirmed", 2)


def test_a_smaller_party_passes_only_seats_the_bigger_one_cannot_fill(db, workshop):
    first = ops.submit(workshop, person(1, 5)).rsvp
    ops.submit(workshop, person(2, 3))
    ops.submit(workshop, person(3, 1))
    db.session.commit()
    _change(first, 3)  # two seats: the party of 3 cannot fit, the single person takes one
    db.session.commit()
    assert _statuses(db, workshop)[1:] == [
        ("Person 2", "waitlisted", 3),
        ("Person 3", "confirmed", 1),
    ]
    # The seat still free is offered to the party of 3.
    assert _mail_to(db, "waitlist_offer") == ["p2@example.org"]
