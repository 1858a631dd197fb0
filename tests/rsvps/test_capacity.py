"""Capacity, the waitlist and promotion, deduplication, closing rules."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from coalition.db import utcnow
from coalition.erasure import purge_expired
from coalition.events import occurrences as occurrence_ops
from coalition.events import operations as event_ops
from coalition.events.models import EventStatus
from coalition.mail.models import OutgoingEmail
from coalition.rsvps import operations as ops
from coalition.rsvps.models import RSVP, RSVPStatus
from tests.factories import make_event


def person(n: int, party: int = 1, **fields) -> ops.RSVPInput:
    return ops.RSVPInput(name=f"Person {n}", email=f"p{n}@example.org", party_size=party, **fields)


def _statuses(db, occurrence) -> list[tuple[str, str, int]]:
    rows = db.session.scalars(
        sa.select(RSVP).where(RSVP.occurrence_id == occurrence.id).order_by(RSVP.id)
    )
    return [(r.name, r.status.value, r.party_size) for r in rows]


@pytest.fixture
def workshop(db):
    """A training capped at 5 seats, with a waitlist."""
    event = make_event(type_slug="training", capacity=5, title="Know your rights")
    return event.occurrences[0]


def test_confirmed_until_full_then_waitlisted_in_arrival_order(db, workshop):
    for n, party in enumerate([2, 2, 1, 1, 3], start=1):
        ops.submit(workshop, person(n, party))
    db.session.commit()
    assert _statuses(db, workshop) == [
        ("Person 1", "confirmed", 2),
        ("Person 2", "confirmed", 2),
        ("Person 3", "confirmed", 1),
        ("Person 4", "waitlisted", 1),
        ("Person 5", "waitlisted", 3),
    ]
    assert ops.confirmed_headcount(workshop.id) == 5
    assert ops.seats_left(workshop) == 0


def test_promotion_takes_whole_parties_and_lets_smaller_ones_pass(db, workshop):
    first = ops.submit(workshop, person(1, 5)).rsvp
    ops.submit(workshop, person(2, 3))  # waits: 3 seats
    ops.submit(workshop, person(3, 1))  # waits: 1 seat
    db.session.commit()
    # Two seats free up: the party of 3 does not fit, the single person behind it does.
    ops.change(first, party_size=3, needs_interpretation=False, needs_childcare=False,
               needs_ride=False, note=None)  # fmt: skip
    db.session.commit()
    assert _statuses(db, workshop) == [
        ("Person 1", "confirmed", 3),
        ("Person 2", "waitlisted", 3),
        ("Person 3", "confirmed", 1),
    ]
    # The first party leaves: now the party of 3 fits.
    ops.cancel(first)
    db.session.commit()
    assert _statuses(db, workshop)[1] == ("Person 2", "confirmed", 3)
    promoted = db.session.scalars(
        sa.select(OutgoingEmail.recipient).where(OutgoingEmail.kind == "rsvp_promoted")
    ).all()
    assert sorted(promoted) == ["p2@example.org", "p3@example.org"]


def test_raising_capacity_promotes(db, workshop):
    ops.submit(workshop, person(1, 5))
    ops.submit(workshop, person(2, 2))
    db.session.commit()
    workshop.event.capacity = 7
    ops.capacity_changed(workshop)
    db.session.commit()
    assert _statuses(db, workshop)[1][1] == "confirmed"


def test_no_waitlist_means_full_is_refused(db):
    event = make_event(capacity=1, has_waitlist=False)
    occurrence = event.occurrences[0]
    ops.submit(occurrence, person(1))
    with pytest.raises(ops.RSVPError) as refused:
        ops.submit(occurrence, person(2))
    assert refused.value.status == 409


def test_a_known_email_or_phone_changes_nothing(db, workshop):
    first = ops.submit(workshop, person(1, 1, phone="+16175550100"))
    again = ops.submit(workshop, ops.RSVPInput(name="P. One", email="P1@Example.org", party_size=2))
    by_phone = ops.submit(workshop, ops.RSVPInput(name="Phone", phone="+16175550100"))
    db.session.commit()
    assert first.created and not again.created and not by_phone.created
    assert again.rsvp is None and by_phone.rsvp is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 1
    assert (first.rsvp.name, first.rsvp.party_size) == ("Person 1", 1)
    kinds = db.session.scalars(sa.select(OutgoingEmail.kind).order_by(OutgoingEmail.id)).all()
    assert kinds == ["rsvp_confirmation", "rsvp_already"]  # once an hour at most


def test_growing_a_confirmed_party_past_capacity_is_refused(db, workshop):
    ops.submit(workshop, person(1, 4))
    rsvp = ops.submit(workshop, person(2, 1)).rsvp
    with pytest.raises(ops.RSVPError):
        ops.change(rsvp, party_size=3, needs_interpretation=False, needs_childcare=False,
                   needs_ride=False, note=None)  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ops.RSVPInput(name="", email="a@example.org"), "name"),
        (ops.RSVPInput(name="Ana"), "email"),
        (ops.RSVPInput(name="Ana", email="a@example.org", party_size=0), "party_size"),
        (ops.RSVPInput(name="Ana", email="a@example.org", party_size=11), "party_size"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(db, workshop, data, field):
    with pytest.raises(ops.RSVPError) as refused:
        ops.submit(workshop, data)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0


def test_closed_cancelled_and_past_occurrences_take_no_rsvp(db):
    cancelled = make_event(status=EventStatus.cancelled).occurrences[0]
    draft = make_event(status=EventStatus.draft).occurrences[0]
    closed = make_event(rsvp_closes_at=utcnow() - timedelta(hours=1)).occurrences[0]
    past = make_event(start_date=date.today() - timedelta(days=3), start_time=time(10, 0),
                      end_time=time(11, 0)).occurrences[0]  # fmt: skip
    series = make_event(
        recurrence=event_ops.recurrence.RecurrenceSpec(
            event_ops.recurrence.Frequency.weekly, count=2
        )
    )
    occurrence_ops.cancel_occurrence(series.occurrences[0], "Holiday")
    for occurrence in (cancelled, draft, closed, past, series.occurrences[0]):
        with pytest.raises(ops.RSVPError):
            ops.submit(occurrence, person(1))
    assert ops.submit(series.occurrences[1], person(1)).rsvp.status == RSVPStatus.confirmed


def test_erase_frees_the_seat_and_removes_personal_data(db, workshop):
    rsvp = ops.submit(workshop, person(1, 5, note="wheelchair")).rsvp
    waiting = ops.submit(workshop, person(2)).rsvp
    ops.erase(rsvp)
    db.session.commit()
    assert (rsvp.name, rsvp.email, rsvp.phone, rsvp.note) == (None, None, None, None)
    assert rsvp.status == RSVPStatus.cancelled and rsvp.erased_at is not None
    assert waiting.status == RSVPStatus.confirmed


def test_purge_erases_personal_data_after_the_retention_period(db):
    old = make_event(start_date=date.today() - timedelta(days=40), start_time=time(10, 0),
                     end_time=time(11, 0))  # fmt: skip
    recent = make_event(start_date=date.today() - timedelta(days=5), start_time=time(10, 0),
                        end_time=time(11, 0))  # fmt: skip
    for occurrence, n in ((old.occurrences[0], 1), (recent.occurrences[0], 2)):
        db.session.add(RSVP(occurrence=occurrence, name=f"P{n}", email=f"p{n}@example.org",
                            party_size=2, status=RSVPStatus.confirmed))  # fmt: skip
    db.session.commit()
    assert purge_expired() == 1
    assert purge_expired() == 0  # safe to run twice
    db.session.commit()
    # The old date's RSVP is erased and deleted (its counts frozen first); the recent one stays.
    rows = db.session.scalars(sa.select(RSVP).order_by(RSVP.id)).all()
    assert [row.name for row in rows] == ["P2"]


def test_manage_token_round_trip_and_tampering(db, workshop):
    from coalition.tokens import TokenError

    rsvp = ops.submit(workshop, person(1)).rsvp
    db.session.commit()
    token = ops.manage_token(rsvp)
    assert ops.rsvp_for_token(token).id == rsvp.id
    with pytest.raises(TokenError):
        ops.rsvp_for_token(token[:-2] + "xx")
    ops.erase(rsvp)
    with pytest.raises(TokenError):
        ops.rsvp_for_token(token)
