"""An organization's list of its events (`/orgs/<slug>/events`, its organizers' dashboard): one
page of 50 read in one query as plain rows (title, next date, dates cancelled, whether any date
is still to come, the number of events and of co-sponsorship invitations), and each row
rendered once per key and language (`coalition/core/fragments.py`).

A row's key names everything it shows: the event's `revision` (its texts, dates and status),
its next date, how many dates to come are cancelled and whether any is left (the "over" mark).
A row holds nothing personal: every organizer of the organization sees the same one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup
from sqlalchemy.orm import aliased

from coalition.core.fragments import cached_many
from coalition.core.paging import Numbered
from coalition.db import utcnow
from coalition.events.models import (
    CosponsorStatus,
    Event,
    EventCosponsor,
    EventStatus,
    EventTranslation,
    Occurrence,
)
from coalition.extensions import db

#: Events per page.
PER_PAGE = 50
#: Version of the row's markup: raise it when `_org_event_row.html` changes what it shows.
ROW_LAYOUT = 1
#: No page beyond this one is read (an OFFSET past PostgreSQL's bigint would be a 500).
_LAST_PAGE = 2**31 // PER_PAGE


@dataclass(frozen=True)
class OrgEventRow:
    """What the list shows of one event (no ORM objects)."""

    id: int
    title: str
    status: EventStatus
    start_at: datetime
    end_at: datetime
    zone: ZoneInfo
    is_all_day: bool
    is_recurring: bool
    revision: int
    #: The next date that goes ahead: (id, start, end), or None.
    next_date: tuple[int, datetime, datetime] | None
    #: Dates still to come that are cancelled.
    cancelled: int
    #: Any date still to come, cancelled ones included.
    upcoming: bool

    @property
    def shown_start(self) -> datetime:
        return self.next_date[1] if self.next_date else self.start_at

    @property
    def shown_end(self) -> datetime:
        return self.next_date[2] if self.next_date else self.end_at


@dataclass(frozen=True)
class OrgEventsPage(Numbered):
    """One page, with what the pager and the invitations button need."""

    rows: list[OrgEventRow]
    page: int
    total: int
    invitations: int
    per_page: int = PER_PAGE


@functools.cache
def _statements() -> tuple[sa.Select, sa.Select]:
    """The page's statement and the one for the totals alone, built once per process (their
    values are bound parameters: `org_id`, `now`, `limit`, `offset`)."""
    org_id, now = sa.bindparam("org_id", type_=sa.Integer), sa.bindparam("now")
    total = sa.select(sa.func.count(Event.id)).where(Event.host_org_id == org_id).scalar_subquery()
    invitations = (
        sa.select(sa.func.count(EventCosponsor.id))
        .where(EventCosponsor.org_id == org_id, EventCosponsor.status == CosponsorStatus.invited)
        .scalar_subquery()
    )
    shown = (
        sa.select(
            Event.id,
            Event.status,
            Event.start_at,
            Event.end_at,
            Event.timezone,
            Event.is_all_day,
            (Event.rrule.is_not(None)).label("is_recurring"),
            Event.revision,
            Event.primary_language,
        )
        .where(Event.host_org_id == org_id)
        .order_by(Event.start_at.desc(), Event.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .offset(sa.bindparam("offset", type_=sa.Integer))
        .subquery("shown")
    )
    to_come = sa.and_(Occurrence.event_id == shown.c.id, Occurrence.end_at >= now)
    # `Event.title`: the text in the event's main language, else the first one written.
    texts = sa.select(EventTranslation.title).where(EventTranslation.event_id == shown.c.id)
    title = sa.func.coalesce(
        texts.where(EventTranslation.language == shown.c.primary_language).scalar_subquery(),
        texts.order_by(EventTranslation.id).limit(1).scalar_subquery(),
    )
    next_id = (
        sa.select(Occurrence.id)
        .where(to_come, Occurrence.is_cancelled.is_(False))
        .order_by(Occurrence.start_at, Occurrence.id)
        .limit(1)
        .scalar_subquery()
    )
    cancelled = (
        sa.select(sa.func.count(Occurrence.id))
        .where(to_come, Occurrence.is_cancelled.is_(True))
        .scalar_subquery()
    )
    nxt = aliased(Occurrence, name="next_date")
    page = (
        sa.select(
            shown,
            title.label("title"),
            nxt.id.label("next_id"),
            nxt.start_at.label("next_start"),
            nxt.end_at.label("next_end"),
            cancelled.label("cancelled"),
            sa.exists().where(to_come).label("upcoming"),
            sa.type_coerce(total, sa.Integer).label("total"),
            sa.type_coerce(invitations, sa.Integer).label("invitations"),
        )
        .outerjoin(nxt, nxt.id == next_id)
        .order_by(shown.c.start_at.desc(), shown.c.id.desc())
    )
    return page, sa.select(total, invitations)


def org_events_page(org_id: int, page: int, now: datetime | None = None) -> OrgEventsPage:
    """Page `page` (from 1; out-of-range pages are empty) of the organization's events, newest
    first, drafts and pending ones included: one statement (two for a page past the end)."""
    page = min(max(page, 1), _LAST_PAGE)
    statement, totals = _statements()
    rows = db.session.execute(
        statement,
        {
            "org_id": org_id,
            "now": now or utcnow(),
            "limit": PER_PAGE,
            "offset": (page - 1) * PER_PAGE,
        },
    ).all()
    if rows:
        counted, invited = rows[0].total, rows[0].invitations
    else:
        counted, invited = db.session.execute(totals, {"org_id": org_id}).one()
    return OrgEventsPage(
        rows=[
            OrgEventRow(
                id=row.id,
                title=row.title or "",
                status=row.status,
                start_at=row.start_at,
                end_at=row.end_at,
                zone=ZoneInfo(row.timezone),
                is_all_day=row.is_all_day,
                is_recurring=bool(row.is_recurring),
                revision=row.revision,
                next_date=(
                    (row.next_id, row.next_start, row.next_end) if row.next_id is not None else None
                ),
                cancelled=row.cancelled or 0,
                upcoming=bool(row.upcoming),
            )
            for row in rows
        ],
        page=page,
        total=counted or 0,
        invitations=invited or 0,
    )


def render_rows(rows: list[OrgEventRow]) -> list[Markup]:
    """Each row's markup, in order: stored ones from the fragment store, the others rendered."""
    template = current_app.jinja_env.get_template("events/manage/_org_event_row.html")
    return cached_many(
        "org-event-row",
        [
            (
                (
                    ROW_LAYOUT,
                    row.id,
                    row.revision,
                    row.next_date[0] if row.next_date else 0,
                    row.cancelled,
                    int(row.upcoming),
                ),
                (lambda row=row: template.render(ev=row)),
            )
            for row in rows
        ],
    )
