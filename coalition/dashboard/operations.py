"""Counts in SQL, walk-ins, check-in, messages to attendees."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from coalition.crypto import phone_hash
from coalition.db import utcnow
from coalition.delegations.models import Delegation
from coalition.events.models import Occurrence
from coalition.extensions import db
from coalition.languages import message_locale
from coalition.mail.operations import queue_email
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.rsvps.operations import manage_url
from coalition.sms.numbers import can_text
from coalition.sms.operations import queue_sms
from coalition.validators import normalize_phone


@dataclass
class Counts:
    by_status: dict = field(default_factory=dict)
    headcount: int = 0
    by_language: dict = field(default_factory=dict)
    needs: dict = field(default_factory=dict)
    by_delegation: list = field(default_factory=list)
    by_town: list = field(default_factory=list)
    checked_in: int = 0
    #: Leads of approved delegations: each holds a seat without an RSVP of their own.
    leads: int = 0


def counts(occurrence: Occurrence) -> Counts:
    """Everything the organizers count, in a handful of GROUP BY queries."""
    result = Counts()
    base = sa.select(RSVP).where(RSVP.occurrence_id == occurrence.id).subquery()
    confirmed = RSVP.status == RSVPStatus.confirmed
    for status, number, people in db.session.execute(
        sa.select(RSVP.status, sa.func.count(), sa.func.sum(RSVP.party_size))
        .where(RSVP.occurrence_id == occurrence.id)
        .group_by(RSVP.status)
    ):
        result.by_status[status.value] = {"rsvps": number, "people": int(people or 0)}
    result.headcount = result.by_status.get("confirmed", {}).get("people", 0)
    result.by_language = dict(
        db.session.execute(
            sa.select(RSVP.language, sa.func.sum(RSVP.party_size))
            .where(RSVP.occurrence_id == occurrence.id, confirmed)
            .group_by(RSVP.language)
        ).all()
    )
    needs = db.session.execute(
        sa.select(
            sa.func.sum(sa.case((base.c.needs_interpretation, 1), else_=0)),
            sa.func.sum(sa.case((base.c.needs_childcare, 1), else_=0)),
            sa.func.sum(sa.case((base.c.needs_ride, 1), else_=0)),
            sa.func.sum(sa.case((base.c.checked_in_at.is_not(None), base.c.party_size), else_=0)),
        ).where(base.c.status == RSVPStatus.confirmed.value)
    ).one()
    result.needs = {"interpretation": int(needs[0] or 0), "childcare": int(needs[1] or 0),
                    "ride": int(needs[2] or 0)}  # fmt: skip
    result.checked_in = int(needs[3] or 0)
    rows = db.session.execute(
        sa.select(
            Delegation.name,
            Delegation.town,
            Delegation.expected_headcount,
            sa.func.coalesce(sa.func.sum(RSVP.party_size), 0),
            Delegation.is_approved,
        )
        .outerjoin(RSVP, sa.and_(RSVP.delegation_id == Delegation.id, confirmed))
        .where(Delegation.occurrence_id == occurrence.id)
        .group_by(Delegation.id)
        .order_by(Delegation.town, Delegation.name)
    ).all()
    result.leads = sum(1 for r in rows if r.is_approved)
    result.by_delegation = [
        {"name": r[0], "town": r[1], "expected": r[2], "confirmed": int(r[3])} for r in rows
    ]
    members = (
        sa.select(RSVP.delegation_id, RSVP.party_size)
        .where(RSVP.occurrence_id == occurrence.id, confirmed)
        .subquery()
    )
    result.by_town = [
        (town, int(people))
        for town, people in db.session.execute(
            sa.select(Delegation.town, sa.func.coalesce(sa.func.sum(members.c.party_size), 0))
            .outerjoin(members, members.c.delegation_id == Delegation.id)
            .where(Delegation.occurrence_id == occurrence.id)
            .group_by(Delegation.town)
            .order_by(Delegation.town)
        )
    ]
    return result


def attendees(occurrence: Occurrence, *, query: str = "") -> list[RSVP]:
    statement = (
        sa.select(RSVP)
        .where(RSVP.occurrence_id == occurrence.id, RSVP.erased_at.is_(None))
        .options(sa.orm.selectinload(RSVP.delegation))
        .order_by(RSVP.status, sa.func.lower(RSVP.name))
    )
    if query:
        statement = statement.where(sa.func.lower(RSVP.name).contains(query.lower()))
    return list(db.session.scalars(statement))


def failed_deliveries(occurrence: Occurrence) -> list[tuple[str, str, str | None]]:
    """Messages about this date that could not be delivered: (kind, recipient, error)."""
    from coalition.mail.models import EmailStatus, OutgoingEmail
    from coalition.reminders.models import Reminder

    rows = db.session.execute(
        sa.select(OutgoingEmail.kind, OutgoingEmail.recipient, OutgoingEmail.last_error)
        .join(Reminder, Reminder.email_id == OutgoingEmail.id)
        .where(Reminder.occurrence_id == occurrence.id, OutgoingEmail.status == EmailStatus.failed)
        .order_by(OutgoingEmail.id)
    ).all()
    return [tuple(row) for row in rows]


def toggle_check_in(rsvp: RSVP) -> None:
    rsvp.checked_in_at = None if rsvp.checked_in_at else utcnow()


def add_walk_in(occurrence: Occurrence, *, name: str, phone: str | None, party_size: int) -> RSVP:
    """Someone at the door: confirmed past capacity (they are here) and checked in.

    A phone that already has an RSVP for this date is that person: their RSVP is confirmed and
    checked in rather than duplicated.
    """
    now = utcnow()
    phone = normalize_phone(phone) if phone else None
    rsvp = None
    if phone:
        rsvp = db.session.scalar(
            sa.select(RSVP).where(
                RSVP.occurrence_id == occurrence.id, RSVP.phone_hash == phone_hash(phone)
            )
        )
    if rsvp is None:
        rsvp = RSVP(occurrence=occurrence, phone=phone, is_walk_in=True,
                    consents_to_reminders=False)  # fmt: skip
        db.session.add(rsvp)
    rsvp.name = name.strip()[:80]
    rsvp.party_size = max(1, min(party_size, 50))
    if rsvp.status != RSVPStatus.confirmed:
        rsvp.status = RSVPStatus.confirmed
        rsvp.confirmed_at = now
        rsvp.waitlisted_at = rsvp.cancelled_at = None
    rsvp.checked_in_at = now
    db.session.flush()
    return rsvp


def _audience_statement(occurrence: Occurrence, audience: str, delegation_id: int | None):
    statement = sa.select(RSVP).where(RSVP.occurrence_id == occurrence.id, RSVP.erased_at.is_(None))
    if audience == "confirmed":
        statement = statement.where(RSVP.status == RSVPStatus.confirmed)
    elif audience == "waitlisted":
        statement = statement.where(RSVP.status == RSVPStatus.waitlisted)
    else:
        statement = statement.where(RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted]))
    if delegation_id:
        statement = statement.where(RSVP.delegation_id == delegation_id)
    return statement


def _channel(rsvp: RSVP) -> str:
    """How a message reaches this person: "email", "sms", or "none" (no way at all)."""
    if rsvp.email:
        return "email"
    if rsvp.phone and can_text(rsvp.phone):
        return "sms"
    return "none"


def reach(occurrence: Occurrence, audience: str = "all", delegation_id: int | None = None):
    """How many of the audience a message reaches by email, by text, and how many not at all."""
    counts = {"email": 0, "sms": 0, "none": 0}
    for rsvp in db.session.scalars(_audience_statement(occurrence, audience, delegation_id)):
        counts[_channel(rsvp)] += 1
    return counts


def message_attendees(occurrence: Occurrence, *, audience: str, subjects: dict[str, str],
                      bodies: dict[str, str], delegation_id: int | None = None) -> int:  # fmt: skip
    """Queue a message to each recipient, in their RSVP language when the organizer wrote it:
    by email, or by text to people who gave only a phone (cut to three segments)."""
    statement = _audience_statement(occurrence, audience, delegation_id)
    # Whoever has no version in their language gets the primary one, else English, else any.
    fallback = next(
        code for code in (occurrence.event.primary_language, "en", *subjects) if code in subjects
    )
    sent = 0
    for rsvp in db.session.scalars(statement):
        language = rsvp.language if rsvp.language in subjects else fallback
        channel = _channel(rsvp)
        if channel == "email":
            queue_email(
                about_rsvp=rsvp,
                to=rsvp.email, kind="organizer_message", subject=subjects[language],
                template="dashboard/message",
                locale=message_locale(language),
                body=bodies[language], rsvp=rsvp, event=occurrence.event,
                manage_url=manage_url(rsvp),
            )  # fmt: skip
        elif channel == "sms":
            queue_sms(
                to=rsvp.phone, kind="organizer_message", template="dashboard/message",
                locale=message_locale(language), org_id=occurrence.event.host_org_id,
                about_rsvp=rsvp, subject=subjects[language], body=bodies[language],
            )  # fmt: skip
        else:
            continue
        sent += 1
    return sent
