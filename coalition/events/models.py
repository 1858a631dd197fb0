"""Events, their occurrences, translations, types and co-sponsors.

An `Event` holds what is common to all its dates: texts, place, flags, and for a series an
RFC 5545 RRULE interpreted in the event's IANA zone. Every date it happens on is an `Occurrence`
row, materialized when the event is saved (a bounded horizon for open-ended series). Calendar,
API and feeds query occurrences in SQL; nothing expands rules per request. An occurrence keeps its
`recurrence_id` (the original start) so that cancelling it (EXDATE) or changing it (an override,
RECURRENCE-ID) survives regeneration, and RSVPs attach to it.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.db import UTCDateTime, enum_column, utcnow
from coalition.extensions import db
from coalition.orgs.models import Organization, OrgRole

if TYPE_CHECKING:
    from coalition.auth.models import User


class EventStatus(enum.StrEnum):
    draft = "draft"
    #: Waiting for a coalition admin (when the coalition moderates events).
    pending = "pending"
    published = "published"
    #: Stays visible, marked cancelled, with the reason.
    cancelled = "cancelled"


class EventVisibility(enum.StrEnum):
    public = "public"
    #: Signed-in members of any member organization.
    members = "members"
    #: Not listed anywhere; reachable by its link.
    unlisted = "unlisted"


class LocationVisibility(enum.StrEnum):
    """Who sees the place (the town is always public). The rules: `coalition.events.privacy`."""

    public = "public"
    #: Confirmed attendees (who hold their private link) and the hosts.
    attendees = "attendees"
    #: Everyone from `location_reveal_hours` before the start; before that only the hosts (and
    #: confirmed attendees when `location_attendees_early`).
    hidden_until = "hidden_until"
    #: RSVPs need a host's approval; only approved attendees and the hosts see the place.
    approved = "approved"


class CosponsorStatus(enum.StrEnum):
    invited = "invited"
    accepted = "accepted"
    declined = "declined"


class EventType(db.Model):
    """A kind of event (rally, vigil, ...), managed by coalition admins."""

    __tablename__ = "event_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key used in filters and feeds: ?type=rally.
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    #: Names by language code, e.g. {"en": "Rally", "es": "Mitin"}.
    names: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.slug


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint("end_at >= start_at", name="end_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        # An organization's events newest first, a page at a time, and their number (its
        # organizers' dashboard, `org_listing.py`): read from this index alone, whatever the
        # number of other organizations' events. Its first column serves host_org_id lookups.
        sa.Index("ix_events_host_org_id_start_at_id", "host_org_id", "start_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("event_types.id", ondelete="RESTRICT"))

    #: Language of the main title and description; others are optional translations.
    primary_language: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: Pages show the primary language and the visitor's side by side.
    is_bilingual: Mapped[bool] = mapped_column(default=False)

    #: First occurrence, UTC. For a series, DTSTART of the rule (in `timezone`).
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: IANA zone the event happens in; times are shown and recurrences computed in it.
    timezone: Mapped[str] = mapped_column(sa.String(64))
    is_all_day: Mapped[bool] = mapped_column(default=False)
    #: RFC 5545 RRULE value without DTSTART (e.g. "FREQ=MONTHLY;BYDAY=4TH"); None: one date.
    rrule: Mapped[str | None] = mapped_column(sa.String(300))

    venue: Mapped[str | None] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    city: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    map_url: Mapped[str | None] = mapped_column(sa.String(500))
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    location_visibility: Mapped[LocationVisibility] = mapped_column(
        enum_column(LocationVisibility), default=LocationVisibility.public
    )
    #: With `hidden_until`: hours before the start when the place becomes public.
    location_reveal_hours: Mapped[int | None] = mapped_column()
    #: With `hidden_until`: confirmed attendees see the place as soon as they are confirmed.
    location_attendees_early: Mapped[bool] = mapped_column(default=False)
    #: Delegations to this event wait for a host's approval before anyone can join them.
    delegations_need_approval: Mapped[bool] = mapped_column(default=False)

    #: Language codes spoken at the event.
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    has_interpretation: Mapped[bool] = mapped_column(default=False)
    has_childcare: Mapped[bool] = mapped_column(default=False)
    has_rides: Mapped[bool] = mapped_column(default=False)
    has_food: Mapped[bool] = mapped_column(default=False)
    accessibility_notes: Mapped[str | None] = mapped_column(sa.Text)
    #: What to bring (ID, water, a sign...): on the page and in reminders.
    what_to_bring: Mapped[str | None] = mapped_column(sa.Text)
    #: Public contact for questions (an org address, not a person's private one).
    contact_name: Mapped[str | None] = mapped_column(sa.String(120))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))

    #: Seats per occurrence (parties and delegations count); None: no limit.
    capacity: Mapped[int | None] = mapped_column()
    #: Past capacity, people join a waitlist (else the RSVP is refused).
    has_waitlist: Mapped[bool] = mapped_column(default=True)
    rsvp_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rsvp_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Minutes before the start to remind attendees; None: the coalition default; []: none.
    reminder_offsets: Mapped[list[int] | None] = mapped_column(sa.JSON)
    #: Only organizers (not anyone) may start delegations.
    delegations_by_organizers_only: Mapped[bool] = mapped_column(default=False)
    #: The public page shows "N going" (confirmed people). Off unless an organizer chooses it:
    #: how many will be there can matter to attendees' safety.
    shows_going: Mapped[bool] = mapped_column(default=False)

    status: Mapped[EventStatus] = mapped_column(
        enum_column(EventStatus), default=EventStatus.draft, index=True
    )
    visibility: Mapped[EventVisibility] = mapped_column(
        enum_column(EventVisibility), default=EventVisibility.public
    )
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: An admin's reason for unpublishing or a note while waiting for approval.
    moderation_note: Mapped[str | None] = mapped_column(sa.Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: iCalendar SEQUENCE: raised on every change a subscribed calendar must show.
    sequence: Mapped[int] = mapped_column(default=0)
    #: Raised by every flush that changes the event, its dates, texts or co-sponsors
    #: (coalition/calendar_version.py); feeds cache each event's VEVENTs under it. Starts at a
    #: random value so that two databases sharing one cache never share a revision.
    revision: Mapped[int] = mapped_column(
        sa.BigInteger, default=lambda: secrets.randbelow(2**40) + 1
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    host_org: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    type: Mapped[EventType] = relationship()
    translations: Mapped[list[EventTranslation]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventTranslation.id"
    )
    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Occurrence.start_at"
    )
    cosponsors: Mapped[list[EventCosponsor]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.status}>"

    # Texts ---------------------------------------------------------------------------------

    def translation(self, language: str | None = None) -> EventTranslation:
        """The text in `language`, else in the primary language."""
        by_language = {t.language: t for t in self.translations}
        if language and language in by_language:
            return by_language[language]
        return by_language.get(self.primary_language) or self.translations[0]

    def texts_for(self, language: str) -> list[EventTranslation]:
        """What a page in `language` shows: one text, or two for a bilingual event."""
        first = self.translation(language)
        if not self.is_bilingual:
            return [first]
        primary = self.translation(self.primary_language)
        others = [t for t in self.translations if t is not primary]
        second = primary if first is not primary else (others[0] if others else None)
        return [first] if second is None else [first, second]

    @property
    def title(self) -> str:
        return self.translation().title

    def note_in(self, name: str, language: str | None) -> tuple[str | None, str]:
        """`accessibility_notes` or `what_to_bring` in `language` when translated, else the
        main language's; with the language the text is in (for `lang` and a marker)."""
        text = self.translation(language)
        if text.language != self.primary_language and getattr(text, name):
            return getattr(text, name), text.language
        return getattr(self, name), self.primary_language

    # Time ----------------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def duration(self) -> timedelta:
        return self.end_at - self.start_at

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule)

    # State ---------------------------------------------------------------------------------

    @property
    def is_public_listing(self) -> bool:
        """Listed on the public calendar, feeds and API."""
        return (
            self.status in (EventStatus.published, EventStatus.cancelled)
            and self.visibility == EventVisibility.public
            and self.host_org.is_active
        )

    def accepted_cosponsors(self) -> list[Organization]:
        return [c.org for c in self.cosponsors if c.status == CosponsorStatus.accepted]

    # Permissions ---------------------------------------------------------------------------

    def can_manage(self, user: User | None) -> bool:
        """Edit, publish, cancel: organizers of the host org and coalition admins."""
        return self.host_org.can_organize(user) or bool(user and getattr(user, "is_admin", False))

    def can_see_as_cosponsor(self, user: User | None) -> bool:
        return any(
            c.status == CosponsorStatus.accepted and c.org.has_role(user, OrgRole.organizer)
            for c in self.cosponsors
        )

    def can_view(self, user: User | None) -> bool:
        """May `user` open the event page at all?"""
        if self.can_manage(user) or self.can_see_as_cosponsor(user):
            return True
        if self.status not in (EventStatus.published, EventStatus.cancelled):
            return False
        if not self.host_org.is_active:
            return False
        if self.visibility == EventVisibility.members:
            return is_coalition_member(user)
        return True

    def location_is_public(
        self, occurrence: Occurrence | None = None, now: datetime | None = None
    ) -> bool:
        """May the place be shown to anyone at all (pages, feeds, API)?"""
        if self.location_visibility == LocationVisibility.public:
            return True
        if self.location_visibility == LocationVisibility.hidden_until and occurrence is not None:
            return (now or utcnow()) >= occurrence.reveal_at(self.location_reveal_hours)
        return False

    @property
    def requires_approval(self) -> bool:
        """RSVPs wait for a host's approval (the `approved` place mode)."""
        return self.location_visibility == LocationVisibility.approved


