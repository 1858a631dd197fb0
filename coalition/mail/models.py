"""The outbox."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coalition.crypto import EncryptedString
from coalition.db import UTCDateTime, enum_column, utcnow
from coalition.extensions import db


class EmailStatus(enum.StrEnum):
    queued = "queued"
    sent = "sent"
    #: Given up: refused permanently, or out of retries.
    failed = "failed"
    #: Never sent: the person erased their data before it went out.
    cancelled = "cancelled"


class OutgoingEmail(db.Model):
    """One rendered message to one recipient.

    Written in the same transaction as the change it reports, so a rolled-back request sends
    nothing; delivered by `coalition.mail.delivery` outside any web request.
    """

    __tablename__ = "outgoing_emails"
    __table_args__ = (sa.Index("ix_outgoing_emails_due", "status", "next_attempt_at"),)

    # Personal data (recipient, subject, bodies, headers, attachments) is erased with the RSVP or
    # delegation it is about, and from every message N days after it was sent
    # (`coalition.erasure`); what remains is the kind, the status and the times.

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the message is about, e.g. "password_reset" (for logs and the organizers' view).
    kind: Mapped[str] = mapped_column(sa.String(60))
    #: Often an attendee's address: encrypted at rest like their RSVP's (so are the subject,
    #: bodies and last error, which can name the person or repeat the address).
    recipient: Mapped[str] = mapped_column(EncryptedString)
    subject: Mapped[str] = mapped_column(EncryptedString)
    #: Bodies may carry names, contacts (a lead's roster) and private links: encrypted too.
    body_text: Mapped[str] = mapped_column(EncryptedString)
    body_html: Mapped[str | None] = mapped_column(EncryptedString)
    #: Extra headers, e.g. {"List-Unsubscribe": "<https://...>"}.
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: [{"filename", "content_type", "data"}] with data as text (e.g. an .ics file).
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[EmailStatus] = mapped_column(
        enum_column(EmailStatus), default=EmailStatus.queued
    )
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not to be tried before this time (backoff after a temporary failure).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(EncryptedString)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The RSVP the message is about (erased with it), if any.
    rsvp_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rsvps.id", ondelete="SET NULL"), index=True
    )
    #: The delegation the message is about (erased with it), if any.
    delegation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegations.id", ondelete="SET NULL"), index=True
    )
    #: Recipient and contents removed; only metadata is left.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
