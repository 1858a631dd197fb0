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

from coalition.crypto import EncryptedString
from coalition.db import UTCDateTime, utcnow
from coalition.extensions import db
from coalition.people.registry import PersonalRecord, register


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
    registrations for the series and how many of them were checked in at every one; the people
    who asked to be counted across the series (or RSVPed signed in) date by date, and how many
    of them came to every one. Final (`is_final`) once every date is purged: then the links
    that counted them are gone (`SeriesLink`, `SeriesKey`).

    A series with no end (a rule without COUNT or UNTIL) never has every date purged: it gets
    one row per calendar year of its dates (`year`, in the event's zone), final once that
    year's dates are all purged and the year is over; that year's links are deleted then."""

    __tablename__ = "report_series"
    __table_args__ = (sa.UniqueConstraint("event_id", "year", name="uq_report_series_event_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"))
    #: The calendar year (event's zone) of an open-ended series' row; None: the whole series.
    year: Mapped[int | None] = mapped_column()
    org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    #: Dates held (not cancelled) among those purged so far: the N of "all N dialogues".
    dates_held: Mapped[int] = mapped_column(default=0)
    #: Registrations for the series not cancelled.
    registrations: Mapped[int] = mapped_column(default=0)
    #: Of them, checked in at every one of the `dates_held`.
    came_to_all: Mapped[int] = mapped_column(default=0)
    #: People who RSVPed date by date and asked to be counted across the series (or were
    #: signed in), confirmed at one date at least; of them, checked in at every date held.
    opted_in: Mapped[int] = mapped_column(default=0)
    opted_in_came_to_all: Mapped[int] = mapped_column(default=0)
    #: Every date of the series is purged: the figures no longer change, the links are gone.
    is_final: Mapped[bool] = mapped_column(default=False)
    last_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SeriesKey(db.Model):
    """The random key of one series' pseudonymous links, while the series runs. Deleted when
    its figures are final: from then on no link can be recomputed from anyone's contact.

    `link_key` is stored encrypted under CONTACT_KEYS (a copy of the database alone cannot test
    a guessed email against the links) and keys an HMAC of the normalized contact itself, not of
    its keyed hash: `flask rotate-keys` re-encrypts it without changing it, and a new
    CONTACT_HASH_KEY changes no link, so a person's count does not split in two at a rotation.
    `salt` is the plain key of series started before that (links over the keyed hash, kept as
    they were until the series ends)."""

    __tablename__ = "report_series_keys"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    link_key: Mapped[str | None] = mapped_column(EncryptedString)
    salt: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: No personal data, but an encrypted column: key rotation re-encrypts it (never erased by the
#: purge; deleted when the series' figures are final).
register(PersonalRecord(SeriesKey, stamp=None))


class SeriesLink(db.Model):
    """How many dates of a series one counted person came to, under a pseudonym: an HMAC of a
    series registration's id or of an opted-in person's contact hash, keyed with the series'
    `SeriesKey`. No date, no contact, no time: a count. Deleted when the series is final."""

    __tablename__ = "report_series_links"
    __table_args__ = (sa.UniqueConstraint("event_id", "link", name="uq_report_series_links"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    link: Mapped[str] = mapped_column(sa.String(64))
    #: "series" (a series registration) or "opted" (date by date, opted in or signed in).
    kind: Mapped[str] = mapped_column(sa.String(10))
    #: Dates held that the person was checked in at.
    came: Mapped[int] = mapped_column(default=0)
    #: The calendar year counted (an open-ended series counts each year apart); None: the whole
    #: series.
    year: Mapped[int | None] = mapped_column()
