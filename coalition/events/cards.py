"""Event cards of the listings (home page, calendar, past events, an organization's page): the
rows a card shows, read as plain columns in one query per list, and the cards themselves,
rendered once per key and language (`coalition/core/fragments.py`).

A card's key names everything it shows: the event's `revision` (its texts, dates, status,
co-sponsors), the date, the host organization's and the type's `updated_at` (their names), the
latest change of its co-sponsoring organizations (their names), whether the place is public at
this moment (the "Online" mark of a `hidden_until` event) and how the list shows it. Which
cards a visitor gets is decided by the listing's query (members-only events only for members);
a card holds nothing else a visitor of the same list could not see, never a hidden place, and
nothing personal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy.orm import aliased

from coalition.auth.models import User
from coalition.core.fragments import cached_many
from coalition.db import UTCDateTime, utcnow
from coalition.events.models import (
    CosponsorStatus,
    Event,
    EventCosponsor,
    EventStatus,
    EventTranslation,
    EventType,
    LocationVisibility,
    Occurrence,
    is_coalition_member,
)
from coalition.events.queries import (
    CalendarFilters,
    Cursor,
    Placeholders,
    event_filter_clauses,
    event_filter_values,
    per_version,
    shaped_statement,
    visible_events_clause,
    window_clauses,
    window_values,
)
from coalition.extensions import db
from coalition.orgs.models import Organization

#: Version of the card's markup: raise it when `_card.html` changes what it shows.
CARD_LAYOUT = 1


@dataclass
class Text:
    language: str
    title: str


@dataclass
class Card:
    """What a card shows of one date of an event (no ORM objects)."""

    id: int
    event_id: int
    start_at: datetime
    end_at: datetime
    zone: ZoneInfo
    timezone: str
    is_all_day: bool
    is_recurring: bool
    is_cancelled_effectively: bool
    city: str | None
    #: The event has an online link and its place is public now.
    online: bool
    languages: list[str]
    has_interpretation: bool
    primary_language: str
    host_org_id: int
    type_id: int
    revision: int
    #: Latest change of an accepted co-sponsor's organization (None without co-sponsors).
    cosponsors_changed: datetime | None
    #: Filled only when the card is rendered (`_load_texts`).
    titles: dict[str, str] = field(default_factory=dict)
    cosponsors: list[str] = field(default_factory=list)

    @property
    def local_start(self) -> datetime:
        return self.start_at.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.end_at.astimezone(self.zone)

    def text(self, language: str) -> Text:
        """As `Event.translation`: in `language`, else the primary language, else the first."""
        for code in (language, self.primary_language):
            if code in self.titles:
                return Text(code, self.titles[code])
        code, title = next(iter(self.titles.items()), (self.primary_language, ""))
        return Text(code, title)


@cache
def card_columns() -> tuple:
    """The columns a listing selects (with `Occurrence` joined to `Event`) for `cards_from`.
    Built once per process: SQL expressions are immutable, and building these 21 (a correlated
    subquery among them) took a tenth of a listing's time in Python."""
    cosponsors_changed = (
        sa.select(sa.func.max(Organization.updated_at))
        .join(EventCosponsor, EventCosponsor.org_id == Organization.id)
        .where(
            EventCosponsor.event_id == Event.id,
            EventCosponsor.status == CosponsorStatus.accepted,
        )
        .correlate(Event)
        .scalar_subquery()
    )
    return (
        Occurrence.id,
        Occurrence.event_id,
        Occurrence.start_at,
        Occurrence.end_at,
        Occurrence.is_cancelled,
        Occurrence.city,
        Event.city.label("event_city"),
        Event.status,
        Event.timezone,
        Event.is_all_day,
        (Event.rrule.is_not(None)).label("is_recurring"),
        (Event.online_url.is_not(None)).label("has_online_url"),
        Event.location_visibility,
        Event.location_reveal_hours,
        Event.languages,
        Event.has_interpretation,
        Event.primary_language,
        Event.host_org_id,
        Event.type_id,
        Event.revision,
        sa.type_coerce(cosponsors_changed, UTCDateTime).label("cosponsors_changed"),
    )


def _place_is_public(row, now: datetime) -> bool:
    """`Event.location_is_public` for a row."""
    if row.location_visibility == LocationVisibility.public:
        return True
    if row.location_visibility == LocationVisibility.hidden_until:
        return now >= row.start_at - timedelta(hours=row.location_reveal_hours or 0)
    return False


