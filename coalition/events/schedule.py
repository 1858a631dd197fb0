"""Changes that happen by the clock alone, applied at their moment.

Some of what pages, the API and feeds show changes without anyone writing anything: a place
hidden "until N hours before" becomes public, RSVPs open or close (at their times, and when a date
starts), a date ends and leaves the upcoming listings. Caches are kept under the calendar version
(`coalition.calendar_version`), which only a commit moves; so the worker runs `apply_due` at each
such moment (`due_moments` tells it which are coming, a minute ahead) and every minute, and it
raises exactly the versions that moment changes:

- a place revealed: the event's `revision` (its feed fragments are built again, now with the
  place) and with it PUBLIC (feeds, pages, the API);
- RSVPs opening or closing, a date starting: ATTENDANCE (the event's and date's pages and the
  API's event answer; no feed shows it);
- a date ending: UPCOMING (the listings of what is coming: home, calendar, archive, the API's list,
  the embedded calendar).

Whatever was due since the last run (`CLOCK_KEY`'s time in `calendar_versions`, written in the
same transaction) is applied once, so a worker that was down catches up when it comes back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from coalition import calendar_version
from coalition.calendar_version import ATTENDANCE, UPCOMING, CalendarVersion
from coalition.db import utcnow
from coalition.events.models import Event, EventStatus, LocationVisibility, Occurrence
from coalition.extensions import db

#: The row of `calendar_versions` whose `changed_at` is the moment up to which clock changes
#: were applied (not a version: no cache reads it).
CLOCK_KEY = "clock"
#: How far back a first run looks (feeds show 90 days of past dates).
FIRST_LOOKBACK = timedelta(days=90)


def _published():
    return Event.status == EventStatus.published


def _reveals(since: datetime, until: datetime) -> list[tuple[int, datetime]]:
    """(event id, reveal moment) of the hidden places that become public in (since, until]."""
    longest = db.session.scalar(
        sa.select(sa.func.max(Event.location_reveal_hours)).where(
            Event.location_visibility == LocationVisibility.hidden_until, _published()
        )
    )
    rows = db.session.execute(
        sa.select(Occurrence.event_id, Occurrence.start_at, Event.location_reveal_hours)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            Event.location_visibility == LocationVisibility.hidden_until,
            _published(),
            Occurrence.start_at > since,
            Occurrence.start_at <= until + timedelta(hours=longest or 0),
        )
    )
    found = []
    for event_id, start_at, hours in rows:
        moment = start_at - timedelta(hours=hours or 0)
        if since < moment <= until:
            found.append((event_id, moment))
    return found


def _between(column, since: datetime, until: datetime):
    return sa.and_(column > since, column <= until)


def _rsvp_moments(since: datetime, until: datetime) -> list[datetime]:
    """RSVPs opening or closing (their times, or a date starting) in (since, until]."""
    moments = []
    for column in (Event.rsvp_opens_at, Event.rsvp_closes_at):
        moments += db.session.scalars(
            sa.select(column).where(_published(), _between(column, since, until))
        )
    moments += db.session.scalars(
        sa.select(Occurrence.start_at)
        .join(Event, Event.id == Occurrence.event_id)
        .where(_published(), _between(Occurrence.start_at, since, until))
    )
    return moments


def _ends(since: datetime, until: datetime) -> list[datetime]:
    return list(
        db.session.scalars(
            sa.select(Occurrence.end_at)
            .join(Event, Event.id == Occurrence.event_id)
            .where(_published(), _between(Occurrence.end_at, since, until))
        )
    )


def due_moments(after: datetime, horizon: timedelta) -> list[datetime]:
    """Every moment in (after, after + horizon] at which something changes by the clock alone,
    in order (the worker wakes at each one)."""
    until = after + horizon
    moments = {moment for _event, moment in _reveals(after, until)}
    moments.update(_rsvp_moments(after, until))
    moments.update(_ends(after, until))
    return sorted(moments)


def _applied_until() -> datetime | None:
    return db.session.scalar(
        sa.select(CalendarVersion.changed_at).where(CalendarVersion.key == CLOCK_KEY)
    )


def _mark_applied(until: datetime) -> None:
    """One statement, row made or moved: two workers started together both mark the first run
    (a read then an INSERT let the second one fail on the row the first had just made)."""
    insert = calendar_version.upsert_insert(db.engine.dialect.name)
    db.session.execute(
        insert(CalendarVersion)
        .values(key=CLOCK_KEY, version=0, changed_at=until)
        .on_conflict_do_update(index_elements=[CalendarVersion.key], set_={"changed_at": until})
    )


def apply_due(now: datetime | None = None) -> int:
    """Raise the versions of what changed by the clock since the last run, up to `now`; returns
    how many changes it found. The caller commits (the versions move with that commit)."""
    now = now or utcnow()
    since = _applied_until() or now - FIRST_LOOKBACK
    if since >= now:
        return 0
    revealed = {event_id for event_id, _moment in _reveals(since, now)}
    rsvps = _rsvp_moments(since, now)
    ends = _ends(since, now)
    if revealed:  # an ORM statement: the listeners raise PUBLIC with it
        db.session.execute(
            sa.update(Event)
            .where(Event.id.in_(sorted(revealed)))
            .values(revision=Event.revision + 1)
            .execution_options(synchronize_session=False)
        )
    if rsvps:
        calendar_version.bump(db.session, ATTENDANCE)
    if ends:
        calendar_version.bump(db.session, UPCOMING)
    _mark_applied(now)
    return len(revealed) + len(rsvps) + len(ends)
