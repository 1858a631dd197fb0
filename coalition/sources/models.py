"""Calendars that flow in: a member organization's own iCalendar feed, or a partner coalition's.

A `Source` is one subscribed URL with its mapping (type, language, default town, review or publish
at once, fields the coalition may edit here) and its polling state. Each event it brought is an
`ImportedEvent`: the source's UID (and RECURRENCE-ID for a lone changed date) tied to our `Event`,
so that the next poll updates, moves or cancels that event rather than adding another.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.db import UTCDateTime, enum_column, utcnow
from coalition.events.models import Event, EventType
from coalition.extensions import db
from coalition.orgs.models import Organization


class SourceKind(enum.StrEnum):
    #: A member organization's own calendar (Google, Outlook, Apple, Thunderbird...).
    member = "member"
    #: Another coalition's public feed of this service: RSVPs stay on the partner's site.
    partner = "partner"


#: Fields an organizer may choose to edit here; the next poll leaves them as edited.
LOCALLY_EDITABLE = ("title", "description", "place", "type")


class Source(db.Model):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The organization whose events these are (a partner's events are hosted by the org an
    #: admin chose for it).
    org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind), default=SourceKind.member)
    #: Shown on imported events: "from <name>".
    name: Mapped[str] = mapped_column(sa.String(160))
    url: Mapped[str] = mapped_column(sa.String(1000))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Mapping ---------------------------------------------------------------------------------
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("event_types.id", ondelete="RESTRICT"))
    #: Language of the source's texts.
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: Town given to events whose LOCATION names none we can read.
    default_city: Mapped[str | None] = mapped_column(sa.String(120))
    #: New events are published at once; else they wait in the review queue as drafts.
    publishes_at_once: Mapped[bool] = mapped_column(default=False)
    #: Names from `LOCALLY_EDITABLE` the coalition edits here (polls leave them alone).
    editable_fields: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Partner filter: only events whose CATEGORIES hold this (case-insensitive), if set.
    filter_category: Mapped[str | None] = mapped_column(sa.String(80))
    #: Partner filter: only events whose LOCATION mentions this town, if set.
    filter_city: Mapped[str | None] = mapped_column(sa.String(120))
    #: Type rules, in order, the first that matches wins (`sync.type_for`): each
    #: {"where": "category" | "title" | "either", "contains": words, "type": a type's slug};
    #: none matches: a CATEGORIES value naming one of our types, else `type`.
    type_rules: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    #: A partner's events take their RSVPs here (the admins chose so for this partner) rather
    #: than sending people to the partner's page.
    rsvps_here: Mapped[bool] = mapped_column(default=False)

    # Polling state ---------------------------------------------------------------------------
    #: Minutes between polls when all is well.
    poll_minutes: Mapped[int] = mapped_column(default=60)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last failure in plain English words (logs, and rows from before the key below);
    #: None after a success.
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: The same as a key of `sources.messages.ERRORS` and its parameters, put into words in
    #: the reader's language when shown (`source_said`).
    last_error_code: Mapped[str | None] = mapped_column(sa.String(40))
    last_error_params: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Failures in a row (backoff doubles the wait with each).
    failures: Mapped[int] = mapped_column(default=0)
    #: VEVENTs read in the last successful poll.
    events_seen: Mapped[int] = mapped_column(default=0)
    #: Validators for a conditional GET.
    etag: Mapped[str | None] = mapped_column(sa.String(300))
    last_modified: Mapped[str | None] = mapped_column(sa.String(100))

    org: Mapped[Organization] = relationship()
    type: Mapped[EventType] = relationship()
    imported: Mapped[list[ImportedEvent]] = relationship(
        back_populates="source", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Source {self.id} {self.kind} {self.name!r}>"

    def is_editable_here(self, name: str) -> bool:
        return name in (self.editable_fields or [])

    @property
    def is_partner(self) -> bool:
        return self.kind == SourceKind.partner

    @property
    def rsvps_elsewhere(self) -> bool:
        """People RSVP on the partner's site for its events (unless the admins chose to take
        the RSVPs here)."""
        return self.is_partner and not self.rsvps_here


class ImportedEvent(db.Model):
    """One event that came from a source, keyed by the source's UID."""

    __tablename__ = "imported_events"
    __table_args__ = (sa.UniqueConstraint("source_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("sources.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    #: The source's UID (or a key derived from summary and start when it gave none).
    uid: Mapped[str] = mapped_column(sa.String(500))
    #: RECURRENCE-ID (UTC) of a lone changed date whose series is not in the feed; else None.
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: `uid`, or `uid` + RECURRENCE-ID: unique per source.
    key: Mapped[str] = mapped_column(sa.String(600))
    #: Highest SEQUENCE applied; an older one is ignored.
    sequence: Mapped[int] = mapped_column(default=0)
    #: A digest of what we last applied, so an unchanged event is not written again.
    digest: Mapped[str] = mapped_column(sa.String(64), default="")
    #: Where the event was first published when the feed re-publishes another's
    #: (`X-COALITION-ORIGIN` of another instance of this service); None: the feed's own.
    origin: Mapped[str | None] = mapped_column(sa.String(500))
    #: The event's own page at the source (a partner's page, where its RSVPs are).
    url: Mapped[str | None] = mapped_column(sa.String(1000))
    #: Waiting for an organizer's review (a draft until then).
    is_waiting: Mapped[bool] = mapped_column(default=False)
    #: Gone from the feed (cancelled here); it comes back if the feed lists it again.
    is_gone: Mapped[bool] = mapped_column(default=False)
    #: What the feed cancelled here, to put back on if the feed lists it again: "*" for the
    #: whole event (STATUS:CANCELLED), else dates' RECURRENCE-IDs (UTC ISO). Never what an
    #: organizer cancelled here.
    cancelled_by_feed: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source: Mapped[Source] = relationship(back_populates="imported")
    event: Mapped[Event] = relationship()
