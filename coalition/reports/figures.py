"""The figures a report shows, from frozen dates (and, for dates that ended but are not purged
yet, from their rows as they are): totals, breakdowns, months, series return rates, rapid
response. `protected` turns them into cells with small numbers hidden (`cells.py`)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from coalition.db import utcnow
from coalition.events.models import Event, EventStatus, EventType, Occurrence
from coalition.extensions import db
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.models import Organization
from coalition.rapid.models import AlertSummary
from coalition.reports import cells
from coalition.reports.models import DateFigures, SeriesFigures
from coalition.reports.operations import NEEDS, OTHER, SIGNUP_BUCKETS, figures_for, known_towns

#: The totals of a report, in the order shown.
TOTALS = (
    "dates", "bilingual_dates", "rsvps", "people", "checked_in_people", "checked_in",
    "no_shows", "walk_ins", "cancelled", "waitlisted", "promoted", "still_waiting",
    "series_rsvps", "delegations", "reminders_sent", "emails_sent", "texts_sent",
)  # fmt: skip
#: Totals that count no person (dates, groups): shown whatever their size.
NOT_PEOPLE = ("dates", "bilingual_dates", "delegations")
#: Totals that add up to something else shown: one hidden, the other hidden too.
COMPLEMENTS = (("checked_in", "no_shows"), ("promoted", "still_waiting"))
#: (whole, part): totals of which one is a part of the other, both shown: a small difference
#: would be a handful of people (e.g. people confirmed minus people checked in), so the part
#: is withheld.
NESTED = (
    ("rsvps", "checked_in"), ("people", "checked_in_people"), ("rsvps", "series_rsvps"),
    ("waitlisted", "promoted"), ("rsvps", "cancelled"),
)  # fmt: skip
#: (series figures, date totals): every person the series' figures count (added together:
#: they count different people) is counted again in each of those totals of each of its dates,
#: or nearly: a series registration has one RSVP on each date of the series (from its first
#: date after registering), and whoever came to all (registered, or opted in) was checked in
#: at each. A small gap between them on one date would be a handful of people: registered 9,
#: a date's RSVPs from series registrations 10 (one cancelled registration; 11 and 10: one
#: registered late); registered 10, a date's RSVPs 13 (3 RSVPed for that date only); 5 came to
#: all, 7 checked in on a date (2 came that day who did not come to all). Where the series'
#: figures are shown (`_came_to_all`), the date's total is withheld, and so is any sum over it
#: (`build`); the series' figures stay (the share of those who came to all rests on them).
SERIES_NESTED = (
    (("registrations",), ("series_rsvps", "rsvps", "people")),
    (("came_to_all",),
     ("series_rsvps", "rsvps", "people", "checked_in", "checked_in_people")),
    (("opted_in_came_to_all",), ("rsvps", "people", "checked_in", "checked_in_people")),
    (("came_to_all", "opted_in_came_to_all"),
     ("rsvps", "people", "checked_in", "checked_in_people")),
    (("registrations", "opted_in_came_to_all"), ("rsvps", "people")),
)  # fmt: skip
#: The Nth "On my way" whose time rapid response figures give besides the first.
#: The pages and the CSV name it in words ("the third “On my way”"): change them with it.
NTH_GOING = 3


class ReportError(ValueError):
    """A filter that cannot be read (answered 400 with this message)."""


@dataclass
class Filters:
    start: date | None = None
    end: date | None = None
    org_id: int | None = None
    type_id: int | None = None
    language: str | None = None
    #: A town the calendar showed (the dates' own, public).
    town: str | None = None
    event_id: int | None = None
    occurrence_id: int | None = None

    def query_args(self) -> dict:
        return {
            key: value
            for key, value in {
                "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None,
                "org": self.org_id, "type": self.type_id, "language": self.language,
                "town": self.town,
            }.items()
            if value
        }  # fmt: skip


def _date(text: str, label) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ReportError(_l("%(field)s: give a date as YYYY-MM-DD.", field=label)) from None
    if not 1900 <= value.year <= 2200:
        raise ReportError(_l("%(field)s: give a date as YYYY-MM-DD.", field=label))
    return value


def _id(text: str, label) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise ReportError(_l("%(field)s: choose one from the list.", field=label))
    return int(text)


def parse_filters(args) -> Filters:
    """Filters from a query string; a bad one raises ReportError."""
    filters = Filters(
        start=_date(args.get("from", ""), _l("From")),
        end=_date(args.get("to", ""), _l("To")),
        org_id=_id(args.get("org", ""), _l("Organization")),
        type_id=_id(args.get("type", ""), _l("Type")),
        language=(args.get("language") or "").strip() or None,
        town=" ".join((args.get("town") or "").split())[:120] or None,
    )
    if filters.language and filters.language not in CONTENT_LANGUAGES:
        raise ReportError(_l("%(field)s: choose one from the list.", field=_l("Language")))
    if filters.start and filters.end and filters.end < filters.start:
        raise ReportError(_l("The end of the period comes before its start."))
    return filters


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["COALITION_TIMEZONE"])


def _bounds(filters: Filters) -> tuple[datetime | None, datetime | None]:
    zone = _zone()
    start = (
        datetime.combine(filters.start, time.min, zone).astimezone(UTC) if filters.start else None
    )
    end = (
        datetime.combine(filters.end + timedelta(days=1), time.min, zone).astimezone(UTC)
        if filters.end
        else None
    )
    return start, end


def date_figures(filters: Filters, now: datetime | None = None) -> list[DateFigures]:
    """Dates that ended, matching the filters: frozen counts, or live ones before the purge."""
    now = now or utcnow()
    start, end = _bounds(filters)
    frozen = sa.select(DateFigures)
    live = (
        sa.select(Occurrence)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            Occurrence.end_at < now,
            Event.status.in_((EventStatus.published, EventStatus.cancelled)),
            Occurrence.id.not_in(
                sa.select(DateFigures.occurrence_id).where(DateFigures.occurrence_id.is_not(None))
            ),
        )
    )
    for column, value, live_column in (
        (DateFigures.org_id, filters.org_id, Event.host_org_id),
        (DateFigures.type_id, filters.type_id, Event.type_id),
        (DateFigures.event_id, filters.event_id, Event.id),
        (DateFigures.occurrence_id, filters.occurrence_id, Occurrence.id),
    ):
        if value is not None:
            frozen = frozen.where(column == value)
            live = live.where(live_column == value)
    if start is not None:
        frozen = frozen.where(DateFigures.start_at >= start)
        live = live.where(Occurrence.start_at >= start)
    if end is not None:
        frozen = frozen.where(DateFigures.start_at < end)
        live = live.where(Occurrence.start_at < end)
    rows = list(db.session.scalars(frozen))
    occurrences = db.session.scalars(live).all()
    if occurrences:
        towns = known_towns()
        rows.extend(figures_for(o, towns) for o in occurrences)
    if filters.language:
        rows = [r for r in rows if filters.language in (r.languages or [])]
    if filters.town:
        wanted = filters.town.casefold()
        rows = [r for r in rows if (r.town or "").strip().casefold() == wanted]
    return sorted(rows, key=lambda r: r.start_at)


@dataclass
class Report:
    totals: dict[str, int] = field(default_factory=dict)
    #: name → ordered {label: count}
    breakdowns: dict[str, dict[str, int]] = field(default_factory=dict)
    series: list[dict] = field(default_factory=list)
    rapid: list[dict] = field(default_factory=list)
    rapid_towns: list[dict] = field(default_factory=list)
    #: Figures one of the dates hides on its own (withheld from the sum too).
    withheld_totals: set[str] = field(default_factory=set)
    withheld_breakdowns: dict[str, set] = field(default_factory=lambda: defaultdict(set))


def _label_language(code: str) -> str:
    return str(_l("Other")) if code == OTHER else CONTENT_LANGUAGES.get(code, code)


def _tally(held: list[DateFigures], org_names: dict) -> tuple[dict, dict]:
    """Totals and breakdowns over `held` (dates not cancelled)."""
    totals: Counter = Counter()
    breakdown: dict[str, Counter] = defaultdict(Counter)
    months: Counter = Counter()
    zone = _zone()
    for row in held:
        totals["dates"] += 1
        totals["bilingual_dates"] += row.is_bilingual
        for name in TOTALS[2:]:
            totals[name] += getattr(row, name) or 0
        for name in ("language", "needs", "organization", "town", "signups"):
            breakdown[name].update((row.breakdown or {}).get(name, {}))
        months[row.start_at.astimezone(zone).strftime("%Y-%m")] += row.people or 0
    breakdowns = {
        "month": dict(sorted(months.items())),
        "language": {_label_language(code): n for code, n in breakdown["language"].most_common()},
        "needs": {need: breakdown["needs"].get(need, 0) for need in NEEDS},
        "organization": {
            org_names.get(int(org_id), str(_l("Other"))): n
            for org_id, n in breakdown["organization"].most_common()
        },
        "town": {
            (str(_l("Other")) if town == OTHER else town): n
            for town, n in breakdown["town"].most_common()
        },
        "signups": {label: breakdown["signups"].get(label, 0) for label, *_ in SIGNUP_BUCKETS},
    }
    return {name: int(totals[name]) for name in TOTALS}, breakdowns


def build(filters: Filters, *, with_rapid: bool = True, now: datetime | None = None) -> Report:
    rows = date_figures(filters, now)
    held = [r for r in rows if not r.is_cancelled]
    org_names = dict(db.session.execute(sa.select(Organization.id, Organization.name)).all())
    totals, breakdowns = _tally(held, org_names)
    report = Report(totals=totals, breakdowns=breakdowns)
    minimum = cells.min_cell()
    report.withheld_totals.update(_apart_from_series(held, minimum))
    if len(held) > 1:
        # Differencing: what one date hides on its own stays hidden in any sum over it.
        for row in held:
            one_totals, one_breakdowns = _tally([row], org_names)
            alone = protected(Report(totals=one_totals, breakdowns=one_breakdowns), minimum)
            report.withheld_totals.update(n for n, c in alone.totals.items() if c.hidden)
            for name, values in alone.breakdowns.items():
                report.withheld_breakdowns[name].update(k for k, c in values.items() if c.hidden)
    report.series = _series(filters, rows, now)
    if with_rapid and filters.event_id is None and filters.type_id is None:
        report.rapid = rapid_months(filters)
        report.rapid_towns = rapid_towns(filters)
    return report


def _apart_from_series(held: list[DateFigures], minimum: int) -> set[str]:
    """The totals (`SERIES_NESTED`) that one of the `held` dates would give a small gap back
    with beside its series' figures (the whole series', or its year's for a series with no
    end): withheld on that date and in any sum over it. Read whatever the filters, as another
    filter would show the series' figures."""
    event_ids = {r.event_id for r in held if r.event_id is not None}
    found: dict[int, list[SeriesFigures]] = defaultdict(list)
    if event_ids:
        query = sa.select(SeriesFigures).where(SeriesFigures.event_id.in_(event_ids))
        for row in db.session.scalars(query):
            found[row.event_id].append(row)
    if not found:
        return set()
    query = sa.select(Event).where(Event.id.in_(found.keys()))
    zones = {event.id: event.zone for event in db.session.scalars(query)}
    withheld = set()
    for row in held:
        year = row.start_at.astimezone(zones.get(row.event_id) or _zone()).year
        for series_row in found.get(row.event_id, ()):
            if series_row.year not in (None, year):
                continue
            shown = _series_shown(series_row, minimum)
            for wholes, totals in SERIES_NESTED:
                if not all(name in shown for name in wholes):
                    continue
                whole = sum(shown[name] for name in wholes)
                withheld.update(
                    total for total in totals
                    if cells.apart_by_few(whole, getattr(row, total) or 0, minimum)
                )  # fmt: skip
    return withheld


