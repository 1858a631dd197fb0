"""Responders, dispatchers, alerts and answers. Nothing here is ever public."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.crypto import EncryptedString
from coalition.db import UTCDateTime, utcnow
from coalition.extensions import db
from coalition.people import Contact, PersonalRecord, register

#: What a responder can do (codes; labels in `rapid/labels.py`).
ROLES = ("responder", "legal_observer", "interpreter", "driver", "court", "hotline")
#: What an alert is about.
KINDS = ("raid", "arrest", "checkpoint", "court", "other")


class AnswerState(enum.StrEnum):
    #: Sent the alert; no answer yet.
    alerted = "alerted"
    going = "going"
    cant = "cant"
    arrived = "arrived"
    left = "left"


class CoalitionDispatcher(db.Model):
    """A dispatcher for every member organization, named by a coalition admin."""

    __tablename__ = "rapid_coalition_dispatchers"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])


class Responder(db.Model):
    """A trained person on an organization's roster (seen only by its dispatchers)."""

    __tablename__ = "rapid_responders"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(EncryptedString)
    email: Mapped[str | None] = mapped_column(EncryptedString)
    #: Keyed hash of the normalized email (`coalition.crypto`), for lookups.
    email_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedString)
    phone_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    use_sms: Mapped[bool] = mapped_column(default=True)
    use_email: Mapped[bool] = mapped_column(default=True)
    #: The interface language their messages are written in.
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: Towns they can reach quickly, lower-cased and trimmed, the nearest first.
    towns: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Languages they speak (codes of `coalition.languages.CONTENT_LANGUAGES`).
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Codes of `ROLES`.
    roles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Which training, and when it was completed.
    training: Mapped[str] = mapped_column(sa.String(160), default="")
    trained_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    #: The calendar date of that training, when they joined from its invitation (check-in).
    training_occurrence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("occurrences.id", ondelete="SET NULL")
    )
    #: Available at any hour; otherwise only in `weekly_hours`.
    is_always: Mapped[bool] = mapped_column(default=True)
    #: [[weekday 0=Monday, "HH:MM", "HH:MM"], ...] in `zone` (an end before the start runs past
    #: midnight).
    weekly_hours: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: IANA zone of `weekly_hours`.
    zone: Mapped[str] = mapped_column(sa.String(64))
    #: Paused by the responder: gets no alert until resumed.
    is_paused: Mapped[bool] = mapped_column(default=False)
    #: The secret of their private page (pause, change, leave).
    manage_secret: Mapped[str] = mapped_column(sa.String(64))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


#: Erased by leaving the roster (`operations.leave` deletes the row and erases the messages).
register(PersonalRecord(Responder, stamp=None, hashed=Contact.HASHED))


class TrainingInvitation(db.Model):
    """A checked-in attendee of a training date invited to its host's roster: one per RSVP, so
    sending again invites nobody twice. No personal data of its own (the RSVP holds it, and the
    messages are tied to the RSVP: erased with it)."""

    __tablename__ = "rapid_training_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    rsvp_id: Mapped[int] = mapped_column(sa.ForeignKey("rsvps.id", ondelete="CASCADE"), unique=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrences.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the person joined with it (the link then works no more).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rsvp = relationship("RSVP")
    occurrence = relationship("Occurrence")


class Alert(db.Model):
    """A call for responders now; its text and place are erased some days after closing."""

    __tablename__ = "rapid_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: A code of `KINDS`.
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: The town as typed; responders are matched on its lower-cased form.
    town: Mapped[str] = mapped_column(EncryptedString)
    #: The exact place: only in the alert's own pages and messages.
    place: Mapped[str] = mapped_column(EncryptedString)
    note: Mapped[str | None] = mapped_column(EncryptedString)
    happens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    zone: Mapped[str] = mapped_column(sa.String(64))
    needed: Mapped[int] = mapped_column(default=1)
    #: Codes of `ROLES` wanted ([]: anyone).
    roles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Language the responders must speak ("" for any).
    language: Mapped[str] = mapped_column(sa.String(8), default="")
    is_drill: Mapped[bool] = mapped_column(default=False)
    #: Responders per ring (None: everyone at once) and minutes between rings.
    ring_size: Mapped[int | None] = mapped_column()
    ring_minutes: Mapped[int | None] = mapped_column()
    #: When the worker looks at the answers and rings more people (None: no more rings).
    next_ring_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    rings: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[str | None] = mapped_column(EncryptedString)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", order_by="Answer.id"
    )
    updates: Mapped[list[AlertUpdate]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", order_by="AlertUpdate.id"
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


#: Text and place are erased by `operations.purge_alerts` (counts stay in `AlertSummary`).
register(PersonalRecord(Alert, stamp=None))


class Answer(db.Model):
    """One responder's copy of an alert: their private link and what they said."""

    __tablename__ = "rapid_answers"
    __table_args__ = (sa.UniqueConstraint("alert_id", "responder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rapid_alerts.id", ondelete="CASCADE"), index=True
    )
    #: None once the responder left the roster (the answer still counts).
    responder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rapid_responders.id", ondelete="SET NULL"), index=True
    )
    #: The phone's keyed hash when alerted: a reply text finds its answer by it.
    phone_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    ring: Mapped[int] = mapped_column(default=1)
    secret: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(10), default=AnswerState.alerted.value)
    #: Minutes away, as the responder said with "On my way".
    eta_minutes: Mapped[int | None] = mapped_column()
    alerted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    going_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    alert: Mapped[Alert] = relationship(back_populates="answers")
    responder: Mapped[Responder | None] = relationship()

    @property
    def went(self) -> bool:
        return self.going_at is not None or self.arrived_at is not None


class AlertUpdate(db.Model):
    """A message from the dispatcher to everyone going or everyone alerted."""

    __tablename__ = "rapid_alert_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rapid_alerts.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(EncryptedString)
    #: "going" or "all".
    audience: Mapped[str] = mapped_column(sa.String(10))
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="updates")


register(PersonalRecord(AlertUpdate, stamp=None))


class AlertMessage(db.Model):
    """Ties an outbox message to the answer it was sent for (erased with the alert)."""

    __tablename__ = "rapid_alert_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rapid_answers.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outgoing_emails.id", ondelete="CASCADE"), index=True
    )

    answer = relationship("Answer")
    message = relationship("OutgoingEmail")


class AlertSummary(db.Model):
    """The counts an alert leaves for the coalition's reports once it is erased (no text, no
    place, no person)."""

    __tablename__ = "rapid_alert_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    #: The alert's id while it exists (no foreign key: the alert goes, the summary stays).
    alert_id: Mapped[int] = mapped_column(unique=True)
    #: "YYYY-MM" of its opening, in the coalition's zone.
    month: Mapped[str] = mapped_column(sa.String(7), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    is_drill: Mapped[bool] = mapped_column(default=False)
    alerted: Mapped[int] = mapped_column(default=0)
    went: Mapped[int] = mapped_column(default=0)
    arrived: Mapped[int] = mapped_column(default=0)
    #: Seconds from sending to the first responder on site (None: nobody arrived).
    first_arrival_seconds: Mapped[int | None] = mapped_column()
    #: Seconds from sending to each "On my way", in order (the 1st, 2nd, ... responder going):
    #: times only, nobody's. None for summaries written before it was kept.
    going_seconds: Mapped[list[int] | None] = mapped_column(sa.JSON)
    #: The alert's town when it is one the calendar shows publicly or `REPORT_TOWNS` names
    #: (as shown there), else "other": never the town as typed. None before it was kept.
    town: Mapped[str | None] = mapped_column(sa.String(120))
