"""VTIMEZONE components that every client reads correctly.

icalendar can derive a VTIMEZONE from zoneinfo, but as long lists of RDATEs that end in 2038 and
that ical.js (Thunderbird) misreads. Calendar servers (Google, Outlook) publish the compact form
instead: one DAYLIGHT and one STANDARD sub-component, each with a yearly RRULE. We do the same,
derived from zoneinfo for the years a feed covers, and fall back to RDATEs for a zone whose rule
changed within those years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@dataclass(frozen=True)
class Transition:
    #: Local wall-clock time of the change, in the offset in force before it.
    local: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool

    def rule_key(self) -> tuple:
        day = self.local.day
        position = -1 if day + 7 > _days_in_month(self.local) else (day - 1) // 7 + 1
        return (self.local.month, position, self.local.weekday(), self.local.time(),
                self.offset_from, self.offset_to)  # fmt: skip


def _days_in_month(moment: datetime) -> int:
    first_next = (moment.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (first_next - timedelta(days=1)).day


def transitions(zone: ZoneInfo, first_year: int, last_year: int) -> list[Transition]:
    """Offset changes of `zone` between the two years (inclusive), found by bisection."""
    found: list[Transition] = []
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(days=1)
    moment = start
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + step
        new_offset = following.astimezone(zone).utcoffset()
        if new_offset != offset:
            low, high = moment, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            after = high.astimezone(zone)
            found.append(
                Transition(
                    local=(high + offset).replace(tzinfo=None, second=0, microsecond=0),
                    offset_from=offset,
                    offset_to=new_offset,
                    name=after.tzname() or "",
                    is_dst=bool(after.dst()),
                )
            )
            offset = new_offset
        moment = following
    return found


def _component(kind, transitions_: list[Transition]):
    first = transitions_[0]
    component = kind()
    component.add("dtstart", first.local)
    component.add("tzoffsetfrom", first.offset_from)
    component.add("tzoffsetto", first.offset_to)
    component.add("tzname", first.name)
    if len({t.rule_key() for t in transitions_}) == 1 and len(transitions_) > 1:
        month, position, weekday, _time, _from, _to = first.rule_key()
        component.add(
            "rrule",
            vRecur(
                {"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"{position}{_WEEKDAYS[weekday]}"}
            ),
        )
    elif len(transitions_) > 1:
        component.add("rdate", [t.local for t in transitions_[1:]])
    return component


@lru_cache(maxsize=256)
def vtimezone_ical(tzid: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE's text (what feeds concatenate), cached per zone and years."""
    return _build_vtimezone(tzid, first_year, last_year).to_ical()


def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for `tzid` valid for the given years (and, for regular zones, beyond).

    Computing transitions costs milliseconds; the result is cached per zone and years and a fresh
    component parsed from it each time (components are mutable)."""
    return Timezone.from_ical(vtimezone_ical(tzid, first_year, last_year))


def _build_vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    zone = ZoneInfo(tzid)
    timezone = Timezone()
    timezone.add("tzid", tzid)
    changes = transitions(zone, first_year - 1, last_year + 1)
    if not changes:
        moment = datetime(first_year, 7, 1, tzinfo=UTC).astimezone(zone)
        standard = TimezoneStandard()
        standard.add("dtstart", datetime(1970, 1, 1))
        standard.add("tzoffsetfrom", moment.utcoffset())
        standard.add("tzoffsetto", moment.utcoffset())
        standard.add("tzname", moment.tzname() or tzid)
        timezone.add_component(standard)
        return timezone
    daylight = [t for t in changes if t.is_dst]
    standard = [t for t in changes if not t.is_dst]
    if daylight:
        timezone.add_component(_component(TimezoneDaylight, daylight))
    if standard:
        timezone.add_component(_component(TimezoneStandard, standard))
    return timezone