def _series_shown(row: SeriesFigures, minimum: int) -> dict[str, int]:
    """The figures of a series that `SERIES_NESTED` compares with its dates' totals: the number
    registered (whatever its size), and those who came to all (registered, or opted
    in) where `_came_to_all` shows them (as a number, or as a share beside the number they
    are a share of, which gives them back)."""
    shown = {"registrations": row.registrations}
    for whole, part in (("registrations", "came_to_all"), ("opted_in", "opted_in_came_to_all")):
        whole_cell, part_cell, _ = _came_to_all(getattr(row, whole), getattr(row, part), minimum)
        if not (whole_cell.hidden or part_cell.hidden):
            shown[part] = part_cell.value
    return shown


def _series(filters: Filters, rows: list[DateFigures], now: datetime | None = None) -> list[dict]:
    event_ids = {r.event_id for r in rows if r.event_id is not None}
    if not event_ids:
        return []
    found = db.session.scalars(
        sa.select(SeriesFigures).where(SeriesFigures.event_id.in_(event_ids))
    ).all()
    events = {e.id: e for e in db.session.scalars(sa.select(Event).where(Event.id.in_(event_ids)))}
    out = []
    for row in sorted(found, key=lambda r: r.last_start_at or datetime.min.replace(tzinfo=UTC)):
        event = events.get(row.event_id)
        if row.year is not None and not (
            (filters.start is None or filters.start.year <= row.year)
            and (filters.end is None or row.year <= filters.end.year)
        ):
            continue  # a year of an open-ended series outside the period asked for
        zone = event.zone if event else _zone()
        out.append(
            {
                "event_id": row.event_id,
                "title": event.translation().title if event else "",
                #: A series with no end is counted per calendar year (None: the whole series).
                "year": row.year,
                "this_year": row.year == (now or utcnow()).astimezone(zone).year,
                "dates_held": row.dates_held,
                "registrations": row.registrations,
                "came_to_all": row.came_to_all,
                "opted_in": row.opted_in,
                "opted_in_came_to_all": row.opted_in_came_to_all,
                "is_final": row.is_final,
            }
        )
    return out


