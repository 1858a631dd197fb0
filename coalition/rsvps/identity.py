"""Who an RSVP belongs to: possession, not knowledge.

Knowing someone's email address or phone number proves nothing. Holding the private link that
was sent to a contact, or being signed in to the account that made an RSVP, does. So:

- a submission never opens, reveals or changes an RSVP that already exists for the same contact;
  it changes nothing and sends the contact's owner one "you are already signed up" message with
  their own link (at most one an hour, so the form cannot be used to flood someone);
- the answer to a submission is the same whether or not the contact was known: what the person
  typed, and where the private link was sent (masked);
- signed-in people manage their own RSVPs (made while signed in) directly;
- a contact is only accepted on a channel that can reach the person (email always, a phone only
  when text messages are configured).

Every decision of that kind is made in this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from coalition.crypto import email_hash, phone_hash
from coalition.db import utcnow
from coalition.extensions import db

#: Masking is the same for every record holding a contact (`coalition.people`).
from coalition.people import masked_destination as masked_destination
from coalition.rsvps.models import RSVP

#: How often one RSVP's owner may be told "you are already signed up".
ALREADY_NOTICE_INTERVAL = timedelta(hours=1)


def sms_available() -> bool:
    """Can we send text messages? (A phone is only worth collecting when we can.)"""
    return (current_app.config.get("SMS_BACKEND") or "none") != "none"


def tidy_contact(data) -> None:
    """Trim the name, email (lower-cased) and phone a person typed; empty ones become None, and
    so does the phone where we cannot text it (not worth keeping)."""
    data.name = (data.name or "").strip()
    data.email = (data.email or "").strip().lower() or None
    data.phone = (data.phone or "").strip() or None
    if not sms_available():
        data.phone = None


def reachable(rsvp: RSVP) -> bool:
    """Can any message reach this person? (Never say "reminders are on" when none can.)"""
    return bool(rsvp.email) or (bool(rsvp.phone) and sms_available())


def contact_clauses(email: str | None, phone: str | None) -> list:
    """SQL conditions matching an RSVP by any of the given contacts (contacts are encrypted at
    rest: they are found by their keyed hashes, `coalition.crypto`)."""
    clauses = []
    if email:
        clauses.append(RSVP.email_hash == email_hash(email))
    if phone:
        clauses.append(RSVP.phone_hash == phone_hash(phone))
    return clauses


def rsvp_with_contact(occurrence_id: int, email: str | None, phone: str | None) -> RSVP | None:
    """The RSVP for this date that already holds one of these contacts (it belongs to whoever
    holds the contact, not to whoever typed it)."""
    clauses = contact_clauses(email, phone)
    if not clauses:
        return None
    return db.session.scalars(
        sa.select(RSVP)
        .where(RSVP.occurrence_id == occurrence_id, RSVP.erased_at.is_(None), sa.or_(*clauses))
        .order_by(RSVP.id)
        .limit(1)
    ).first()


def own_rsvp(occurrence_id: int, user) -> RSVP | None:
    """The RSVP a signed-in person made for this date (their account proves who they are)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalars(
        sa.select(RSVP)
        .where(
            RSVP.occurrence_id == occurrence_id,
            RSVP.user_id == user.id,
            RSVP.erased_at.is_(None),
        )
        .order_by(RSVP.id)
        .limit(1)
    ).first()


def may_notify_again(rsvp: RSVP, kind: str) -> bool:
    """False when `kind` was already sent about this RSVP within the last hour."""
    from coalition.mail.models import OutgoingEmail

    recent = db.session.scalar(
        sa.select(OutgoingEmail.id)
        .where(
            OutgoingEmail.rsvp_id == rsvp.id,
            OutgoingEmail.kind == kind,
            OutgoingEmail.created_at > utcnow() - ALREADY_NOTICE_INTERVAL,
        )
        .limit(1)
    )
    return recent is None


@dataclass
class Receipt:
    """What the page (or API answer) after a submission may show: only what was typed."""

    name: str
    party_size: int
    sent_to: str
    language: str
    needs_interpretation: bool = False
    needs_childcare: bool = False
    needs_ride: bool = False
    #: What a new RSVP of this party gets on this date now ("confirmed", "waitlisted",
    #: "pending"): from the date's state, never from whether the contact was known.
    expected: str = "confirmed"
    #: The sessions chosen, as (title, waits) from their state before the RSVP.
    sessions: list = field(default_factory=list)

    @property
    def by_text(self) -> bool:
        """The link went by text message (the person gave no email)."""
        return "@" not in self.sent_to