def is_coalition_member(user: User | None) -> bool:
    """Signed in and a member of at least one active member organization (or an admin)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    return any(m.org.is_active for m in user.memberships)


class EventTranslation(db.Model):
    __tablename__ = "event_translations"
    __table_args__ = (sa.UniqueConstraint("event_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Markdown; rendered through nh3 (no scripts; links get rel="nofollow noopener").
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: The event's accessibility notes and what to bring in this language; None for the main
    #: language (whose are on the event) or when not translated.
    accessibility_notes: Mapped[str | None] = mapped_column(sa.Text)
    what_to_bring: Mapped[str | None] = mapped_column(sa.Text)

    event: Mapped[Event] = relationship(back_populates="translations")


class Occurrence(db.Model):
    """One date of an event. A one-off event has exactly one."""

    __tablename__ = "occurrences"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "recurrence_id"),
        sa.Index("ix_occurrences_start_at_event_id", "start_at", "event_id"),
        # Listings read dates in (start, id) order from a keyset cursor; an event's own dates
        # are read in start order; the longest date bounds how far back "not over yet" reaches.
        sa.Index("ix_occurrences_start_at_id", "start_at", "id"),
        sa.Index("ix_occurrences_event_id_start_at", "event_id", "start_at"),
        # (SQLite's own, on julianday(), is created by the DDL below the class.)
        sa.Index("ix_occurrences_duration_pg", sa.text("(end_at - start_at)")).ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    #: The start the rule gives (UTC): iCalendar RECURRENCE-ID; stable across overrides.
    recurrence_id: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Actual start and end (UTC), moved by an override.
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: One date of a series cancelled (EXDATE / STATUS:CANCELLED) while the rest go on.
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Set when an organizer changed this date's time, place or note.
    is_override: Mapped[bool] = mapped_column(default=False)
    #: A date outside the rule (iCalendar RDATE, e.g. an imported calendar's extra date): kept
    #: when the series' dates are made again.
    is_added: Mapped[bool] = mapped_column(default=False)
    venue: Mapped[str | None] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    city: Mapped[str | None] = mapped_column(sa.String(120))
    map_url: Mapped[str | None] = mapped_column(sa.String(500))
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: Seats for this date only (overrides the event's capacity).
    capacity: Mapped[int | None] = mapped_column()
    #: iCalendar SEQUENCE of this date's override.
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="occurrences")

    def __repr__(self) -> str:
        return f"<Occurrence {self.id} of {self.event_id} at {self.start_at:%Y-%m-%d %H:%M}Z>"

    # Place and seats, this date's own or the event's.
    @property
    def effective_venue(self) -> str | None:
        return self.venue or self.event.venue

    @property
    def effective_address(self) -> str | None:
        return self.address or self.event.address

    @property
    def effective_city(self) -> str | None:
        return self.city or self.event.city

    @property
    def effective_map_url(self) -> str | None:
        return self.map_url or self.event.map_url

    @property
    def effective_capacity(self) -> int | None:
        return self.capacity if self.capacity is not None else self.event.capacity

    def reveal_at(self, hours: int | None) -> datetime:
        """`hours` before this date starts: when a `hidden_until` place becomes public."""
        return self.start_at - timedelta(hours=hours or 0)

    @property
    def is_cancelled_effectively(self) -> bool:
        return self.is_cancelled or self.event.status == EventStatus.cancelled

    @property
    def local_start(self) -> datetime:
        return self.start_at.astimezone(self.event.zone)

    @property
    def local_end(self) -> datetime:
        return self.end_at.astimezone(self.event.zone)


sa.event.listen(
    Occurrence.__table__,
    "after_create",
    sa.DDL(
        "CREATE INDEX ix_occurrences_duration_sqlite "
        "ON occurrences ((julianday(end_at) - julianday(start_at)))"
    ).execute_if(dialect="sqlite"),
)


class EventCosponsor(db.Model):
    """A member organization co-sponsoring an event: invited by the host, accepted by them."""

    __tablename__ = "event_cosponsors"
    __table_args__ = (sa.UniqueConstraint("event_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[CosponsorStatus] = mapped_column(
        enum_column(CosponsorStatus), default=CosponsorStatus.invited
    )
    #: The host may share the attendee list with this co-sponsor's organizers.
    shares_attendees: Mapped[bool] = mapped_column(default=False)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="cosponsors")
    org: Mapped[Organization] = relationship()


def ended_before(cutoff: datetime):
    """The ids of dates that ended before `cutoff` (the retention purge's rule for the records
    of a date: `coalition.people.registry`)."""
    return sa.select(Occurrence.id).where(Occurrence.end_at < cutoff)
