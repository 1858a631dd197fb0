"""RSVP logic: who is confirmed, who waits, and erasing what we no longer need.

Capacity is enforced under a row lock on the occurrence (`SELECT ... FOR UPDATE` on PostgreSQL;
SQLite serializes writers itself), so confirmed headcount never exceeds the seats even when
hundreds of people submit at the same moment. Functions flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coalition.auth.models import User
from coalition.db import utcnow
from coalition.events.models import Event, EventStatus, Occurrence
from coalition.extensions import db
from coalition.i18n import email_language
from coalition.mail.operations import queue_email
from coalition.reminders.operations import schedule_for_rsvp
from coalition.rsvps.models import RSVP, AuditEntry, RSVPStatus
from coalition.settings.operations import get_setting
from coalition.tokens import TokenError, make_token, read_token
from coalition.urls import external_url

#: Largest party one RSVP may bring (the person included).
MAX_PARTY = 10
MANAGE_PURPOSE = "rsvp-manage"


class RSVPError(ValueError):
    """Refused; `message` is for the person, `field` the form field it belongs to."""

    def __init__(self, message, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


@dataclass
class RSVPInput:
    name: str
    email: str | None = None
    phone: str | None = None
    language: str = "en"
    party_size: int = 1
    needs_interpretation: bool = False
    needs_childcare: bool = False
    needs_ride: bool = False
    note: str | None = None
    consents_to_reminders: bool = True


@dataclass
class Outcome:
    rsvp: RSVP
    #: False when an earlier RSVP of the same person was updated.
    created: bool


# Rules -------------------------------------------------------------------------------------


def closed_reason(occurrence: Occurrence, now: datetime | None = None):
    """Why this occurrence takes no RSVP now, or None when it does."""
    now = now or utcnow()
    event = occurrence.event
    if event.status == EventStatus.cancelled or occurrence.is_cancelled:
        return _l("This event is cancelled.")
    if event.status != EventStatus.published:
        return _l("This event is not open for RSVPs.")
    if now >= occurrence.start_at:
        return _l("This event has already started; RSVPs are closed.")
    if event.rsvp_opens_at and now < event.rsvp_opens_at:
        return _l("RSVPs are not open yet.")
    if event.rsvp_closes_at and now >= event.rsvp_closes_at:
        return _l("RSVPs are closed.")
    return None


def _lock(occurrence: Occurrence) -> Occurrence:
    """Serialize capacity decisions for one occurrence."""
    return db.session.scalars(
        sa.select(Occurrence)
        .where(Occurrence.id == occurrence.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def confirmed_headcount(occurrence_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(RSVP.party_size), 0)).where(
            RSVP.occurrence_id == occurrence_id, RSVP.status == RSVPStatus.confirmed
        )
    )


def seats_left(occurrence: Occurrence) -> int | None:
    """Seats still free, or None when the occurrence has no capacity."""
    capacity = occurrence.effective_capacity
    if capacity is None:
        return None
    return max(capacity - confirmed_headcount(occurrence.id), 0)


def _find_same_person(occurrence: Occurrence, data: RSVPInput, user: User | None) -> RSVP | None:
    matches = []
    if data.email:
        matches.append(RSVP.email == data.email)
    if data.phone:
        matches.append(RSVP.phone == data.phone)
    if user is not None:
        matches.append(RSVP.user_id == user.id)
    if not matches:
        return None
    return db.session.scalars(
        sa.select(RSVP)
        .where(RSVP.occurrence_id == occurrence.id, sa.or_(*matches))
        .order_by(RSVP.id)
        .limit(1)
    ).first()


def _validate(data: RSVPInput) -> None:
    data.name = (data.name or "").strip()
    data.email = (data.email or "").strip().lower() or None
    data.phone = (data.phone or "").strip() or None
    if not data.name:
        raise RSVPError(_l("Tell us a name (a first name or nickname is fine)."), "name")
    if not data.email and not data.phone:
        raise RSVPError(_l("Give an email or a phone number so we can reach you."), "email")
    if not 1 <= data.party_size <= MAX_PARTY:
        raise RSVPError(_l("A party is 1 to %(n)d people.", n=MAX_PARTY), "party_size")


def _place(occurrence: Occurrence, rsvp: RSVP, *, needed: int, now: datetime) -> None:
    """Confirm `rsvp` if `needed` more seats fit, else waitlist it (or refuse when no waitlist)."""
    left = seats_left(occurrence)
    if left is None or needed <= left:
        if rsvp.status != RSVPStatus.confirmed:
            rsvp.status = RSVPStatus.confirmed
            rsvp.confirmed_at = now
            rsvp.waitlisted_at = None
        return
    if not occurrence.event.has_waitlist:
        raise RSVPError(_l("This event is full."), "party_size", status=409)
    if rsvp.status != RSVPStatus.waitlisted:
        rsvp.status = RSVPStatus.waitlisted
        rsvp.waitlisted_at = now


def submit(
    occurrence: Occurrence,
    data: RSVPInput,
    *,
    user: User | None = None,
    delegation=None,
    now: datetime | None = None,
    notify: bool = True,
) -> Outcome:
    """Create an RSVP, or update the same person's RSVP for this occurrence."""
    now = now or utcnow()
    _validate(data)
    reason = closed_reason(occurrence, now)
    if reason is not None:
        raise RSVPError(reason, status=409)
    occurrence = _lock(occurrence)
    rsvp = _find_same_person(occurrence, data, user)
    created = rsvp is None
    if delegation is not None:
        from coalition.delegations.operations import check_can_join

        check_can_join(delegation, data.party_size, replacing=rsvp)
    previous_size = 0
    if rsvp is None:
        rsvp = RSVP(occurrence=occurrence, status=RSVPStatus.cancelled)
        db.session.add(rsvp)
    elif rsvp.status == RSVPStatus.confirmed:
        previous_size = rsvp.party_size
    was_status = rsvp.status
    _apply(rsvp, data, user)
    if delegation is not None:
        rsvp.delegation = delegation
    if rsvp.erased_at is not None:
        rsvp.erased_at = None
    if was_status == RSVPStatus.confirmed:
        grow = data.party_size - previous_size
        if grow > 0 and (left := seats_left(occurrence)) is not None and grow > left:
            raise RSVPError(_l("Only %(n)d more seats are free.", n=left), "party_size", status=409)
    elif was_status == RSVPStatus.cancelled:
        rsvp.cancelled_at = None
        _place(occurrence, rsvp, needed=data.party_size, now=now)
    db.session.flush()
    if was_status == RSVPStatus.confirmed and data.party_size < previous_size:
        promote_waitlist(occurrence, now=now)
    schedule_for_rsvp(rsvp, now)
    if notify and (created or was_status == RSVPStatus.cancelled):
        send_confirmation(rsvp)
    return Outcome(rsvp=rsvp, created=created)


