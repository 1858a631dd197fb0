"""Reminders are rows that follow RSVPs and events."""

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from coalition.events import lifecycle as event_lifecycle
from coalition.events import occurrences as occurrence_ops
from coalition.events import operations as event_ops
from coalition.reminders.models import Reminder, ReminderStatus
from coalition.rsvps import operations as rsvp_ops
from tests.factories import event_input, make_event


def _pending(db, rsvp):
    rows = db.session.scalars(
        sa.select(Reminder)
        .where(Reminder.rsvp_id == rsvp.id, Reminder.status == ReminderStatus.pending)
        .order_by(Reminder.due_at)
    )
    return [(r.offset_minutes, r.due_at) for r in rows]


def _person(n=1, **fields):
    return rsvp_ops.RSVPInput(name=f"P{n}", email=f"p{n}@example.org", **fields)


def test_confirmed_rsvp_gets_the_coalition_default_reminders(db):
    occurrence = make_event().occurrences[0]
    rsvp = rsvp_ops.submit(occurrence, _person()).rsvp
    db.session.commit()
    start = occurrence.start_at
    assert _pending(db, rsvp) == [
        (1440, start - timedelta(days=1)),
        (120, start - timedelta(hours=2)),
    ]


def test_waitlisted_get_none_until_promoted(db):
    occurrence = make_event(capacity=1).occurrences[0]
    first = rsvp_ops.submit(occurrence, _person(1)).rsvp
    waiting = rsvp_ops.submit(occurrence, _person(2)).rsvp
    assert _pending(db, waiting) == []
    rsvp_ops.cancel(first)
    db.session.commit()
    assert len(_pending(db, waiting)) == 2
    assert _pending(db, first) == []


def test_a_late_rsvp_gets_only_the_reminders_still_ahead(db):
    soon = datetime.now(UTC) + timedelta(hours=5)
    local = soon.astimezone(event_ops.ZoneInfo("America/New_York"))
    end = local + timedelta(hours=1)  # may cross midnight: give the end date too
    event = make_event(start_date=local.date(), start_time=local.time().replace(microsecond=0),
                       end_date=end.date(), end_time=end.time().replace(microsecond=0))  # fmt: skip
    rsvp = rsvp_ops.submit(event.occurrences[0], _person()).rsvp
    assert [offset for offset, _due in _pending(db, rsvp)] == [120]


def test_event_offsets_override_or_turn_off_the_default(db):
    custom = make_event(reminder_offsets=[60]).occurrences[0]
    off = make_event(reminder_offsets=[], title="No reminders").occurrences[0]
    assert [o for o, _ in _pending(db, rsvp_ops.submit(custom, _person(1)).rsvp)] == [60]
    assert _pending(db, rsvp_ops.submit(off, _person(2)).rsvp) == []


def test_no_consent_means_no_reminders_and_a_phone_gets_them_by_text(db):
    occurrence = make_event().occurrences[0]
    no_consent = rsvp_ops.submit(occurrence, _person(1, consents_to_reminders=False)).rsvp
    phone_only = rsvp_ops.submit(
        occurrence, rsvp_ops.RSVPInput(name="Tel", phone="+16175550199")
    ).rsvp
    assert _pending(db, no_consent) == []
    assert len(_pending(db, phone_only)) == 2  # texts are configured (SMS_BACKEND=folder)


def test_moving_the_event_moves_pending_reminders(db):
    event = make_event()
    rsvp = rsvp_ops.submit(event.occurrences[0], _person()).rsvp
    event_ops.update_event(event, event_input(start_time=time(15, 0), end_time=time(16, 0)))
    db.session.commit()
    start = event.occurrences[0].start_at
    assert [due for _o, due in _pending(db, rsvp)] == [
        start - timedelta(days=1),
        start - timedelta(hours=2),
    ]


def test_cancelling_cancels_and_restoring_restores(db):
    event = make_event(
        recurrence=event_ops.recurrence.RecurrenceSpec(
            event_ops.recurrence.Frequency.weekly, count=2
        )
    )
    occurrence = event.occurrences[0]
    rsvp = rsvp_ops.submit(occurrence, _person()).rsvp
    occurrence_ops.cancel_occurrence(occurrence, "Storm")
    assert _pending(db, rsvp) == []
    occurrence_ops.restore_occurrence(occurrence)
    assert len(_pending(db, rsvp)) == 2
    event_lifecycle.cancel_event(event, "Called off")
    assert _pending(db, rsvp) == []


def test_a_cancelled_rsvp_has_none_left(db):
    occurrence = make_event().occurrences[0]
    rsvp = rsvp_ops.submit(occurrence, _person()).rsvp
    rsvp_ops.cancel(rsvp)
    assert _pending(db, rsvp) == []
    rsvp_ops.set_reminder_consent(rsvp, True)
    assert _pending(db, rsvp) == []
