"""Session sign-ups and series registrations follow the RSVP's erasure."""

from datetime import date, timedelta

import sqlalchemy as sa

from coalition.erasure import purge_expired
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.rsvps import operations as rsvp_ops
from coalition.sessions import operations as ops
from coalition.sessions import series
from coalition.sessions.models import SeriesMode, SessionSignup, SignupStatus
from coalition.tokens import TokenError
from tests.factories import make_event
from tests.sessions.helpers import add_session, rsvp


def test_erasing_an_rsvp_frees_its_session_seat_and_keeps_only_counts(client, db):
    occurrence = make_event(capacity=10).occurrences[0]
    workshop = add_session(occurrence, "Taller", "12:00", "13:00", capacity=1)
    ana = rsvp(occurrence, 1, sessions=[workshop], email="ana@example.org")
    waiting = rsvp(occurrence, 2, sessions=[workshop])
    token = rsvp_ops.manage_token(ana)
    manage = f"/rsvp/{token}"
    assert client.submit(f"/rsvp/{token}/erase", {}, page=manage).status_code == 200
    db.session.expire_all()
    signups = db.session.scalars(sa.select(SessionSignup).order_by(SessionSignup.id)).all()
    assert [s.status for s in signups] == [SignupStatus.cancelled, SignupStatus.confirmed]
    assert signups[0].rsvp.name is None and signups[0].rsvp.email is None
    assert ops.signups_of(waiting)[0].status == SignupStatus.confirmed


def test_purge_kills_a_finished_series_link(db):
    event = make_event(start_date=date(2027, 3, 4),
                       recurrence=RecurrenceSpec(frequency=Frequency.weekly, count=2))  # fmt: skip
    series.configure(event, SeriesMode.series, None)
    outcome = series.register(event, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"))
    db.session.commit()
    token = series.manage_token(outcome.registration)
    last = event.occurrences[-1]
    purge_expired(now=last.end_at + timedelta(days=1))  # the last date is not past retention
    db.session.commit()
    assert series.registration_for_token(token)
    purge_expired(now=last.end_at + timedelta(days=400))
    db.session.commit()
    db.session.expire_all()
    try:
        series.registration_for_token(token)
    except TokenError:
        pass
    else:
        raise AssertionError("the link still works")