def _apply(rsvp: RSVP, data: RSVPInput, user: User | None) -> None:
    rsvp.name = data.name[:80]
    # A second RSVP that gives only one way to reach the person keeps the other one.
    rsvp.email = data.email or rsvp.email
    rsvp.phone = data.phone or rsvp.phone
    rsvp.language = data.language
    rsvp.party_size = data.party_size
    rsvp.needs_interpretation = data.needs_interpretation
    rsvp.needs_childcare = data.needs_childcare
    rsvp.needs_ride = data.needs_ride
    rsvp.note = (data.note or "").strip() or None
    rsvp.consents_to_reminders = data.consents_to_reminders
    if user is not None:
        rsvp.user = user


def change(rsvp: RSVP, *, party_size: int, needs_interpretation: bool, needs_childcare: bool,
           needs_ride: bool, note: str | None, now: datetime | None = None) -> None:  # fmt: skip
    """The person changes their party or needs from the manage link."""
    now = now or utcnow()
    if not rsvp.is_active:
        raise RSVPError(_l("This RSVP is cancelled."), status=409)
    if not 1 <= party_size <= MAX_PARTY:
        raise RSVPError(_l("A party is 1 to %(n)d people.", n=MAX_PARTY), "party_size")
    occurrence = _lock(rsvp.occurrence)
    if rsvp.delegation is not None:
        from coalition.delegations.operations import check_can_join

        check_can_join(rsvp.delegation, party_size, replacing=rsvp)
    grow = party_size - rsvp.party_size
    if rsvp.status == RSVPStatus.confirmed and grow > 0:
        left = seats_left(occurrence)
        if left is not None and grow > left:
            raise RSVPError(_l("Only %(n)d more seats are free.", n=left), "party_size", status=409)
    rsvp.party_size = party_size
    rsvp.needs_interpretation = needs_interpretation
    rsvp.needs_childcare = needs_childcare
    rsvp.needs_ride = needs_ride
    rsvp.note = (note or "").strip() or None
    db.session.flush()
    if grow < 0 or rsvp.status == RSVPStatus.waitlisted:
        promote_waitlist(occurrence, now=now)


