"""Sessions of one date, people's session sign-ups, and series registrations.

An `EventSession` is a part of an occurrence (a workshop, a breakout, a track) with its own time
inside the date (UTC; entered in the event's zone), room, languages and capacity. A `SessionSignup`
ties an RSVP of that date to a session: it holds no personal data of its own (the RSVP does), so it
follows the RSVP's erasure. A `SeriesRegistration` groups the RSVPs one registration made for every
date of a recurring event (`SeriesPart` rows); `SeriesSettings` says whether an event is a series
(one registration for every part, capacity per series) or an open meeting whose people may RSVP
once for all dates.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.db import UTCDateTime, enum_column, utcnow
from coalition.events.models import ended_before
from coalition.extensions import db
from coalition.people import ERASED, PersonalRecord, new_secret, register
from coalition.rsvps.models import RSVP

if TYPE_CHECKING:
    from coalition.events.models import Event, Occurrence


class SignupStatus(enum.StrEnum):
    confirmed = "confirmed"
    #: Past the session's capacity, in arrival order; promoted when seats free up.
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class EventSession(db.Model):
    __tablename__ = "event_sessions"
    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="session_end_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="session_capacity_positive"),
        sa.Index("ix_event_sessions_occurrence_start", "occurrence_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(sa.ForeignKey("occurrences.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    room: Mapped[str | None] = mapped_column(sa.String(120))
    #: Language codes spoken in the session.
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Simultaneous interpretation is offered.
    has_interpretation: Mapped[bool] = mapped_column(default=False)
    #: Seats; None: no limit.
    capacity: Mapped[int | None] = mapped_column()
    #: iCalendar SEQUENCE of the session's own part in its people's calendars (their private
    #: feed, the emailed .ics): raised when its time, room or title changes.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The last change of any of its columns (DTSTAMP and LAST-MODIFIED of its VEVENT).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    occurrence: Mapped[Occurrence] = relationship()

    @property
    def event(self) -> Event:
        """The event whose revision (feeds) rises when a session changes."""
        return self.occurrence.event

    def overlaps(self, other: EventSession) -> bool:
        return self.start_at < other.end_at and other.start_at < self.end_at

    def __repr__(self) -> str:
        return f"<EventSession {self.id} {self.title!r}>"


class SessionSignup(db.Model):
    __tablename__ = "session_signups"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "rsvp_id", name="uq_session_signups_session_rsvp"),
        sa.Index("ix_session_signups_session_status", "session_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("event_sessions.id", ondelete="CASCADE"))
    rsvp_id: Mapped[int] = mapped_column(sa.ForeignKey("rsvps.id", ondelete="CASCADE"), index=True)
    status: Mapped[SignupStatus] = mapped_column(
        enum_column(SignupStatus), default=SignupStatus.confirmed
    )
    #: Arrival order on the session's waitlist.
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[EventSession] = relationship()
    rsvp: Mapped[RSVP] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status != SignupStatus.cancelled


class SeriesMode(enum.StrEnum):
    #: One registration covers every date; capacity is per series.
    series = "series"
    #: Each date stands alone, and a person may RSVP once for every date.
    open = "open"


class SeriesSettings(db.Model):
    """How a recurring event takes registrations (no row: date by date, as any event)."""

    __tablename__ = "event_series_settings"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[SeriesMode] = mapped_column(enum_column(SeriesMode))
    #: Seats of the whole series (mode `series`); None: no limit.
    capacity: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()


class SeriesRegistration(db.Model):
    """One person's registration for every date of a recurring event: its RSVPs (one per date,
    personal data there) are its `parts`."""

    __tablename__ = "series_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[SeriesMode] = mapped_column(enum_column(SeriesMode))
    #: confirmed / waitlisted / cancelled (the series' own place; dates keep theirs).
    status: Mapped[SignupStatus] = mapped_column(
        enum_column(SignupStatus), default=SignupStatus.confirmed
    )
    party_size: Mapped[int] = mapped_column(default=1)
    #: Secret part of the private link; "erased" once erased.
    manage_secret: Mapped[str] = mapped_column(sa.String(40), default=new_secret)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parts: Mapped[list[SeriesPart]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )


class SeriesPart(db.Model):
    __tablename__ = "series_parts"

    rsvp_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rsvps.id", ondelete="CASCADE"), primary_key=True
    )
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("series_registrations.id", ondelete="CASCADE"), index=True
    )

    registration: Mapped[SeriesRegistration] = relationship(back_populates="parts")
    rsvp: Mapped[RSVP] = relationship()


def _dates_all_ended(cutoff, _now):
    """Registrations none of whose dates is left within retention (their RSVPs hold the personal
    data and are erased with their dates; then the registration's private link dies too)."""
    live = (
        sa.select(SeriesPart.registration_id)
        .join(RSVP, RSVP.id == SeriesPart.rsvp_id)
        .where(RSVP.occurrence_id.not_in(ended_before(cutoff)))
    )
    return SeriesRegistration.id.not_in(live)


#: No personal data of its own, but a private link: erased with its RSVPs (`series.erase`) and
#: once every one of its dates is past retention.
register(
    PersonalRecord(SeriesRegistration, secrets={"manage_secret": ERASED}, expired=_dates_all_ended)
)


def _parts_all_ended(cutoff, _now):
    """The parts of registrations none of whose dates is left within retention."""
    live = (
        sa.select(SeriesPart.registration_id)
        .join(RSVP, RSVP.id == SeriesPart.rsvp_id)
        .where(RSVP.occurrence_id.not_in(ended_before(cutoff)))
    )
    return SeriesPart.registration_id.not_in(live)


#: No personal data, but the one thing that tied one person's dates together (erased RSVPs keep
#: their check-in time): deleted once every date of the registration is past retention, after
#: reports counted how many dates each registration came to (`coalition.reports`, pseudonymous
#: and deleted in turn when the series' figures are final).
register(PersonalRecord(SeriesPart, stamp=None, expired=_parts_all_ended))
