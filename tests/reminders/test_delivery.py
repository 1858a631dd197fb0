"""Turning due reminders into email, once each, and delivering them over real SMTP."""

import threading
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from coalition.delegations import operations as delegation_ops
from coalition.delegations.models import TravelMode
from coalition.events import lifecycle as event_lifecycle
from coalition.events import operations as event_ops
from coalition.events.models import LocationVisibility
from coalition.extensions import db as _db
from coalition.mail.models import OutgoingEmail
from coalition.reminders import operations as ops
from coalition.reminders.models import Reminder, ReminderStatus
from coalition.rsvps import operations as rsvp_ops
from tests.factories import event_input, make_event

SECRET = "Side door, Room 1104"


def _person(n=1, **fields):
    fields.setdefault("email", f"p{n}@example.org")
    return rsvp_ops.RSVPInput(name=f"P{n}", **fields)


def test_due_reminder_becomes_one_email_in_the_persons_language(db, smtp, deliver):
    event = make_event(
        texts={"en": ("Court accompaniment", ""), "es": ("Acompañamiento", "")},
        location_visibility=LocationVisibility.attendees,
        venue=SECRET,
        what_to_bring="Your ID",
    )
    occurrence = event.occurrences[0]
    rsvp_ops.submit(occurrence, _person(language="es"))
    db.session.commit()
    day_before = occurrence.start_at - timedelta(days=1)
    report = ops.send_due(now=day_before)
    assert report.queued == 1
    assert ops.send_due(now=day_before).queued == 0  # once only
    deliver()
    with force_locale("es"):
        subject = gettext("Reminder: %(title)s", title="Acompañamiento")
    reminder_mail = [
        m for r, m in smtp.messages if r == ["p1@example.org"] and m["Subject"] == subject
    ]
    assert len(reminder_mail) == 1
    message = reminder_mail[0]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert SECRET in body  # a confirmed attendee may see the place
    assert "Your ID" in body
    assert message["List-Unsubscribe"].strip().startswith("<http://localhost/rsvp/")
    attachments = list(message.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["text/calendar"]
    assert b"BEGIN:VEVENT" in attachments[0].get_payload(decode=True)


def test_a_worker_that_was_down_sends_what_is_still_useful(db):
    occurrence = make_event().occurrences[0]
    rsvp_ops.submit(occurrence, _person())
    db.session.commit()
    # Both reminders fell due while no worker ran; the event has not started: both go out.
    assert ops.send_due(now=occurrence.start_at - timedelta(minutes=30)).queued == 2


def test_reminders_due_after_the_start_are_skipped(db):
    occurrence = make_event().occurrences[0]
    rsvp_ops.submit(occurrence, _person())
    db.session.commit()
    report = ops.send_due(now=occurrence.start_at + timedelta(minutes=5))
    assert (report.queued, report.skipped) == (0, 2)


def test_lead_gets_the_roster_3_days_and_1_day_before(db):
    occurrence = make_event(capacity=60).occurrences[0]
    bus = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(
            name="Worcester bus",
            town="Worcester",
            lead_name="Rosa",
            lead_email="rosa@example.org",
            travel_mode=TravelMode.bus,
            meeting_point="Union Station",
            seat_limit=50,
        ),
    )
    delegation_ops.join(
        bus, _person(1, phone="+16175550101", party_size=2, shares_contact_with_lead=True)
    )
    delegation_ops.join(bus, _person(2, phone="+16175550102"))  # did not agree to share
    db.session.commit()
    offsets = sorted(
        db.session.scalars(
            sa.select(Reminder.offset_minutes).where(Reminder.delegation_id == bus.id)
        )
    )
    assert offsets == [1440, 4320]
    ops.send_due(now=occurrence.start_at - timedelta(days=3))
    roster = db.session.scalar(sa.select(OutgoingEmail).where(OutgoingEmail.kind == "lead_roster"))
    assert "+16175550101" in roster.body_text
    assert "P2" in roster.body_text and "+16175550102" not in roster.body_text
    assert "Union Station" in roster.body_text
    assert "2" in roster.body_text


def test_change_and_cancellation_notices_go_to_attendees(db):
    event = make_event()
    occurrence = event.occurrences[0]
    rsvp_ops.submit(occurrence, _person(1, language="es"))
    event_ops.update_event(event, event_input(venue="New hall"))
    event_lifecycle.cancel_event(event, "Permit denied")
    db.session.commit()
    kinds = [m.kind for m in db.session.scalars(sa.select(OutgoingEmail))
             if m.recipient == "p1@example.org"]  # fmt: skip
    assert kinds.count("event_changed") == 1
    assert kinds.count("event_cancelled") == 1
    cancelled = db.session.scalar(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "event_cancelled")
    )
    assert "Permit denied" in cancelled.body_text


def test_cli_lists_and_dry_runs(runner, db):
    occurrence = make_event().occurrences[0]
    rsvp_ops.submit(occurrence, _person())
    db.session.commit()
    listing = runner.invoke(args=["reminders", "list"])
    assert listing.exit_code == 0 and "24.0 h before" in listing.output
    dry = runner.invoke(args=["reminders", "send-due", "--dry-run"])
    assert dry.exit_code == 0 and "0 due" in dry.output


def test_two_workers_at_once_send_nothing_twice(pg_app, db):
    occurrence = make_event(capacity=None).occurrences[0]
    for n in range(60):
        rsvp_ops.submit(occurrence, _person(n), notify=False)
    db.session.commit()
    now = occurrence.start_at - timedelta(minutes=30)
    reports = []

    def worker():
        with pg_app.app_context():
            reports.append(ops.send_due(now=now))
            _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.expire_all()
    assert sum(r.queued for r in reports) == 120
    assert all(r.queued > 0 for r in reports)  # both workers really worked
    emails = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutgoingEmail)
        .where(OutgoingEmail.kind == "reminder")
    )
    assert emails == 120
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Reminder)
            .where(Reminder.status == ReminderStatus.queued)
        )
        == 120
    )
