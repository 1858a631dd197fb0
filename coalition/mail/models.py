"""The outbox: one table for both channels (email and text messages)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from coalition.crypto import EncryptedBytes, EncryptedString
from coalition.db import UTCDateTime, enum_column, utcnow
from coalition.extensions import db
from coalition.people import PersonalRecord, register


class Channel(enum.StrEnum):
    email = "email"
    sms = "sms"


class EmailStatus(enum.StrEnum):
    queued = "queued"
    sent = "sent"
    #: Given up: refused permanently, out of retries, or twice without an answer.
    failed = "failed"
    #: Never sent: the person erased their data before it went out.
    cancelled = "cancelled"
    #: Not sent because it could no longer arrive in time (its event had started).
    dropped = "dropped"
    #: Not sent: the number asked for no more texts (STOP) or is known to be invalid.
    suppressed = "suppressed"


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@coalition>"


#: Messages that go ahead of everything else on their channel: rapid-response alerts and the
#: updates to the people on their way (`coalition/rapid/`).
URGENT_KINDS = frozenset({"rapid_alert", "rapid_update"})


def _priority(context) -> int:
    return 0 if context.get_current_parameters().get("kind") in URGENT_KINDS else 1


class OutgoingEmail(db.Model):
    """One rendered message to one recipient, by email or by text (`channel`).

    Written in the same transaction as the change it reports, so a rolled-back request sends
    nothing; delivered by `coalition.mail.delivery` outside any web request.
    """

    __tablename__ = "outgoing_emails"
    __table_args__ = (
        sa.Index(
            "ix_outgoing_emails_due", "channel", "status", "priority", "next_attempt_at", "id"
        ),
    )

    # Personal data (recipient, subject, bodies, headers, attachments) is erased with the RSVP or
    # delegation it is about, and from every message N days after it was sent
    # (`coalition.erasure`); what remains is the kind, the status and the times.

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(
        enum_column(Channel), default=Channel.email, server_default="email"
    )
    #: What the message is about, e.g. "password_reset" (for logs and the organizers' view).
    kind: Mapped[str] = mapped_column(sa.String(60))
    #: An email address, or an E.164 phone number for a text. Often an attendee's contact:
    #: encrypted at rest like their RSVP's (so are the subject, bodies and last error, which
    #: can name the person or repeat the address).
    recipient: Mapped[str] = mapped_column(EncryptedString)
    #: Empty for texts.
    subject: Mapped[str] = mapped_column(EncryptedString)
    #: Bodies may carry names, contacts (a lead's roster) and private links: encrypted too.
    body_text: Mapped[str] = mapped_column(EncryptedString)
    body_html: Mapped[str | None] = mapped_column(EncryptedString)
    #: Extra headers, e.g. {"List-Unsubscribe": "<https://...>"}.
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: [{"filename", "content_type", "data"}] with data as text (e.g. an .ics file).
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Email: the whole message as it goes on the wire (MIME: text, HTML, attachments, headers),
    #: rendered once when queued (`coalition.mail.transports.render_mime`), encrypted like the
    #: bodies; the worker only adds X-Coalition-Id. None for texts and for rows queued before
    #: it existed (built when sent). Deferred: only the worker reads it.
    mime: Mapped[bytes | None] = deferred(mapped_column(EncryptedBytes))
    #: The same Message-ID on every try, so a receiver (and our tests) can spot a copy.
    message_id: Mapped[str] = mapped_column(sa.String(100), default=new_message_id)
    status: Mapped[EmailStatus] = mapped_column(
        enum_column(EmailStatus), default=EmailStatus.queued
    )
    #: Tries that failed because of this message (an outage of the channel does not count).
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not to be tried before this time (backoff after a temporary failure, quiet hours, cap).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: 0 for urgent messages (`URGENT_KINDS`), claimed before any other due one; else 1.
    priority: Mapped[int] = mapped_column(sa.SmallInteger, default=_priority, server_default="1")
    #: Claimed by a delivering worker until then (another worker leaves it alone meanwhile).
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: PostgreSQL: the claiming worker, by the backend pid of the connection on which it holds
    #: an advisory lock while it delivers (`coalition.mail.delivery`). The server releases the
    #: lock when that worker dies, and its rows are taken back at once, not at `leased_until`.
    leased_by: Mapped[int | None] = mapped_column()
    #: Not to be sent at or after this time (a reminder: when its event starts).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Texts only: IANA zone whose quiet hours (21:00-08:00) the text waits out.
    quiet_hours_zone: Mapped[str | None] = mapped_column(sa.String(64))
    #: Texts: a request to the provider was started then (written, and committed, before the
    #: request goes; cleared by its answer). Set on a queued row, the last try ended without an
    #: answer (the worker was killed, or the provider did not answer): before sending again the
    #: worker asks the provider whether it accepted the text, so each text is requested once.
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A try timed out after the message was handed over: it may have arrived. Retried once.
    is_uncertain: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The organization the message is sent for (costs per organization); None for the site.
    org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    #: Texts: message segments billed by the provider.
    segments: Mapped[int | None] = mapped_column()
    #: Texts: the provider's id for the message (Twilio's SID), for delivery callbacks.
    provider_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    #: Texts: the last delivery state the provider reported ("delivered", "undelivered", ...).
    delivery_status: Mapped[str | None] = mapped_column(sa.String(20))
    #: Texts: the carrier's error code for an undelivered message.
    delivery_error: Mapped[str | None] = mapped_column(sa.String(20))
    last_error: Mapped[str | None] = mapped_column(EncryptedString)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: The RSVP the message is about (erased with it), if any.
    rsvp_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rsvps.id", ondelete="SET NULL"), index=True
    )
    #: The delegation the message is about (erased with it), if any.
    delegation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegations.id", ondelete="SET NULL"), index=True
    )
    #: The helper (`coalition.volunteers`) the message is about (erased with them), if any.
    helper_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("volunteer_helpers.id", ondelete="SET NULL"), index=True
    )
    #: Recipient and contents removed; only metadata is left.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


#: A message repeats the contact of whom it is about: erased with that RSVP, helper or delegation
#: (a queued one is not sent), and its contents N days after it was sent or given up, whatever
#: it was about (`coalition.erasure`).
register(
    PersonalRecord(
        OutgoingEmail,
        blank={
            "recipient": "",
            "subject": "",
            "body_text": "",
            "body_html": None,
            "mime": None,
            "headers": {},
            "attachments": [],
            "last_error": None,
        },
        first=(OutgoingEmail.status == EmailStatus.queued, {"status": EmailStatus.cancelled}),
        copies_of={
            "rsvp_id": "rsvps",
            "helper_id": "volunteer_helpers",
            "delegation_id": "delegations",
        },
        expired=lambda cutoff, _now: sa.and_(
            OutgoingEmail.status != EmailStatus.queued,
            sa.func.coalesce(OutgoingEmail.sent_at, OutgoingEmail.created_at) < cutoff,
        ),
    )
)

#: The outbox row, whichever the channel.
OutgoingMessage = OutgoingEmail


class ChannelState(db.Model):
    """Whether a channel (the SMTP relay, the SMS provider) is paused by an outage.

    An outage pauses the channel as a whole, with its own backoff and probes, instead of every
    queued message backing off on its own; the queue resumes as soon as a probe succeeds.
    """

    __tablename__ = "outbox_channels"

    channel: Mapped[Channel] = mapped_column(enum_column(Channel), primary_key=True)
    #: Failed connections (or probes) in a row; 0 when the channel works.
    failures: Mapped[int] = mapped_column(default=0)
    #: No delivery or probe before this time.
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the current outage began.
    down_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: When the admins were told that the channel refuses us (credentials, account, sender):
    #: once per refusal, cleared when a message goes through again.
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Day (in the coalition's zone, ISO) on which admins were told the daily SMS cap was hit.
    cap_notified_on: Mapped[str | None] = mapped_column(sa.String(10))


def channel_state(channel: Channel) -> ChannelState:
    """The channel's row, made on first use."""
    state = db.session.get(ChannelState, channel)
    if state is None:
        state = ChannelState(channel=channel, failures=0)
        db.session.add(state)
        try:
            db.session.flush()
        except sa.exc.IntegrityError:  # another worker made it first
            db.session.rollback()
            state = db.session.get(ChannelState, channel)
    return state