def _rapid_query(filters: Filters):
    query = sa.select(AlertSummary).order_by(AlertSummary.month, AlertSummary.id)
    if filters.org_id is not None:
        query = query.where(AlertSummary.org_id == filters.org_id)
    if filters.start:
        query = query.where(AlertSummary.month >= filters.start.strftime("%Y-%m"))
    if filters.end:
        query = query.where(AlertSummary.month <= filters.end.strftime("%Y-%m"))
    if filters.town:
        query = query.where(sa.func.lower(AlertSummary.town) == filters.town.casefold())
    return query


def _rapid_rows(filters: Filters, by: str) -> list[dict]:
    """Per `by` ("month" or "town") and drills apart: alerts, responders alerted, going,
    arrived, median minutes to the first and to the NTH_GOING-th "On my way" and to the first
    arrival."""
    groups: dict[tuple[str, bool], dict] = {}
    for row in db.session.scalars(_rapid_query(filters)):
        label = row.month if by == "month" else (row.town or OTHER)
        entry = groups.setdefault(
            (label, row.is_drill),
            {by: label, "is_drill": row.is_drill, "alerts": 0, "alerted": 0,
             "went": 0, "arrived": 0, "first_going": [], "nth_going": [], "first_arrival": []},
        )  # fmt: skip
        entry["alerts"] += 1
        # Differencing: a count one alert hides on its own stays hidden in any sum over it.
        entry.setdefault("withheld", set()).update(
            key for key in ("alerted", "went", "arrived")
            if cells.small(getattr(row, key), cells.min_cell())
        )  # fmt: skip
        entry["alerted"] += row.alerted
        entry["went"] += row.went
        entry["arrived"] += row.arrived
        going = row.going_seconds or []
        if going:
            entry["first_going"].append(going[0])
        if len(going) >= NTH_GOING:
            entry["nth_going"].append(going[NTH_GOING - 1])
        if row.first_arrival_seconds is not None:
            entry["first_arrival"].append(row.first_arrival_seconds)
    out = []
    for entry in groups.values():
        for key in ("first_going", "nth_going", "first_arrival"):
            values = entry[key]
            entry[key] = round(statistics.median(values) / 60, 1) if values else None
        out.append(entry)
    return sorted(out, key=lambda e: (e["is_drill"], e[by] == OTHER, e[by]))


