"""RSVPs and the audit log of who looked at attendee data.

Personal data (name, email, phone, notes) lives only on `RSVP` rows and is erased (set to None,
`erased_at` stamped) after the occurrence, or when the person asks; counts survive for reports.
Email and phone are encrypted at rest and found by their keyed hashes (`coalition.crypto`).
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.crypto import EncryptedString, keep_hash
from coalition.db import UTCDateTime, enum_column, utcnow
from coalition.extensions import db

if TYPE_CHECKING:
    from coalition.auth.models import User
    from coalition.delegations.models import Delegation
    from coalition.events.models import Occurrence


class RSVPStatus(enum.StrEnum):
    #: Waiting for a host's approval (events in the `approved` place mode); takes no seat.
    pending = "pending"
    #: A host declined the request (the person was told).
    declined = "declined"
    confirmed = "confirmed"
    #: Past capacity, in arrival order; promoted automatically when seats free up.
    waitlisted = "waitlisted"
    cancelled = "cancelled"


def _secret() -> str:
    return secrets.token_urlsafe(24)


class RSVP(db.Model):
    __tablename__ = "rsvps"
    __table_args__ = (
        # The same person (email or phone) has one RSVP per occurrence; a second one updates it.
        sa.Index(
            "uq_rsvps_occurrence_email_hash",
            "occurrence_id",
            "email_hash",
            unique=True,
            sqlite_where=sa.text("email_hash IS NOT NULL"),
            postgresql_where=sa.text("email_hash IS NOT NULL"),
        ),
        sa.Index(
            "uq_rsvps_occurrence_phone_hash",
            "occurrence_id",
            "phone_hash",
            unique=True,
            sqlite_where=sa.text("phone_hash IS NOT NULL"),
            postgresql_where=sa.text("phone_hash IS NOT NULL"),
        ),
        sa.Index("ix_rsvps_occurrence_status", "occurrence_id", "status", "id"),
        sa.CheckConstraint("party_size >= 1", name="party_size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrences.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    delegation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegations.id", ondelete="SET NULL"), index=True
    )
    #: A first name or nickname is enough. None once erased.
    name: Mapped[str | None] = mapped_column(sa.String(80))
    #: Lower-cased, encrypted at rest. At least one of email and phone (until erased).
    email: Mapped[str | None] = mapped_column(EncryptedString)
    #: E.164, encrypted at rest.
    phone: Mapped[str | None] = mapped_column(EncryptedString)
    #: Keyed hashes of email and phone, set with them: lookups compare these.
    email_hash: Mapped[str | None] = mapped_column(sa.String(64))
    phone_hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: Language for confirmations and reminders (a content language code).
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: Seats taken: the person plus their guests.
    party_size: Mapped[int] = mapped_column(default=1)
    needs_interpretation: Mapped[bool] = mapped_column(default=False)
    needs_childcare: Mapped[bool] = mapped_column(default=False)
    needs_ride: Mapped[bool] = mapped_column(default=False)
    #: Needing a ride: the town to be picked up in (drivers see it with a first name only).
    #: None once erased.
    ride_from: Mapped[str | None] = mapped_column(sa.String(120))
    #: Accessibility or other needs, free text. None once erased.
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: The person agreed to reminder messages.
    consents_to_reminders: Mapped[bool] = mapped_column(default=True)
    #: A delegation member agreed that the lead sees their email and phone (else: name only).
    shares_contact_with_lead: Mapped[bool] = mapped_column(default=False)
    status: Mapped[RSVPStatus] = mapped_column(
        enum_column(RSVPStatus), default=RSVPStatus.confirmed
    )
    #: Secret part of the private manage link; replaced to revoke a link.
    manage_secret: Mapped[str] = mapped_column(sa.String(40), default=_secret)
    #: Arrival order on the waitlist (set when waitlisted; promotion goes by it).
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Came without an RSVP and was added at the door.
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    #: Personal data removed (by the person or by the retention purge).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    occurrence: Mapped[Occurrence] = relationship()
    user: Mapped[User | None] = relationship()
    delegation: Mapped[Delegation | None] = relationship(back_populates="members")

    def __repr__(self) -> str:
        return f"<RSVP {self.id} {self.status} x{self.party_size}>"

    @property
    def is_active(self) -> bool:
        return self.status in (RSVPStatus.confirmed, RSVPStatus.waitlisted, RSVPStatus.pending)


keep_hash(RSVP.email, "email_hash", "email")
keep_hash(RSVP.phone, "phone_hash", "phone")


class AuditEntry(db.Model):
    """Who looked at or exported attendee data, and when (read by org owners and admins)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The host organization whose attendee data was seen.
    org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    occurrence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("occurrences.id", ondelete="SET NULL")
    )
    delegation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegations.id", ondelete="SET NULL")
    )
    #: e.g. "view_attendees", "export_csv", "view_roster", "check_in", "message".
    action: Mapped[str] = mapped_column(sa.String(40))
    detail: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User | None] = relationship()
