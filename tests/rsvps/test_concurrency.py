"""On PostgreSQL, hundreds of simultaneous RSVPs never overbook an occurrence."""

import threading

import sqlalchemy as sa

from coalition.events.models import Occurrence
from coalition.extensions import db as _db
from coalition.rsvps import operations as ops
from coalition.rsvps.models import RSVP, RSVPStatus
from tests.factories import make_event


def _run_at_once(app, occurrence_id: int, inputs: list[ops.RSVPInput]) -> list[str]:
    barrier = threading.Barrier(len(inputs))
    errors: list[str] = []

    def worker(data: ops.RSVPInput):
        barrier.wait()  # all threads start together; the pool caps open connections
        with app.app_context():
            try:
                occurrence = _db.session.get(Occurrence, occurrence_id)
                ops.submit(occurrence, data, notify=False)
                _db.session.commit()
            except Exception as exc:  # recorded; the assertion below reports it
                _db.session.rollback()
                errors.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker, args=(data,)) for data in inputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_200_simultaneous_rsvps_for_50_seats(pg_app, db):
    occurrence = make_event(capacity=50).occurrences[0]
    people = [ops.RSVPInput(name=f"Person {n}", email=f"p{n}@example.org") for n in range(200)]
    errors = _run_at_once(pg_app, occurrence.id, people)
    assert errors == []
    db.session.expire_all()
    counts = dict(
        db.session.execute(
            sa.select(RSVP.status, sa.func.count())
            .where(RSVP.occurrence_id == occurrence.id)
            .group_by(RSVP.status)
        ).all()
    )
    assert counts == {RSVPStatus.confirmed: 50, RSVPStatus.waitlisted: 150}
    assert ops.confirmed_headcount(occurrence.id) == 50


def test_simultaneous_parties_never_exceed_capacity(pg_app, db):
    occurrence = make_event(capacity=30).occurrences[0]
    people = [
        ops.RSVPInput(name=f"P{n}", email=f"p{n}@example.org", party_size=1 + n % 4)
        for n in range(60)
    ]
    assert _run_at_once(pg_app, occurrence.id, people) == []
    db.session.expire_all()
    left = 30 - ops.confirmed_headcount(occurrence.id)
    assert left >= 0
    # Waitlist fairness (README): the first party to wait could not fit when it arrived, and
    # from then on every newcomer waited behind it, whatever its size; so the first in line is
    # still bigger than the seats left, and everyone confirmed arrived before it. (Rows are
    # written under the date's lock, so their ids are the order of arrival.)
    waiting = db.session.execute(
        sa.select(RSVP.id, RSVP.party_size)
        .where(RSVP.occurrence_id == occurrence.id, RSVP.status == RSVPStatus.waitlisted)
        .order_by(RSVP.id)
    ).all()
    assert waiting, "60 parties of 1-4 people cannot all fit in 30 seats"
    first_id, first_size = waiting[0]
    assert first_size > left
    confirmed_ids = db.session.scalars(
        sa.select(RSVP.id).where(
            RSVP.occurrence_id == occurrence.id, RSVP.status == RSVPStatus.confirmed
        )
    ).all()
    assert max(confirmed_ids) < first_id


def test_a_double_click_is_harmless(pg_app, db):
    occurrence = make_event(capacity=10).occurrences[0]
    same = [ops.RSVPInput(name="Ana", email="ana@example.org", party_size=2) for _ in range(8)]
    assert _run_at_once(pg_app, occurrence.id, same) == []
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(RSVP).where(RSVP.occurrence_id == occurrence.id)
        )
        == 1
    )
    assert ops.confirmed_headcount(occurrence.id) == 2
