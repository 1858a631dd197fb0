"""The month grid of the calendar: what each day shows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from coalition.auth.models import User
from coalition.events.models import (
    Event,
    EventStatus,
    EventTranslation,
    Occurrence,
)
from coalition.events.queries import (
    CalendarFilters,
    _event_filter_clauses,
    _window,
    visible_events_clause,
)
from coalition.extensions import db


@dataclass(frozen=True)
class MonthEntry:
    """What a month grid cell shows of one date (no ORM objects: a month has many)."""

    id: int
    event_id: int
    start_at: datetime
    zone: ZoneInfo
    is_all_day: bool
    is_cancelled_effectively: bool
    #: The host organization (its color comes from /orgs/colors.css as `.org-<id>`).
    org_id: int
    primary_language: str
    #: Title by language, in the order the texts were written.
    titles: dict[str, str]

    @property
    def local_start(self) -> datetime:
        return self.start_at.astimezone(self.zone)

    def title(self, language: str) -> str:
        """As `Event.translation`: in `language`, else the primary language, else the first."""
        return (
            self.titles.get(language)
            or self.titles.get(self.primary_language)
            or next(iter(self.titles.values()), "")
        )


def month_occurrences(
    filters: CalendarFilters,
    *,
    user: User | None,
    zone: ZoneInfo,
    days: list[date],
    per_day: int,
) -> tuple[list[MonthEntry], set[date]]:
    """The first `per_day` listed dates starting on each of `days` (in the coalition's zone),
    and the days that have more, in three queries. Each day is its own index seek, so a month
    costs the same with 10,000 or 100,000 events; the grid gets only what a cell shows."""
    base = replace(filters, start=None, end=None)
    ids = (
        sa.select(Occurrence.id)
        .join(Occurrence.event)
        .where(visible_events_clause(user), *_event_filter_clauses(base))
        .where(*_window(Occurrence, base, zone=zone, after=None, before=None, longest=None))
        .order_by(Occurrence.start_at, Occurrence.id)
        .limit(per_day + 1)
    )
    bounds = [
        (
            datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC),
            day.toordinal(),
        )
        for day in days
    ]
    if not bounds:
        return [], set()
    if db.engine.dialect.name == "postgresql":
        # One LATERAL seek per day: planned once, whatever the number of days.
        moments = postgresql.ARRAY(sa.DateTime(timezone=True))
        grid = (
            sa.func.unnest(
                sa.literal([b[0] for b in bounds], moments),
                sa.literal([b[1] for b in bounds], moments),
                sa.literal([b[2] for b in bounds], postgresql.ARRAY(sa.Integer)),
            )
            .table_valued("day_start", "day_end", "day")
            .render_derived(name="grid")
        )
        seek = ids.where(
            Occurrence.start_at >= grid.c.day_start, Occurrence.start_at < grid.c.day_end
        ).lateral("seek")
        picked = sa.select(seek.c.id, grid.c.day).select_from(grid).join(seek, sa.true())
    else:  # SQLite plans a UNION ALL of one seek per day quickly
        branches = [
            sa.select(
                ids.add_columns(sa.literal(day).label("day"))
                .where(Occurrence.start_at >= start, Occurrence.start_at < end)
                .subquery()
            )
            for start, end, day in bounds
        ]
        union = sa.union_all(*branches).subquery()
        picked = sa.select(union.c.id, union.c.day)
    rows = db.session.execute(picked).all()
    counts: dict[int, int] = {}
    keep: list[int] = []
    for row in rows:
        counts[row.day] = counts.get(row.day, 0) + 1
        if counts[row.day] <= per_day:
            keep.append(row.id)
    more = {date.fromordinal(day) for day, n in counts.items() if n > per_day}
    if not keep:
        return [], more
    rows = db.session.execute(
        sa.select(
            Occurrence.id,
            Occurrence.event_id,
            Occurrence.start_at,
            Occurrence.is_cancelled,
            Event.status,
            Event.timezone,
            Event.is_all_day,
            Event.primary_language,
            Event.host_org_id,
        )
        .join(Occurrence.event)
        .where(Occurrence.id.in_(keep))
        .order_by(Occurrence.start_at, Occurrence.id)
    ).all()
    titles: dict[int, dict[str, str]] = {}
    for event_id, language, title in db.session.execute(
        sa.select(EventTranslation.event_id, EventTranslation.language, EventTranslation.title)
        .where(EventTranslation.event_id.in_({row.event_id for row in rows}))
        .order_by(EventTranslation.id)
    ):
        titles.setdefault(event_id, {})[language] = title
    entries = [
        MonthEntry(
            id=row.id,
            event_id=row.event_id,
            start_at=row.start_at,
            zone=ZoneInfo(row.timezone),
            is_all_day=row.is_all_day,
            is_cancelled_effectively=row.is_cancelled or row.status == EventStatus.cancelled,
            org_id=row.host_org_id,
            primary_language=row.primary_language,
            titles=titles.get(row.event_id, {}),
        )
        for row in rows
    ]
    return entries, more
