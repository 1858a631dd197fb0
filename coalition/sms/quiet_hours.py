"""No reminder text between 21:00 and 08:00 in the event's zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)


def quiet_until(moment: datetime, zone: str) -> datetime | None:
    """When the quiet hours around `moment` end (UTC), or None if `moment` is not in them.

    Wall-clock times in the zone, so the answer follows daylight saving changes.
    """
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=tz).astimezone(UTC)
