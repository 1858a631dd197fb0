"""On PostgreSQL: simultaneous sign-ups never overfill a session, and nobody ends up in two
sessions at once."""

import threading
import time

import sqlalchemy as sa

from coalition.events.models import Occurrence
from coalition.extensions import db as _db
from coalition.rsvps import operations as rsvp_ops
from coalition.sessions import operations as ops
from coalition.sessions.models import EventSession, SessionSignup, SignupStatus
from tests.factories import make_event
from tests.sessions.helpers import add_session, rsvp


def _at_once(app, jobs) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    errors: list[str] = []

    def worker(job):
        barrier.wait()
        with app.app_context():
            try:
                job()
                _db.session.commit()
            except Exception as exc:  # reported by the assertion
                _db.session.rollback()
                errors.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def _counts(db, session_id):
    db.session.expire_all()
    return dict(
        db.session.execute(
            sa.select(SessionSignup.status, sa.func.count())
            .where(SessionSignup.session_id == session_id)
            .group_by(SessionSignup.status)
        ).all()
    )


def test_40_simultaneous_signups_for_25_seats(pg_app, db):
    occurrence = make_event(capacity=100).occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:00", "13:00", capacity=25)
    occurrence_id, session_id = occurrence.id, workshop.id

    def sign_up(n):
        def job():
            occ = _db.session.get(Occurrence, occurrence_id)
            chosen = [_db.session.get(EventSession, session_id)]
            rsvp_ops.submit(occ, rsvp_ops.RSVPInput(name=f"P{n}", email=f"p{n}@example.org",
                                                    sessions=chosen), notify=False)  # fmt: skip

        return job

    assert _at_once(pg_app, [sign_up(n) for n in range(40)]) == []
    assert _counts(db, session_id) == {SignupStatus.confirmed: 25, SignupStatus.waitlisted: 15}
    assert ops.confirmed_headcount(session_id) == 25


def test_one_person_choosing_at_once_never_gets_two_overlapping_sessions(pg_app, db):
    occurrence = make_event(capacity=100).occurrences[0]
    a = add_session(occurrence, "A", "12:00", "13:00", capacity=25)
    b = add_session(occurrence, "B", "12:30", "13:30", capacity=25)
    person = rsvp(occurrence, 1)
    ids = (person.id, a.id, b.id)

    def choose(session_id):
        def job():
            from coalition.rsvps.models import RSVP

            ops.choose(_db.session.get(RSVP, ids[0]), [_db.session.get(EventSession, session_id)])

        return job

    # 20 requests at once from the same person, half for A and half for B (e.g. two tabs).
    assert _at_once(pg_app, [choose(ids[1 + n % 2]) for n in range(20)]) == []
    db.session.expire_all()
    active = db.session.scalars(
        sa.select(SessionSignup).where(
            SessionSignup.rsvp_id == person.id, SessionSignup.status != SignupStatus.cancelled
        )
    ).all()
    assert len(active) == 1


def test_a_promotion_and_the_promoted_persons_own_change_at_once_never_deadlock(pg_app, db):
    """An organizer adds a seat (promoting the person who waits) while that person changes their
    own choice: one locks the session then touches the person, the other locks the person then
    the session. Neither may fail (PostgreSQL would abort one with a deadlock)."""
    occurrence = make_event(capacity=100).occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:00", "13:00", capacity=1)
    other = add_session(occurrence, "Other", "13:00", "13:30", capacity=10)
    rsvp(occurrence, 1, sessions=[workshop])
    waiting = rsvp(occurrence, 2, sessions=[workshop])
    ids = {"rsvp": waiting.id, "workshop": workshop.id, "other": other.id}
    holding, errors = threading.Event(), []

    def own_change():
        from coalition.rsvps.models import RSVP

        with pg_app.app_context():
            try:
                person = ops._lock_rsvp(_db.session.get(RSVP, ids["rsvp"]))
                holding.set()
                time.sleep(0.8)  # the organizer's promotion now holds the workshop's lock
                ops.choose(person, [_db.session.get(EventSession, ids["other"])])
                _db.session.commit()
            except Exception as exc:
                _db.session.rollback()
                errors.append(repr(exc))
            finally:
                _db.session.remove()

    def add_a_seat():
        with pg_app.app_context():
            try:
                holding.wait(10)
                session = ops.lock_session(_db.session.get(EventSession, ids["workshop"]))
                session.capacity = 2
                ops.capacity_changed(session)
                _db.session.commit()
            except Exception as exc:
                _db.session.rollback()
                errors.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=own_change), threading.Thread(target=add_a_seat)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # Promoted, then their own change gave the workshop up for the other session.
    assert _counts(db, ids["other"]) == {SignupStatus.confirmed: 1}
    assert _counts(db, ids["workshop"]) == {
        SignupStatus.confirmed: 1, SignupStatus.cancelled: 1
    }  # fmt: skip
