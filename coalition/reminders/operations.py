"""Keep reminder rows in step with RSVPs and events, and turn due ones into email.

The schedule follows changes: moving an occurrence moves its pending reminders, cancelling
cancels them, a removed RSVP has none left, a late RSVP gets only the reminders still ahead.
Sending claims one due row at a time (`FOR UPDATE SKIP LOCKED`), queues its email and marks it
in the same transaction, so two workers never send the same reminder and a crash loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from coalition.db import utcnow
from coalition.delegations.models import Delegation
from coalition.events.models import Event, EventStatus, LocationVisibility, Occurrence
from coalition.extensions import db
from coalition.languages import message_locale
from coalition.mail.operations import queue_email
from coalition.reminders.models import Reminder, ReminderKind, ReminderStatus
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.settings.operations import get_setting
from coalition.sms.notices import text_lead_roster, text_rsvp
from coalition.sms.numbers import sms_available
from coalition.urls import external_url
from coalition.volunteers.models import Helper

#: A delegation's lead hears 3 days and 1 day before.
LEAD_OFFSETS = (3 * 1440, 1440)


def attendee_offsets(event: Event) -> list[int]:
    """Minutes before the start at which attendees are reminded. A place hidden until N hours
    before adds a reminder at that moment, which carries the place (reminders show the place as
    it may be seen when they are sent)."""
    offsets = event.reminder_offsets
    if offsets is None:
        offsets = get_setting("reminder_offsets")
    wanted = {int(o) for o in offsets if int(o) > 0}
    if (
        event.location_visibility == LocationVisibility.hidden_until
        and not event.location_attendees_early
        and event.location_reveal_hours
    ):
        wanted.add(event.location_reveal_hours * 60)
    return sorted(wanted, reverse=True)


def _occurrence_is_live(occurrence: Occurrence) -> bool:
    return occurrence.event.status == EventStatus.published and not occurrence.is_cancelled


def _sync(existing: dict[int, Reminder], wanted: dict[int, datetime], make, now: datetime):
    for offset, reminder in existing.items():
        if reminder.status != ReminderStatus.pending:
            continue
        if offset not in wanted:
            reminder.status = ReminderStatus.cancelled
        else:
            reminder.due_at = wanted[offset]
    for offset, due in wanted.items():
        reminder = existing.get(offset)
        if reminder is None:
            if due > now:
                db.session.add(make(offset, due))
        elif reminder.status == ReminderStatus.cancelled and due > now:
            reminder.status = ReminderStatus.pending
            reminder.due_at = due


def schedule_for_rsvp(rsvp: RSVP, now: datetime | None = None) -> None:
    """Pending reminders for a confirmed, consenting attendee we can reach (an email, or a phone
    when texts are configured); none otherwise."""
    now = now or utcnow()
    occurrence = rsvp.occurrence
    eligible = (
        rsvp.status == RSVPStatus.confirmed
        and rsvp.consents_to_reminders
        and (rsvp.email or (rsvp.phone and sms_available()))
        and rsvp.erased_at is None
        and _occurrence_is_live(occurrence)
    )
    wanted = {}
    if eligible:
        wanted = {
            offset: occurrence.start_at - timedelta(minutes=offset)
            for offset in attendee_offsets(occurrence.event)
        }
    existing = {}
    if rsvp.id is not None:
        existing = {
            r.offset_minutes: r
            for r in db.session.scalars(sa.select(Reminder).where(Reminder.rsvp_id == rsvp.id))
        }
    _sync(
        existing,
        wanted,
        lambda offset, due: Reminder(
            kind=ReminderKind.attendee,
            occurrence=occurrence,
            rsvp=rsvp,
            offset_minutes=offset,
            due_at=due,
        ),
        now,
    )


def schedule_for_delegation(delegation: Delegation, now: datetime | None = None) -> None:
    now = now or utcnow()
    occurrence = delegation.occurrence
    eligible = (
        delegation.lead_email or (delegation.lead_phone and sms_available())
    ) and delegation.erased_at is None
    wanted = {}
    if eligible and _occurrence_is_live(occurrence):
        wanted = {o: occurrence.start_at - timedelta(minutes=o) for o in LEAD_OFFSETS}
    existing = {}
    if delegation.id is not None:
        existing = {
            r.offset_minutes: r
            for r in db.session.scalars(
                sa.select(Reminder).where(Reminder.delegation_id == delegation.id)
            )
        }
    _sync(
        existing,
        wanted,
        lambda offset, due: Reminder(
            kind=ReminderKind.lead_roster,
            occurrence=occurrence,
            delegation=delegation,
            offset_minutes=offset,
            due_at=due,
        ),
        now,
    )


def schedule_for_helper(helper: Helper, now: datetime | None = None) -> None:
    """A helper is reminded like an attendee (the event's offsets), before their shift starts."""
    now = now or utcnow()
    occurrence = helper.occurrence
    eligible = (
        helper.is_active
        and helper.consents_to_reminders
        and (helper.email or (helper.phone and sms_available()))
        and helper.erased_at is None
        and _occurrence_is_live(occurrence)
    )
    wanted = {}
    if eligible:
        start = helper.role.shift_start
        wanted = {o: start - timedelta(minutes=o) for o in attendee_offsets(occurrence.event)}
    existing = {}
    if helper.id is not None:
        existing = {
            r.offset_minutes: r
            for r in db.session.scalars(sa.select(Reminder).where(Reminder.helper_id == helper.id))
        }
    _sync(
        existing,
        wanted,
        lambda offset, due: Reminder(
            kind=ReminderKind.helper,
            occurrence=occurrence,
            helper=helper,
            offset_minutes=offset,
            due_at=due,
        ),
        now,
    )


def reschedule_occurrence(occurrence: Occurrence, now: datetime | None = None) -> None:
    """After the occurrence moved, was cancelled or restored, or its offsets changed."""
    rsvps = db.session.scalars(sa.select(RSVP).where(RSVP.occurrence_id == occurrence.id))
    for rsvp in rsvps:
        schedule_for_rsvp(rsvp, now)
    delegations = db.session.scalars(
        sa.select(Delegation).where(Delegation.occurrence_id == occurrence.id)
    )
    for delegation in delegations:
        schedule_for_delegation(delegation, now)
    helpers = db.session.scalars(sa.select(Helper).where(Helper.occurrence_id == occurrence.id))
    for helper in helpers:
        schedule_for_helper(helper, now)


def reschedule_event(event: Event, now: datetime | None = None) -> None:
    for occurrence in event.occurrences:
        reschedule_occurrence(occurrence, now)


# Sending ---------------------------------------------------------------------------------------


@dataclass
class SendReport:
    queued: int = 0
    skipped: int = 0
    would_send: list[Reminder] = field(default_factory=list)


def due_query(now: datetime) -> sa.Select:
    return (
        sa.select(Reminder)
        .where(Reminder.status == ReminderStatus.pending, Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
    )


def _still_useful(reminder: Reminder, now: datetime) -> bool:
    """A reminder that fell due while no worker ran is sent if the occurrence has not started."""
    occurrence = reminder.occurrence
    if reminder.kind == ReminderKind.helper:
        return _occurrence_is_live(occurrence) and now < reminder.helper.role.shift_start
    return _occurrence_is_live(occurrence) and now < occurrence.start_at


def send_due(
    now: datetime | None = None,
    *,
    limit: int = 10_000,
    batch: int = 100,
    dry_run: bool = False,
    progress=None,
) -> SendReport:
    """Turn due reminders into outgoing email.

    Rows are claimed `batch` at a time with FOR UPDATE SKIP LOCKED (another worker skips them),
    and each batch commits its emails and the reminders' new status together: a crash rolls the
    whole batch back, so nothing is lost or queued twice. SMTP delivery, where a crash could
    re-send, is the outbox's job and goes one message per transaction.
    """
    now = now or utcnow()
    report = SendReport()
    if dry_run:
        report.would_send = list(db.session.scalars(due_query(now).limit(limit)))
        return report
    calendars: dict = {}
    while report.queued + report.skipped < limit:
        size = min(batch, limit - report.queued - report.skipped)
        claimed = db.session.scalars(
            due_query(now)
            .limit(size)
            .with_for_update(skip_locked=True, of=Reminder)
            .options(
                selectinload(Reminder.rsvp),
                selectinload(Reminder.delegation),
                selectinload(Reminder.helper),
                selectinload(Reminder.occurrence)
                .selectinload(Occurrence.event)
                .selectinload(Event.translations),
            )
        ).all()
        if not claimed:
            break
        for reminder in claimed:
            if not _still_useful(reminder, now):
                reminder.status = ReminderStatus.skipped
                report.skipped += 1
                continue
            reminder.email = _queue_reminder_email(reminder, calendars, now)
            reminder.status = ReminderStatus.queued
            reminder.queued_at = now
            report.queued += 1
        db.session.commit()
        if progress is not None:
            progress(report)
    return report


def _queue_reminder_email(reminder: Reminder, calendars: dict, now: datetime):
    from coalition.events.ics import ics_attachment
    from coalition.rsvps.location import location_for_rsvp
    from coalition.rsvps.operations import manage_url

    occurrence = reminder.occurrence
    event = occurrence.event
    if reminder.kind == ReminderKind.helper:
        from coalition.volunteers.operations import queue_reminder

        return queue_reminder(reminder.helper, now)
    if reminder.kind == ReminderKind.attendee and not reminder.rsvp.email:
        # By text: waits out quiet hours in the event's zone, dropped once the event started.
        return text_rsvp(
            reminder.rsvp, kind="reminder", template="reminders/attendee",
            expires_at=occurrence.start_at, quiet_hours=True,
        )  # fmt: skip
    if reminder.kind == ReminderKind.attendee:
        rsvp = reminder.rsvp
        language = message_locale(rsvp.language)
        title = event.translation(rsvp.language).title
        manage = manage_url(rsvp)
        key = (occurrence.id, occurrence.sequence, event.sequence, rsvp.language)
        if key not in calendars:  # one .ics per occurrence and language in a run
            calendars[key] = ics_attachment(occurrence, rsvp.language)
        return queue_email(
            about_rsvp=rsvp,
            to=rsvp.email,
            kind="reminder",
            subject=_l("Reminder: %(title)s", title=title),
            template="reminders/attendee",
            locale=language,
            headers={
                "List-Unsubscribe": f"<{manage}/reminders-off>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            attachments=[calendars[key]],
            rsvp=rsvp,
            occurrence=occurrence,
            event=event,
            location=location_for_rsvp(rsvp, now),
            now=now,
            manage_url=manage,
            event_url=external_url(
                "events.occurrence", event_id=event.id, occurrence_id=occurrence.id
            ),
        )
    delegation = reminder.delegation
    from coalition.delegations.operations import lead_url

    members = db.session.scalars(
        sa.select(RSVP)
        .where(RSVP.delegation_id == delegation.id, RSVP.status == RSVPStatus.confirmed)
        .order_by(RSVP.name)
    ).all()
    language = message_locale(delegation.lead_language)
    if not delegation.lead_email:
        return text_lead_roster(delegation, members, expires_at=occurrence.start_at)
    return queue_email(
        about_delegation=delegation,
        to=delegation.lead_email,
        kind="lead_roster",
        subject=_l("Your delegation's roster: %(name)s", name=delegation.name),
        template="reminders/lead_roster",
        locale=language,
        delegation=delegation,
        members=members,
        headcount=sum(m.party_size for m in members),
        occurrence=occurrence,
        event=event,
        lead_url=lead_url(delegation),
    )


def upcoming(limit: int = 200) -> list[Reminder]:
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.status == ReminderStatus.pending)
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
        )
    )