def rapid_months(filters: Filters) -> list[dict]:
    """Rapid response per month, drills apart."""
    return _rapid_rows(filters, "month")


def rapid_towns(filters: Filters) -> list[dict]:
    """Rapid response per town (one the calendar shows publicly, else "other"), drills apart,
    over the period."""
    return _rapid_rows(filters, "town")


# Small numbers ---------------------------------------------------------------------------------


@dataclass
class Protected:
    minimum: int
    totals: dict[str, cells.Cell]
    breakdowns: dict[str, dict[str, cells.Cell]]
    series: list[dict]
    rapid: list[dict]
    rapid_towns: list[dict] = field(default_factory=list)


def protected(report: Report, minimum: int | None = None) -> Protected:
    minimum = minimum or cells.min_cell()
    withheld = report.withheld_totals
    totals = {
        name: cells.Cell(value)
        if name in NOT_PEOPLE
        else cells.protect_one(value, minimum, withheld=name in withheld)
        for name, value in report.totals.items()
    }
    for group in COMPLEMENTS:
        values = {n: report.totals[n] for n in group}
        totals.update(cells.protect(values, minimum, withheld=withheld & set(group)))
    for whole, part in NESTED:
        apart = cells.apart_by_few(report.totals[whole], report.totals[part], minimum)
        if apart and not totals[whole].hidden and not totals[part].hidden:
            totals[part] = cells.WITHHELD
    breakdowns = {
        name: cells.protect(
            values,
            minimum,
            adds_up=name != "needs",
            withheld=report.withheld_breakdowns.get(name, set()),
        )
        for name, values in report.breakdowns.items()
    }
    series = []
    for row in report.series:
        registrations, came_to_all, share = _came_to_all(
            row["registrations"], row["came_to_all"], minimum
        )
        opted_in, opted_all, opted_share = _came_to_all(
            row["opted_in"], row["opted_in_came_to_all"], minimum
        )
        series.append(
            {
                **row,
                "registrations": registrations,
                "came_to_all": came_to_all,
                "share": share,
                "opted_in": opted_in,
                "opted_in_came_to_all": opted_all,
                "opted_in_share": opted_share,
            }
        )
    rapid = [_protected_rapid(row, minimum) for row in report.rapid]
    rapid_towns = [_protected_rapid(row, minimum) for row in report.rapid_towns]
    return Protected(minimum, totals, breakdowns, series, rapid, rapid_towns)


