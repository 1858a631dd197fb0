"""Recurrence rules: built from the form's choices, stored as RFC 5545 RRULE text, expanded in the
event's own zone so that local times survive daylight-saving changes.

Expansion is always bounded: a rule needs COUNT or UNTIL unless the organizer chose an open-ended
series. A bounded rule (COUNT ≤ `MAX_OCCURRENCES`, UNTIL ≤ `MAX_SPAN` after its first date) is
materialized completely, every date a row; an open-ended one `HORIZON` ahead (extended daily by the
worker). Feeds publish exactly the materialized dates, so site and calendar apps agree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from flask_babel import lazy_gettext as _l
from icalendar.prop import vRecur

#: Most dates one series may have.
MAX_OCCURRENCES = 500
#: How far ahead an open-ended series is materialized.
HORIZON = timedelta(days=400)
#: Latest UNTIL a series may have, counted from its first date.
MAX_SPAN = timedelta(days=5 * 366)

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class RecurrenceError(ValueError):
    """A rule we refuse; the message is for the organizer."""


class Frequency(enum.StrEnum):
    none = "none"
    weekly = "weekly"
    monthly_date = "monthly_date"
    monthly_weekday = "monthly_weekday"
    quarterly_date = "quarterly_date"
    quarterly_weekday = "quarterly_weekday"


@dataclass(frozen=True)
class RecurrenceSpec:
    """What the event form asks: how often, and until when."""

    frequency: Frequency = Frequency.none
    #: Every N weeks (weekly) or months (monthly); quarterly is every 3 months.
    interval: int = 1
    #: 1..4 for "the 1st..4th <weekday> of the month", -1 for "the last".
    week_position: int | None = None
    until: date | None = None
    count: int | None = None
    open_ended: bool = False


def week_position_of(day: date) -> int:
    """Which <weekday> of its month `day` is: 1..4, or -1 when it is the last (5th) one."""
    position = (day.day - 1) // 7 + 1
    return -1 if position >= 5 else position


def build_rrule(spec: RecurrenceSpec, local_start: datetime) -> str | None:
    """The RRULE value for `spec` starting at `local_start` (aware, in the event's zone)."""
    if spec.frequency == Frequency.none:
        return None
    if spec.interval < 1 or spec.interval > 52:
        raise RecurrenceError(_l("Repeat every 1 to 52 weeks or months."))
    parts: dict = {}
    weekday = WEEKDAYS[local_start.weekday()]
    if spec.frequency == Frequency.weekly:
        parts = {"FREQ": "WEEKLY", "BYDAY": [weekday]}
        if spec.interval > 1:
            parts["INTERVAL"] = spec.interval
    else:
        interval = 3 if spec.frequency.startswith("quarterly") else spec.interval
        parts = {"FREQ": "MONTHLY"}
        if interval > 1:
            parts["INTERVAL"] = interval
        if spec.frequency.endswith("_weekday"):
            position = spec.week_position or week_position_of(local_start.date())
            if position not in (1, 2, 3, 4, -1):
                raise RecurrenceError(_l("Choose the 1st, 2nd, 3rd, 4th or last weekday."))
            parts["BYDAY"] = [f"{position}{weekday}"]
        else:
            parts["BYMONTHDAY"] = [local_start.day]
    if spec.count is not None:
        if not 1 <= spec.count <= MAX_OCCURRENCES:
            raise RecurrenceError(_l("A series has between 1 and %(n)d dates.", n=MAX_OCCURRENCES))
        parts["COUNT"] = spec.count
    elif spec.until is not None:
        if spec.until < local_start.date():
            raise RecurrenceError(_l("The series must end after its first date."))
        # RFC 5545: with a zoned DTSTART, UNTIL is given in UTC.
        end_of_day = datetime.combine(spec.until, time(23, 59, 59), tzinfo=local_start.tzinfo)
        parts["UNTIL"] = end_of_day.astimezone(UTC)
    elif not spec.open_ended:
        raise RecurrenceError(_l("Say when the series ends: a date, a number of times, or never."))
    rule = vRecur(parts).to_ical().decode()
    validate_rrule(rule, local_start)
    return rule


def validate_rrule(rule: str, local_start: datetime, *, open_ended_ok: bool = True) -> None:
    """Refuse rules we cannot expand safely: unparsable, too long, or too frequent."""
    upper = rule.upper()
    if "DTSTART" in upper or "\n" in rule:
        raise RecurrenceError(_l("The repeat rule is not valid."))
    try:
        parsed = rrulestr(rule, dtstart=local_start)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(_l("The repeat rule is not valid.")) from exc
    freq = getattr(parsed, "_freq", None)
    if freq is not None and freq > 2:  # 3 = DAILY and finer
        raise RecurrenceError(_l("An event repeats at most weekly."))
    count = getattr(parsed, "_count", None)
    until = getattr(parsed, "_until", None)
    if count is not None and count > MAX_OCCURRENCES:
        raise RecurrenceError(_l("A series has between 1 and %(n)d dates.", n=MAX_OCCURRENCES))
    if until is not None and until - local_start > MAX_SPAN:
        raise RecurrenceError(_l("A series can run for at most five years."))
    if count is None and until is None and not open_ended_ok:
        raise RecurrenceError(_l("Say when the series ends: a date, a number of times, or never."))


def is_bounded(rule: str) -> bool:
    """Does the rule end by itself (COUNT or UNTIL)?"""
    parts = vRecur.from_ical(rule)
    return "COUNT" in parts or "UNTIL" in parts


def expand(
    rule: str,
    local_start: datetime,
    *,
    until: datetime | None = None,
    limit: int = MAX_OCCURRENCES,
    now: datetime | None = None,
) -> list[datetime]:
    """Local (aware) start times of the series, at most `limit`, none after `until` (UTC).

    Without `until`, a bounded rule gives all its dates and an open-ended one those up to
    `HORIZON` after `now`. dateutil keeps the wall-clock time and zoneinfo gives each date its
    own UTC offset, so a 7 pm meeting stays at 7 pm local across daylight-saving changes.
    """
    parsed = rrulestr(rule, dtstart=local_start)
    horizon = until
    if horizon is None and not is_bounded(rule):
        horizon = (now or datetime.now(UTC)) + HORIZON
    starts: list[datetime] = []
    for start in parsed:
        if (horizon is not None and start > horizon) or len(starts) >= limit:
            break
        starts.append(start)
    return starts


def describe(spec_rule: str | None) -> dict:
    """The rule's parts as a dict (for the API and form pre-filling)."""
    if not spec_rule:
        return {}
    return dict(vRecur.from_ical(spec_rule).items())


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
