"""Time zone names as calendar software writes them, made IANA names.

Google, Apple and Thunderbird write IANA names ("America/New_York"). Outlook and Exchange write
Windows names ("Eastern Standard Time"), mapped by icalendar's copy of CLDR's windowsZones, or
their display labels ("(UTC-05:00) Eastern Time (US & Canada)"), mapped below. A name nobody
knows is matched on the offsets its VTIMEZONE gives (the UTC instants are right either way: they
come from the VTIMEZONE itself).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

#: Windows display labels (the part after "(UTC±hh:mm) ") of the zones member organizations and
#: their partners meet in, with the IANA zone CLDR gives their Windows zone.
DISPLAY_LABELS = {
    "Eastern Time (US & Canada)": "America/New_York",
    "Central Time (US & Canada)": "America/Chicago",
    "Mountain Time (US & Canada)": "America/Denver",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Arizona": "America/Phoenix",
    "Alaska": "America/Anchorage",
    "Hawaii": "Pacific/Honolulu",
    "Atlantic Time (Canada)": "America/Halifax",
    "Newfoundland": "America/St_Johns",
    "Indiana (East)": "America/Indiana/Indianapolis",
    "Puerto Rico": "America/Puerto_Rico",
    "Haiti": "America/Port-au-Prince",
    "Havana": "America/Havana",
    "Bogota, Lima, Quito, Rio Branco": "America/Bogota",
    "Guadalajara, Mexico City, Monterrey": "America/Mexico_City",
    "Central America": "America/Guatemala",
    "Brasilia": "America/Sao_Paulo",
    "Cayenne, Fortaleza": "America/Cayenne",
    "Georgetown, La Paz, Manaus, San Juan": "America/La_Paz",
    "Santiago": "America/Santiago",
    "City of Buenos Aires": "America/Argentina/Buenos_Aires",
    "Caracas": "America/Caracas",
    "Cabo Verde Is.": "Atlantic/Cape_Verde",
    "Azores": "Atlantic/Azores",
    "Coordinated Universal Time": "UTC",
    "Dublin, Edinburgh, Lisbon, London": "Europe/London",
    "Monrovia, Reykjavik": "Atlantic/Reykjavik",
    "Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna": "Europe/Berlin",
    "Brussels, Copenhagen, Madrid, Paris": "Europe/Paris",
    "West Central Africa": "Africa/Lagos",
    "Nairobi": "Africa/Nairobi",
    "Harare, Pretoria": "Africa/Johannesburg",
    "Cairo": "Africa/Cairo",
    "Istanbul": "Europe/Istanbul",
    "Moscow, St. Petersburg": "Europe/Moscow",
    "Chennai, Kolkata, Mumbai, New Delhi": "Asia/Kolkata",
    "Hanoi": "Asia/Bangkok",
    "Bangkok, Hanoi, Jakarta": "Asia/Bangkok",
    "Beijing, Chongqing, Hong Kong, Urumqi": "Asia/Shanghai",
    "Manila": "Asia/Manila",
    "Osaka, Sapporo, Tokyo": "Asia/Tokyo",
    "Canberra, Melbourne, Sydney": "Australia/Sydney",
}
_LABEL = re.compile(r"^\(\s*(?:UTC|GMT)\s*(?:[+-]\d{1,2}:?\d{2})?\s*\)\s*(.+)$", re.I)


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=512)
def iana_name(tzid: str | None) -> str | None:
    """The IANA name for a TZID as written by calendar software; None when unknown."""
    if not tzid:
        return None
    name = tzid.strip().strip('"')
    # Some exporters prefix a path: "/mozilla.org/20050126_1/America/New_York".
    if name.startswith("/"):
        parts = name.strip("/").split("/")
        for start in range(len(parts) - 1):
            candidate = "/".join(parts[start:])
            if _zone(candidate) is not None:
                return candidate
    if ("/" in name or name in ("UTC", "GMT")) and _zone(name) is not None:
        return "UTC" if name == "GMT" else name
    if name in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[name]
    match = _LABEL.match(name)
    if match and match.group(1).strip() in DISPLAY_LABELS:
        return DISPLAY_LABELS[match.group(1).strip()]
    if name in DISPLAY_LABELS:
        return DISPLAY_LABELS[name]
    return None


def _offsets(zone: tzinfo, year: int) -> tuple:
    moments = [datetime(year, month, 15, 12) for month in (1, 4, 7, 10)]
    return tuple(zone.utcoffset(m) or timedelta(0) for m in moments)


def zone_like(zone: tzinfo, year: int) -> str:
    """An IANA zone with the same offsets as `zone` (a VTIMEZONE) through `year`; "UTC" if
    none."""
    wanted = _offsets(zone, year)
    preferred = [*DISPLAY_LABELS.values(), *sorted(set(WINDOWS_TO_OLSON.values()))]
    for name in preferred:
        candidate = _zone(name)
        if candidate is not None and _offsets(candidate, year) == wanted:
            return name
    return "UTC"