def _came_to_all(whole: int, part: int, minimum: int):
    """(whole, part, share) of "took part in all N": the people registered (or opted in), those
    who came to every date, and the share. The whole is shown, so the part and its complement
    (who missed a date) are cells that add up to it: where either is small, both are hidden or
    withheld, and so is the share (with the whole, it would give the part back)."""
    whole_cell = cells.protect_one(whole, minimum)
    pair = cells.protect({"part": part, "missed": whole - part}, minimum)
    if whole_cell.hidden:
        pair["part"] = cells.Cell(None, True) if part else cells.Cell(0)
    part_cell = pair["part"]
    if whole_cell.hidden or part_cell.hidden or pair["missed"].hidden:
        return whole_cell, part_cell, None
    return whole_cell, part_cell, cells.share(part, whole, minimum)


def _protected_rapid(row: dict, minimum: int) -> dict:
    withheld = row.get("withheld", set())
    counted = {
        k: cells.protect_one(row[k], minimum, withheld=k in withheld)
        for k in ("alerted", "went", "arrived")
    }
    # Times of fewer than `minimum` responders would be a handful of people's own.
    small_group = row["went"] < minimum
    return {
        **row, **counted,
        "alerts": cells.Cell(row["alerts"]),
        "first_going": None if small_group else row["first_going"],
        "nth_going": None if small_group else row["nth_going"],
        "first_arrival": None if row["arrived"] < minimum else row["first_arrival"],
    }  # fmt: skip


def type_choices(language: str) -> list[tuple[int, str]]:
    query = sa.select(EventType).order_by(EventType.position, EventType.id)
    return [(t.id, t.name(language)) for t in db.session.scalars(query)]


def town_choices() -> list[str]:
    """The towns of frozen dates and of rapid alerts (public: the calendar showed them)."""
    query = sa.select(DateFigures.town).where(DateFigures.town.is_not(None)).distinct()
    alerts = sa.select(AlertSummary.town).where(AlertSummary.town.is_not(None)).distinct()
    found = [*db.session.scalars(query), *db.session.scalars(alerts)]
    return sorted({t.strip() for t in found if t and t.strip() and t != OTHER})


def org_choices() -> list[tuple[int, str]]:
    query = sa.select(Organization.id, Organization.name).order_by(Organization.name)
    return [(row.id, row.name) for row in db.session.execute(query)]
