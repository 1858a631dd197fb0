"""Dates and times of events, shown in the event's own zone, in the reader's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval, format_time
from flask_babel import get_locale

# One moment's text lives with the languages, below the channels that write it in texts
# (format_moment is imported from here by the features).
from coalition.i18n import (
    date_locale,
    day_and_time,
    format_moment,  # noqa: F401
    zone_abbreviation,
)


def _locale(locale: str | None):
    """The reader's language as Babel formats its dates (Creole has French patterns)."""
    return date_locale(locale or str(get_locale() or "en"))


def format_when(
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    all_day: bool = False,
    locale: str | None = None,
) -> str:
    """e.g. "Thursday, November 26, 2026 · 7:00 – 9:00 PM EST" in the event's zone."""
    loc = _locale(locale)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if all_day:
        last_day = (local_end - timedelta(seconds=1)).date()
        if last_day == local_start.date():
            return format_date(local_start.date(), "full", locale=loc)
        return format_interval(local_start.date(), last_day, "yMMMMEEEEd", locale=loc)
    abbreviation = zone_abbreviation(start, zone)
    if local_start.date() == local_end.date():
        day = format_date(local_start.date(), "full", locale=loc)
        hours = format_interval(
            local_start.time(), local_end.time(), "hm" if _uses_12h(loc) else "Hm", locale=loc
        )
        return f"{day} · {hours} {abbreviation}"
    return f"{day_and_time(local_start, loc)} – {day_and_time(local_end, loc)} {abbreviation}"


def format_day(day, locale: str | None = None) -> str:
    """ "Thursday, November 26, 2026": a listing's day heading."""
    return _day_heading(day, locale or str(get_locale() or "en"))


@lru_cache(maxsize=4096)
def _day_heading(day, locale: str) -> str:
    # A pure function of the day and the language, asked for by every listing's headings.
    return format_date(day, "full", locale=date_locale(locale))


def format_clock(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    clock = format_time(moment.astimezone(zone), "short", locale=_locale(locale))
    return f"{clock} {zone_abbreviation(moment, zone)}"


def _uses_12h(locale) -> bool:
    return str(locale).split("_")[0] in {"en"}


def format_month(day, locale: str | None = None) -> str:
    """ "November 2026" / "noviembre de 2026"."""
    from babel.dates import format_skeleton

    return format_skeleton("yMMMM", day, locale=_locale(locale))


def format_weekday(day, width: str = "abbreviated", locale: str | None = None) -> str:
    from babel.dates import format_date as _format_date

    pattern = {"abbreviated": "EEE", "wide": "EEEE"}[width]
    return _format_date(day, pattern, locale=_locale(locale))


def format_short_moment(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    """e.g. "Mar 15, 10:05 AM EDT" / "15 mar, 10:05 a. m. EDT": a moment with its day, short
    enough for a text."""
    from babel.dates import format_skeleton

    loc = _locale(locale)
    local = moment.astimezone(zone)
    day = format_skeleton("MMMd", local.date(), locale=loc)
    return f"{day}, {format_time(local, 'short', locale=loc)} {zone_abbreviation(moment, zone)}"
