"""RSVPs and the audit log of who looked at attendee data.

Personal data (name, email, phone, notes) lives only on `RSVP` rows and is erased (set to None,
`erased_at` stamped) after the occurrence, or when the person asks; counts survive for reports.
Email and phone are encrypted at rest and found by their keyed hashes (`coalition.crypto`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.db import NEXT_REVISION, UTCDateTime, enum_column, utcnow
from coalition.events.models import ended_before
from coalition.extensions import db
from coalition.people import ERASED, Contact, PersonalRecord, register, unique_contact

if TYPE_CHECKING:
    from coalition.auth.models import User
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


class RSVP(Contact, db.Model):
    """One person's (or party's) place at one date; their contact is `Contact`'s."""

    __tablename__ = "rsvps"
    __table_args__ = (
        # The same person (email or phone) has one RSVP per occurrence; a second one updates it.
        unique_contact("uq_rsvps_occurrence_email_hash", "occurrence_id", "email_hash"),
        unique_contact("uq_rsvps_occurrence_phone_hash", "occurrence_id", "phone_hash"),
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
    #: A delegation member agreed that the lead sees their email and phone (else: name only).
    shares_contact_with_lead: Mapped[bool] = mapped_column(default=False)
    #: The person asked that the dates of this series they come to be counted together
    #: (returning participation, `coalition.reports`); a signed-in member counts anyway.
    counts_attendance: Mapped[bool] = mapped_column(default=False)
    status: Mapped[RSVPStatus] = mapped_column(
        enum_column(RSVPStatus), default=RSVPStatus.confirmed
    )
    #: Arrival order on the waitlist (set when waitlisted; promotion goes by it).
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Came without an RSVP and was added at the door.
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Raised by every UPDATE of the row, the ORM's and bulk ones (erasure): with the number of
    #: rows and the highest id, the version of a list that shows them (`core/kept.py`), which
    #: a clock cannot give (two edits in one tick, two servers' clocks apart).
    revision: Mapped[int] = mapped_column(default=0, server_default="0", onupdate=NEXT_REVISION)

    occurrence: Mapped[Occurrence] = relationship()
    user: Mapped[User | None] = relationship()
    #: The delegation it travels with (`coalition.delegations`, a layer above: named, not
    #: imported).
    delegation = relationship("Delegation", back_populates="members")

    def __repr__(self) -> str:
        return f"<RSVP {self.id} {self.status} x{self.party_size}>"

    @property
    def is_active(self) -> bool:
        return self.status in (RSVPStatus.confirmed, RSVPStatus.waitlisted, RSVPStatus.pending)


#: Erased on request (`coalition.rsvps.operations.erase`) and after the date's retention; the
#: messages about the person (`OutgoingEmail.rsvp_id`) with it. After the date's retention the
#: row is deleted as well (`drop_expired`; `coalition.reports` froze the date's counts first),
#: with what hangs on it (session sign-ups, series parts, a training invitation, a ride).
register(
    PersonalRecord(
        RSVP,
        blank=dict.fromkeys((*Contact.PERSONAL, "note", "ride_from", "user_id")),
        secrets={"manage_secret": ERASED},
        expired=lambda cutoff, _now: RSVP.occurrence_id.in_(ended_before(cutoff)),
        hashed=Contact.HASHED,
        # Past retention the row goes too (the date's counts are frozen by then).
        drop_expired=True,
    )
)


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
