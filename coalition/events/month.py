"""The month grid of the calendar: what each day shows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy.dialects import postgresql

from coalition.auth.models import User
from coalition.core.fragments import cached_many
from coalition.db import UTCDateTime
from coalition.events.models import (
    Event,
    EventStatus,
    EventTranslation,
    Occurrence,
    is_coalition_member,
)
from coalition.events.queries import (
    CalendarFilters,
    Placeholders,
    event_filter_clauses,
    event_filter_values,
    shaped_statement,
    visible_events_clause,
    window_clauses,
    window_values,
)
from coalition.extensions import db


@dataclass
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
    #: Raised by every change to the event (`calendar_version`): the cell's fragment key.
    revision: int
    #: Title by language, in the order the texts were written (`load_titles`).
    titles: dict[str, str] = field(default_factory=dict)

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
    and the days that have more, in one query (their titles: `load_titles`). Each day is its
    own index seek that reads what a cell shows along the way (reading ids first and joining
    back cost the database a third more), so a month costs the same with 10,000 or 100,000
    events."""
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
    base = replace(filters, start=None, end=None)  # the grid's days are the dates' bounds
    values = {
        **event_filter_values(base),
        **window_values(base, zone=zone, after=None, before=None, longest=None),
        "limit": per_day + 1,
    }
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        values.update(
            day_starts=[b[0] for b in bounds],
            day_ends=[b[1] for b in bounds],
            days=[b[2] for b in bounds],
        )
    else:  # one branch per day, its bounds named by position
        for n, (start, end, day) in enumerate(bounds):
            values.update({f"start_{n}": start, f"end_{n}": end, f"day_{n}": day})
    members = is_coalition_member(user)

    def make(v: Placeholders) -> sa.Select:
        return _month_statement(v, include_members=members, dialect=dialect, days=len(bounds))

    statement = shaped_statement(("month", members, dialect), values, make)
    rows = db.session.execute(statement, values).all()
    counts: dict[int, int] = {}
    entries: list[MonthEntry] = []
    for row in rows:
        counts[row.day] = counts.get(row.day, 0) + 1
        if counts[row.day] > per_day:
            continue
        entries.append(
            MonthEntry(
                id=row.id,
                event_id=row.event_id,
                start_at=row.start_at,
                zone=ZoneInfo(row.timezone),
                is_all_day=row.is_all_day,
                is_cancelled_effectively=row.is_cancelled or row.status == EventStatus.cancelled,
                org_id=row.host_org_id,
                primary_language=row.primary_language,
                revision=row.revision,
            )
        )
    more = {date.fromordinal(day) for day, n in counts.items() if n > per_day}
    return entries, more


def load_titles(entries: list[MonthEntry]) -> None:
    """The titles of `entries` (one query; only for cells to render)."""
    titles: dict[int, dict[str, str]] = {}
    for event_id, language, title in db.session.execute(
        sa.select(EventTranslation.event_id, EventTranslation.language, EventTranslation.title)
        .where(EventTranslation.event_id.in_({entry.event_id for entry in entries}))
        .order_by(EventTranslation.id)
    ):
        titles.setdefault(event_id, {})[language] = title
    for entry in entries:
        entry.titles = titles.get(entry.event_id, {})


#: Version of the cell's markup: raise it when `_month_cell.html` changes what it shows.
CELL_LAYOUT = 1


def render_cells(
    weeks: list[list[date]],
    by_day: dict[date, list[MonthEntry]],
    more: set[date],
    *,
    first: date,
    today: date,
    args: dict[str, list[str]],
) -> dict[date, Markup]:
    """Each day's cell of the grid, stored once per key and language (`core/fragments.py`):
    the key names the day, whether it is today, the dates it shows (and their events'
    revisions), whether it links to more and the filters in that link."""
    locale = str(get_locale() or "en")
    template = current_app.jinja_env.get_template("events/public/_month_cell.html")
    days = [d for week in weeks for d in week]
    shown = [entry for d in days for entry in by_day.get(d, [])]
    loaded = False
    filters_key = urlencode(sorted((k, v) for k, vs in args.items() for v in vs))

    def render(d: date):
        def run() -> str:
            nonlocal loaded
            if not loaded:
                load_titles(shown)
                loaded = True
            return template.render(
                d=d,
                first=first,
                today=today,
                entries=by_day.get(d, []),
                has_more=d in more,
                args=args,
                current_locale=locale,
            )

        return run

    items = [
        (
            (
                CELL_LAYOUT,
                d.isoformat(),
                int(d.month == first.month),
                int(d == today),
                ",".join(f"{e.id}.{e.revision}" for e in by_day.get(d, [])),
                int(d in more),
                filters_key if d in more else "",
            ),
            render(d),
        )
        for d in days
    ]
    return dict(zip(days, cached_many("month-cell", items), strict=True))


def _month_statement(
    v: Placeholders, *, include_members: bool, dialect: str, days: int
) -> sa.Select:
    """`month_occurrences`'s statement: each day's first `limit` dates, with what a cell shows."""
    shown = (
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
            Event.revision,
        )
        .join(Occurrence.event)
        .where(
            visible_events_clause(include_members=include_members),
            *event_filter_clauses(v),
            *window_clauses(Occurrence, v),
        )
        .order_by(Occurrence.start_at, Occurrence.id)
        .limit(v.typed("limit", sa.Integer))
    )
    if dialect == "postgresql":
        # One LATERAL seek per day: planned once, whatever the number of days.
        moments = postgresql.ARRAY(sa.DateTime(timezone=True))
        grid = (
            sa.func.unnest(
                v.typed("day_starts", moments),
                v.typed("day_ends", moments),
                v.typed("days", postgresql.ARRAY(sa.Integer)),
            )
            .table_valued("day_start", "day_end", "day")
            .render_derived(name="grid")
        )
        seek = shown.where(
            Occurrence.start_at >= grid.c.day_start, Occurrence.start_at < grid.c.day_end
        ).lateral("seek")
        return (
            sa.select(grid.c.day, seek)
            .select_from(grid)
            .join(seek, sa.true())
            .order_by(grid.c.day, seek.c.start_at, seek.c.id)
        )
    # SQLite plans a UNION ALL of one seek per day quickly.
    branches = [
        sa.select(
            shown.add_columns(v.typed(f"day_{n}", sa.Integer).label("day"))
            .where(
                Occurrence.start_at >= v.typed(f"start_{n}", UTCDateTime),
                Occurrence.start_at < v.typed(f"end_{n}", UTCDateTime),
            )
            .subquery()
        )
        for n in range(days)
    ]
    union = sa.union_all(*branches).subquery()
    return sa.select(union).order_by(union.c.day, union.c.start_at, union.c.id)