def cancel(rsvp: RSVP, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not rsvp.is_active:
        return  # cancelling twice is harmless
    occurrence = _lock(rsvp.occurrence)
    was_confirmed = rsvp.status == RSVPStatus.confirmed
    rsvp.status = RSVPStatus.cancelled
    rsvp.cancelled_at = now
    schedule_for_rsvp(rsvp, now)
    db.session.flush()
    if was_confirmed:
        promote_waitlist(occurrence, now=now)


def erase(rsvp: RSVP, now: datetime | None = None) -> None:
    """Remove the person's data at once (their own request); the seat is freed."""
    cancel(rsvp, now)
    _erase_personal_data(rsvp, now or utcnow())


def _erase_personal_data(rsvp: RSVP, now: datetime) -> None:
    rsvp.name = rsvp.email = rsvp.phone = rsvp.note = None
    rsvp.user_id = None
    rsvp.manage_secret = "erased"
    rsvp.erased_at = now


def promote_waitlist(occurrence: Occurrence, now: datetime | None = None) -> list[RSVP]:
    """Confirm waitlisted parties in arrival order while seats allow.

    A party is promoted only when the whole party fits; a smaller party behind it may go first.
    The caller must hold the occurrence lock (every caller here does).
    """
    now = now or utcnow()
    if closed_reason(occurrence, now) is not None:
        return []  # no promotions once RSVPs are closed; close_waitlists tells the waiting
    left = seats_left(occurrence)
    waiting = db.session.scalars(
        sa.select(RSVP)
        .where(RSVP.occurrence_id == occurrence.id, RSVP.status == RSVPStatus.waitlisted)
        .order_by(RSVP.waitlisted_at, RSVP.id)
    ).all()
    promoted = []
    for rsvp in waiting:
        if left is not None and rsvp.party_size > left:
            continue
        rsvp.status = RSVPStatus.confirmed
        rsvp.confirmed_at = now
        rsvp.waitlisted_at = None
        promoted.append(rsvp)
        if left is not None:
            left -= rsvp.party_size
            if left <= 0:
                break
    for rsvp in promoted:
        schedule_for_rsvp(rsvp, now)
    db.session.flush()
    for rsvp in promoted:
        send_promotion(rsvp)
    return promoted


def capacity_changed(occurrence: Occurrence) -> list[RSVP]:
    """After an organizer raised the seats (or removed the limit): promote who now fits."""
    return promote_waitlist(_lock(occurrence))


# Links and mail ----------------------------------------------------------------------------


def set_reminder_consent(rsvp: RSVP, consents: bool) -> None:
    """The person turns reminders on or off (the manage page, or List-Unsubscribe)."""
    rsvp.consents_to_reminders = consents
    schedule_for_rsvp(rsvp)


def manage_token(rsvp: RSVP) -> str:
    return make_token(MANAGE_PURPOSE, {"r": rsvp.id, "s": rsvp.manage_secret})


def rsvp_for_token(token: str) -> RSVP:
    """The RSVP behind a manage link; TokenError when tampered with or erased."""
    payload = read_token(MANAGE_PURPOSE, token, max_age=None)
    if not isinstance(payload, dict):
        raise TokenError("invalid")
    rsvp = db.session.get(RSVP, payload.get("r"))
    if rsvp is None or rsvp.erased_at is not None or rsvp.manage_secret != payload.get("s"):
        raise TokenError("invalid")
    return rsvp


def manage_url(rsvp: RSVP) -> str:
    return external_url("rsvps.manage", token=manage_token(rsvp))


def _calendar_attachment(rsvp: RSVP) -> list[dict]:
    """The date as an .ics file, which Gmail and Outlook offer to add to the calendar."""
    from coalition.feeds.builder import FeedInfo, single_occurrence_calendar

    occurrence = rsvp.occurrence
    event = occurrence.event
    info = FeedInfo(
        name=event.translation(rsvp.language).title,
        description=event.host_org.name,
        language=rsvp.language,
    )
    ics = single_occurrence_calendar(occurrence, info, timezone=event.timezone)
    return [{"filename": "event.ics", "content_type": "text/calendar; method=PUBLISH",
             "data": ics.decode()}]  # fmt: skip


def _mail(rsvp: RSVP, *, kind: str, subject, template: str, attach: bool = False, **context):
    if not rsvp.email:
        return  # phone-only RSVPs: no email channel
    occurrence = rsvp.occurrence
    queue_email(
        to=rsvp.email,
        kind=kind,
        subject=subject,
        template=template,
        attachments=_calendar_attachment(rsvp) if attach else None,
        locale=email_language(rsvp.language),
        rsvp=rsvp,
        occurrence=occurrence,
        event=occurrence.event,
        location=location_for_rsvp(rsvp),
        manage_url=manage_url(rsvp),
        event_url=external_url(
            "events.occurrence", event_id=occurrence.event_id, occurrence_id=occurrence.id
        ),
        ics_url=external_url(
            "feeds.occurrence", event_id=occurrence.event_id, occurrence_id=occurrence.id
        ),
        **context,
    )


def location_for_rsvp(rsvp: RSVP) -> dict | None:
    """The place as this person may see it: always when public or revealed; else only once
    confirmed (a waitlisted person does not get a place that is shared with attendees)."""
    occurrence = rsvp.occurrence
    event = occurrence.event
    if not (event.location_is_public(occurrence) or rsvp.status == RSVPStatus.confirmed):
        return None
    return {
        "venue": occurrence.effective_venue,
        "address": occurrence.effective_address,
        "city": occurrence.effective_city,
        "map_url": occurrence.effective_map_url,
        "online_url": event.online_url,
    }


def is_confirmed_attendee(user: User | None, occurrence: Occurrence) -> bool:
    """A signed-in person with a confirmed RSVP for this occurrence."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            sa.select(RSVP.id).where(
                RSVP.occurrence_id == occurrence.id,
                RSVP.user_id == user.id,
                RSVP.status == RSVPStatus.confirmed,
            )
        )
        is not None
    )


def send_confirmation(rsvp: RSVP) -> None:
    title = rsvp.occurrence.event.translation(rsvp.language).title
    if rsvp.status == RSVPStatus.waitlisted:
        subject = _l("You are on the waitlist: %(title)s", title=title)
    else:
        subject = _l("You are signed up: %(title)s", title=title)
    _mail(rsvp, kind="rsvp_confirmation", subject=subject, template="rsvps/confirmation",
          attach=True)  # fmt: skip


def send_promotion(rsvp: RSVP) -> None:
    title = rsvp.occurrence.event.translation(rsvp.language).title
    _mail(
        rsvp,
        kind="rsvp_promoted",
        subject=_l("A seat opened up for you: %(title)s", title=title),
        template="rsvps/promoted",
        attach=True,
    )


def close_waitlists(now: datetime | None = None) -> int:
    """RSVPs closed (closing time reached, or the event started): whoever still waits will not
    get a seat; cancel their place on the list and tell them. Safe to run again."""
    now = now or utcnow()
    closed_events = sa.select(Event.id).where(
        sa.or_(Event.rsvp_closes_at <= now, Event.status == EventStatus.cancelled)
    )
    waiting = db.session.scalars(
        sa.select(RSVP)
        .join(RSVP.occurrence)
        .where(
            RSVP.status == RSVPStatus.waitlisted,
            sa.or_(
                Occurrence.start_at <= now,
                Occurrence.event_id.in_(closed_events),
                Occurrence.is_cancelled.is_(True),
            ),
        )
    ).all()
    for rsvp in waiting:
        rsvp.status = RSVPStatus.cancelled
        rsvp.cancelled_at = now
        schedule_for_rsvp(rsvp, now)
        if (
            rsvp.occurrence.event.status != EventStatus.cancelled
            and not rsvp.occurrence.is_cancelled
        ):
            title = rsvp.occurrence.event.translation(rsvp.language).title
            _mail(rsvp, kind="waitlist_closed",
                  subject=_l("No seat opened up: %(title)s", title=title),
                  template="rsvps/waitlist_closed")  # fmt: skip
    db.session.flush()
    return len(waiting)


# Retention and audit -----------------------------------------------------------------------


def purge_expired(now: datetime | None = None) -> int:
    """Erase attendees' personal data N days (setting purge_after_days) after the occurrence
    ends; counts stay for reports. Safe to run twice."""
    from coalition.delegations.models import Delegation

    now = now or utcnow()
    cutoff = now - timedelta(days=int(get_setting("purge_after_days")))
    ended = sa.select(Occurrence.id).where(Occurrence.end_at < cutoff)
    rsvps = db.session.execute(
        sa.update(RSVP)
        .where(RSVP.occurrence_id.in_(ended), RSVP.erased_at.is_(None))
        .values(
            name=None,
            email=None,
            phone=None,
            note=None,
            user_id=None,
            manage_secret="erased",
            erased_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        sa.update(Delegation)
        .where(Delegation.occurrence_id.in_(ended), Delegation.erased_at.is_(None))
        .values(lead_name=None, lead_email=None, lead_phone=None, lead_user_id=None, erased_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return rsvps


def record_access(user: User | None, org_id: int, action: str, *, occurrence_id=None,
                  delegation_id=None, detail: str | None = None) -> None:  # fmt: skip
    db.session.add(
        AuditEntry(
            user_id=user.id if user is not None else None,
            org_id=org_id,
            occurrence_id=occurrence_id,
            delegation_id=delegation_id,
            action=action,
            detail=detail,
        )
    )
