"""What reports keep once the people are gone: counts per date and per series, no person.

A `DateFigures` row is written once per date, when the retention purge is about to erase the
date's personal data (`coalition.signals.occurrence_purging`). A `SeriesFigures` row per
recurring event is rewritten each time one of its dates is purged. Neither holds an identifier
of a person, a contact, or text someone typed (a delegation's town is kept only when it is a
town the calendar already shows publicly; see `operations.known_towns`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coalition.db import UTCDateTime, utcnow
from coalition.extensions import db


class DateFigures(db.Model):
    __tablename__ = "report_dates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The date while it exists (set to None if it is ever deleted; the counts stay).
    occurrence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("occurrences.id", ondelete="SET NULL"), unique=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    #: The host organization.
    org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    type_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event_types.id", ondelete="SET NULL")
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: The date's town as the calendar showed it publicly (the event's city).
    town: Mapped[str | None] = mapped_column(sa.String(120))
    #: The event's language codes (its `languages`, else its primary language).
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    is_bilingual: Mapped[bool] = mapped_column(default=False)
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    #: RSVPs of the date, whatever became of them (walk-ins included).
    rsvps: Mapped[int] = mapped_column(default=0)
    #: People (party sizes) confirmed at the end, walk-ins included.
    people: Mapped[int] = mapped_column(default=0)
    #: RSVPs checked in, and the people (party sizes) they brought.
    checked_in: Mapped[int] = mapped_column(default=0)
    checked_in_people: Mapped[int] = mapped_column(default=0)
    walk_ins: Mapped[int] = mapped_column(default=0)
    #: Confirmed RSVPs not checked in (meaningful only where check-in was used).
    no_shows: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[int] = mapped_column(default=0)
    declined: Mapped[int] = mapped_column(default=0)
    #: RSVPs that waited at some point; of them, promoted to a seat; still waiting at the end.
    waitlisted: Mapped[int] = mapped_column(default=0)
    promoted: Mapped[int] = mapped_column(default=0)
    still_waiting: Mapped[int] = mapped_column(default=0)
    #: RSVPs made by a series registration (one registration for every date).
    series_rsvps: Mapped[int] = mapped_column(default=0)
    delegations: Mapped[int] = mapped_column(default=0)
    reminders_sent: Mapped[int] = mapped_column(default=0)
    emails_sent: Mapped[int] = mapped_column(default=0)
    texts_sent: Mapped[int] = mapped_column(default=0)
    #: {"language": {code: people}, "needs": {"interpretation"|"childcare"|"ride": RSVPs},
    #: "organization": {org id: people in its delegations}, "town": {known town: people in
    #: delegations from it, "other": the rest}, "signups": {days-before bucket: RSVPs}}.
    breakdown: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SeriesFigures(db.Model):
    """Returning participation of one recurring event, over its dates purged so far: the
    registrations for the series and how many of them were checked in at every one."""

    __tablename__ = "report_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL"), unique=True
    )
    org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    #: Dates held (not cancelled) among those purged so far: the N of "all N dialogues".
    dates_held: Mapped[int] = mapped_column(default=0)
    #: Registrations for the series not cancelled.
    registrations: Mapped[int] = mapped_column(default=0)
    #: Of them, checked in at every one of the `dates_held`.
    came_to_all: Mapped[int] = mapped_column(default=0)
    last_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
