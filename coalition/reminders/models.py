"""Reminders are data: one row per (person, occurrence, offset), with its due time."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.db import UTCDateTime, enum_column, owned_by, unique_where_set, utcnow
from coalition.extensions import db

if TYPE_CHECKING:
    from coalition.delegations.models import Delegation
    from coalition.events.models import Occurrence
    from coalition.mail.models import OutgoingEmail
    from coalition.rsvps.models import RSVP
    from coalition.volunteers.models import Helper


class ReminderKind(enum.StrEnum):
    #: To a confirmed attendee, at the event's offsets.
    attendee = "attendee"
    #: To a delegation's lead: headcount, members and how to reach them.
    lead_roster = "lead_roster"
    #: To a helper (`coalition.volunteers`), at the event's offsets before their shift.
    helper = "helper"


class ReminderStatus(enum.StrEnum):
    pending = "pending"
    #: Turned into an outgoing email (delivery is the outbox's job).
    queued = "queued"
    cancelled = "cancelled"
    #: Fell due while nobody could send it and was no longer useful.
    skipped = "skipped"


class Reminder(db.Model):
    __tablename__ = "reminders"
    __table_args__ = (
        # Once per (person, occurrence, reminder): the unique delivery record. Partial indexes,
        # since NULLs never collide in a plain unique constraint.
        unique_where_set("uq_reminders_rsvp_offset", "rsvp_id", "offset_minutes"),
        unique_where_set("uq_reminders_delegation_offset", "delegation_id", "offset_minutes"),
        unique_where_set("uq_reminders_helper_offset", "helper_id", "offset_minutes"),
        sa.Index("ix_reminders_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind))
    occurrence_id: Mapped[int] = owned_by("occurrences.id")
    rsvp_id: Mapped[int | None] = owned_by("rsvps.id")
    delegation_id: Mapped[int | None] = owned_by("delegations.id")
    helper_id: Mapped[int | None] = owned_by("volunteer_helpers.id")
    #: Minutes before the occurrence starts (a helper's: before their shift starts).
    offset_minutes: Mapped[int] = mapped_column()
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ReminderStatus] = mapped_column(
        enum_column(ReminderStatus), default=ReminderStatus.pending
    )
    #: The outgoing email it became.
    email_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outgoing_emails.id", ondelete="SET NULL")
    )
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    occurrence: Mapped[Occurrence] = relationship()
    rsvp: Mapped[RSVP | None] = relationship()
    delegation: Mapped[Delegation | None] = relationship()
    helper: Mapped[Helper | None] = relationship()
    email: Mapped[OutgoingEmail | None] = relationship()