def cards_from(rows: Iterable, now: datetime | None = None) -> list[Card]:
    now = now or utcnow()
    return [
        Card(
            id=row.id,
            event_id=row.event_id,
            start_at=row.start_at,
            end_at=row.end_at,
            zone=ZoneInfo(row.timezone),
            timezone=row.timezone,
            is_all_day=row.is_all_day,
            is_recurring=bool(row.is_recurring),
            is_cancelled_effectively=row.is_cancelled or row.status == EventStatus.cancelled,
            city=row.city or row.event_city,
            online=bool(row.has_online_url) and _place_is_public(row, now),
            languages=list(row.languages or []),
            has_interpretation=row.has_interpretation,
            primary_language=row.primary_language,
            host_org_id=row.host_org_id,
            type_id=row.type_id,
            revision=row.revision,
            cosponsors_changed=row.cosponsors_changed,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Names:
    """Names and change markers of organizations and event types, by id."""

    orgs: dict[int, tuple[str, datetime | None]]
    #: id → (names by language, updated_at, slug)
    types: dict[int, tuple[dict, datetime | None, str]]


def names() -> Names:
    """Kept per process while the calendar version stays the same (an organization or a type
    renamed raises it)."""
    return per_version("card_names", _read_names)


def _read_names() -> Names:
    orgs = {
        row.id: (row.name, row.updated_at)
        for row in db.session.execute(
            sa.select(Organization.id, Organization.name, Organization.updated_at)
        )
    }
    types = {
        row.id: (dict(row.names or {}), row.updated_at, row.slug)
        for row in db.session.execute(
            sa.select(EventType.id, EventType.names, EventType.updated_at, EventType.slug)
        )
    }
    return Names(orgs=orgs, types=types)


def _load_texts(cards: list[Card]) -> None:
    """Titles and co-sponsor names of `cards` (two queries, only for cards to render)."""
    by_event: dict[int, list[Card]] = {}
    for card in cards:
        by_event.setdefault(card.event_id, []).append(card)
    titles: dict[int, dict[str, str]] = {}
    for event_id, language, title in db.session.execute(
        sa.select(EventTranslation.event_id, EventTranslation.language, EventTranslation.title)
        .where(EventTranslation.event_id.in_(by_event))
        .order_by(EventTranslation.id)
    ):
        titles.setdefault(event_id, {})[language] = title
    cosponsors: dict[int, list[str]] = {}
    with_cosponsors = [i for i, group in by_event.items() if group[0].cosponsors_changed]
    if with_cosponsors:
        for event_id, name in db.session.execute(
            sa.select(EventCosponsor.event_id, Organization.name)
            .join(Organization, Organization.id == EventCosponsor.org_id)
            .where(
                EventCosponsor.event_id.in_(with_cosponsors),
                EventCosponsor.status == CosponsorStatus.accepted,
            )
            .order_by(EventCosponsor.id)
        ):
            cosponsors.setdefault(event_id, []).append(name)
    for event_id, group in by_event.items():
        for card in group:
            card.titles = titles.get(event_id, {})
            card.cosponsors = cosponsors.get(event_id, [])


def render_cards(
    cards: list[Card], *, series_next: bool = False, under_day_heading: bool = False
) -> list[Markup]:
    """Each card's markup, in order: stored ones from the fragment store, the others rendered
    (their texts read in two queries for all of them together)."""
    if not cards:
        return []
    known = names()
    locale = str(get_locale() or "en")
    template = current_app.jinja_env.get_template("events/public/_card.html")
    missing: list[Card] = []
    loaded = False

    def render(card: Card):
        def run() -> str:
            nonlocal loaded
            if not loaded:
                _load_texts(missing)
                loaded = True
            type_names, _changed, slug = known.types.get(card.type_id, ({}, None, ""))
            return template.render(
                card=card,
                text=card.text(locale),
                host_name=known.orgs.get(card.host_org_id, ("", None))[0],
                type_name=type_names.get(locale) or type_names.get("en") or slug,
                series_next=series_next,
                under_day_heading=under_day_heading,
                current_locale=locale,
            )

        return run

    items = []
    for card in cards:
        missing.append(card)  # rendering any card loads the texts of all (cheap, one query)
        items.append(
            (
                (
                    CARD_LAYOUT,
                    card.event_id,
                    card.revision,
                    card.id,
                    card.timezone,
                    card.host_org_id,
                    _stamp(known.orgs.get(card.host_org_id, ("", None))[1]),
                    card.type_id,
                    _stamp(known.types.get(card.type_id, ({}, None, ""))[1]),
                    _stamp(card.cosponsors_changed),
                    int(card.online),
                    int(series_next),
                    int(under_day_heading),
                ),
                render(card),
            )
        )
    return cached_many("event-card", items)


def _stamp(moment: datetime | date | None) -> str:
    return "-" if moment is None else moment.isoformat()


def read_dates(
    filters: CalendarFilters,
    *,
    user: User | None,
    zone: ZoneInfo,
    limit: int,
    after: datetime | None = None,
    before: datetime | None = None,
    descending: bool = False,
    cursor: Cursor | None = None,
    longest: timedelta | None = None,
) -> list[Card]:
    """The cards of the first `limit` listed dates matching `filters`, in date order (newest
    first when `descending`) from `cursor` when given. The statement is made once per process
    for each shape of filters (`shaped_statement`) and run with this request's values.

    Pass `longest` (`longest_occurrence()`) to let the database seek on the start of what is
    not over yet instead of reading the dates before it."""
    values = {
        **event_filter_values(filters),
        **window_values(filters, zone=zone, after=after, before=before, longest=longest),
        "limit": limit,
    }
    if cursor is not None:
        values.update(c_start=cursor.start_at, c_id=cursor.id)
    members = is_coalition_member(user)

    def make(v: Placeholders) -> sa.Select:
        return _dates_statement(v, include_members=members, descending=descending)

    statement = shaped_statement(("cards", members, descending), values, make)
    return cards_from(db.session.execute(statement, values).all())


def _dates_statement(v: Placeholders, *, include_members: bool, descending: bool) -> sa.Select:
    query = (
        sa.select(*card_columns())
        .join(Occurrence.event)
        .where(
            visible_events_clause(include_members=include_members),
            *event_filter_clauses(v),
            *window_clauses(Occurrence, v),
        )
    )
    if "c_start" in v:
        key = sa.tuple_(Occurrence.start_at, Occurrence.id)
        here = sa.tuple_(v.typed("c_start", UTCDateTime), v.typed("c_id", sa.Integer))
        query = query.where(key < here if descending else key > here)
    order = (Occurrence.start_at.desc(), Occurrence.id.desc()) if descending else (
        Occurrence.start_at, Occurrence.id)  # fmt: skip
    return query.order_by(*order).limit(v.typed("limit", sa.Integer))


def next_dates_query(*, include_members: bool) -> sa.Select:
    """Card rows of the next date going ahead of each listed event that goes ahead, soonest
    first: a date not cancelled, not over by the bound parameter `now`, with no such date of
    the same event before it (`since` is `now` less `longest_occurrence()`, so that the
    database seeks on the start). Read in date order from an index, each row probing its
    event's earlier dates, so a short list stops after a few rows instead of ranking every
    date to come."""
    now = sa.bindparam("now", type_=UTCDateTime)
    since = sa.bindparam("since", type_=UTCDateTime)
    earlier = aliased(Occurrence)
    before_this = sa.tuple_(earlier.start_at, earlier.id) < sa.tuple_(
        Occurrence.start_at, Occurrence.id
    )
    return (
        sa.select(*card_columns())
        .join(Occurrence.event)
        .where(
            visible_events_clause(include_members=include_members),
            Event.status != EventStatus.cancelled,
            Occurrence.is_cancelled.is_(False),
            Occurrence.end_at >= now,
            Occurrence.start_at >= since,
            ~sa.exists().where(
                earlier.event_id == Occurrence.event_id,
                earlier.is_cancelled.is_(False),
                earlier.end_at >= now,
                earlier.start_at >= since,
                before_this,
            ),
        )
        .order_by(Occurrence.start_at, Occurrence.id)
    )


def big_action_clause(type_ids: list[int]):
    """Marches, rallies, vigils (`type_ids`) and co-sponsored events."""
    return sa.or_(
        Event.type_id.in_(type_ids),
        sa.exists().where(
            EventCosponsor.event_id == Event.id,
            EventCosponsor.status == CosponsorStatus.accepted,
        ),
    )
