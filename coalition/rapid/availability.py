"""When a responder can be alerted: always, or in weekly hours kept in their own IANA zone.

Hours are wall-clock times in the responder's zone: "Mon 18:00-23:00" stays 18:00-23:00 local
on both sides of a daylight-saving change (the UTC moments move, the hours do not).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

#: Weekday names (English, Spanish, Creole, Portuguese; first three letters) → 0=Monday.
_DAYS = {
    **dict.fromkeys(["mon", "lun", "seg"], 0),
    **dict.fromkeys(["tue", "mar", "ter"], 1),
    **dict.fromkeys(["wed", "mie", "mié", "mer", "qua"], 2),
    **dict.fromkeys(["thu", "jue", "jed", "qui"], 3),
    **dict.fromkeys(["fri", "vie", "van", "sex"], 4),
    **dict.fromkeys(["sat", "sab", "sáb", "sam"], 5),
    **dict.fromkeys(["sun", "dom", "dim"], 6),
}
_CLOCK = r"([01]?\d|2[0-3])(?::([0-5]\d))?"
_PART = re.compile(
    rf"^\s*(?P<first>\w{{3}})\w*\.?(?:\s*-\s*(?P<last>\w{{3}})\w*\.?)?\s+"
    rf"{_CLOCK}\s*-\s*{_CLOCK}\s*$",
    re.UNICODE,
)
_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class HoursError(ValueError):
    """The weekly hours could not be read."""


def parse_hours(text: str) -> list[list]:
    """ "Mon-Fri 18:00-23:00; Sat 8-20" → [[0, "18:00", "23:00"], ..., [5, "08:00", "20:00"]]."""
    hours: list[list] = []
    for part in re.split(r"[;\n,]+", text or ""):
        if not part.strip():
            continue
        match = _PART.match(part.lower())
        if match is None:
            raise HoursError(part.strip())
        first = _DAYS.get(match["first"][:3])
        last = _DAYS.get(match["last"][:3]) if match["last"] else first
        if first is None or last is None:
            raise HoursError(part.strip())
        start = f"{int(match.group(3)):02d}:{match.group(4) or '00'}"
        end = f"{int(match.group(5)):02d}:{match.group(6) or '00'}"
        if start == end:
            raise HoursError(part.strip())
        day = first
        while True:
            hours.append([day, start, end])
            if day == last:
                break
            day = (day + 1) % 7
    return hours


def format_hours(hours: list[list]) -> str:
    return "; ".join(f"{_NAMES[day]} {start}-{end}" for day, start, end in hours)


def _clock(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


def is_available(*, always: bool, hours: list[list], zone: str, at: datetime) -> bool:
    """True when `at` (aware) falls in one of the weekly `hours` read in `zone`."""
    if always:
        return True
    local = at.astimezone(ZoneInfo(zone))
    now, today = local.time().replace(tzinfo=None), local.weekday()
    yesterday = (today - 1) % 7
    for day, start_text, end_text in hours:
        start, end = _clock(start_text), _clock(end_text)
        if start < end:
            if day == today and start <= now < end:
                return True
        else:  # runs past midnight into the next day
            if day == today and now >= start:
                return True
            if day == yesterday and now < end:
                return True
    return False
