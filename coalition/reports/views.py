"""Report pages: the coalition's (admins), an organization's (its owners and organizers), a
date's (its managers, once it is over). Each is printable and exports its figures as CSV.
Who may read which: `permissions.py`, applied by `@access` before any view runs."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from coalition.access import access
from coalition.core.errors import action_refused
from coalition.db import utcnow
from coalition.events.permissions import load_event, load_occurrence
from coalition.i18n import select_locale
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.permissions import load_org
from coalition.reports import figures, labels
from coalition.reports.chart import bar_chart
from coalition.reports.operations import OTHER
from coalition.reports.permissions import can_read_coalition, can_read_date, can_read_org

bp = Blueprint("reports", __name__)

#: A spreadsheet runs a cell that starts like a formula (organization names, towns).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _hidden_text(minimum: int) -> str:
    return _("fewer than %(n)s", n=minimum)


def _shown(cell, minimum: int) -> str:
    if cell.withheld:
        return _("withheld (it would give a small figure back)")
    return _hidden_text(minimum) if cell.hidden else str(cell.value)


def _series_title(row: dict) -> str:
    """A series' name, with the year for a series with no end (counted per calendar year)."""
    if row["year"] is None:
        return row["title"]
    if row["this_year"]:
        return _("%(title)s, this year", title=row["title"])
    return _("%(title)s, in %(year)s", title=row["title"], year=row["year"])


def _share(share: int | None, whole, minimum: int) -> str:
    """A "took part in all" share: a percentage, or why it is not given (the people it is a
    share of are too few, or it would give a small figure back with their number)."""
    if share is not None:
        return f"{share}%"
    if whole.hidden:
        return _hidden_text(minimum)
    return _("withheld (it would give a small figure back)") if whole.value else ""


def _page(title: str, filters: figures.Filters, *, scope: str, filterable: bool = True):
    """The page or, with ?format=csv, its figures as CSV. A bad filter: 400 with its message."""
    report = figures.build(filters, with_rapid=scope != "date")
    safe = figures.protected(report)
    if request.args.get("format") == "csv":
        return _csv(safe, scope)
    hidden = _hidden_text(safe.minimum)

    def shown(cell) -> str:
        return _shown(cell, safe.minimum)

    charts = {}
    for name, values in safe.breakdowns.items():
        rows = [(labels.row_label(name, key), cell) for key, cell in values.items()]
        if rows:
            charts[name] = {
                "rows": rows,
                "svg": bar_chart(f"chart-{name}", str(labels.BREAKDOWNS[name]), rows, shown),
            }
    locale = select_locale()
    return render_template(
        "reports/report.html", title=title, report=safe, charts=charts, scope=scope,
        filters=filters, filterable=filterable, labels=labels, hidden=hidden, shown=shown,
        nth=figures.NTH_GOING, languages=CONTENT_LANGUAGES, series_title=_series_title,
        types=figures.type_choices(locale) if filterable else [],
        towns=figures.town_choices() if filterable else [],
        orgs=figures.org_choices() if filterable and scope == "coalition" else [],
        csv_args={**filters.query_args(), "format": "csv"},
    )  # fmt: skip


def _csv(safe: figures.Protected, scope: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Figure"), _("Row"), _("Value")])
    for name, cell in safe.totals.items():
        writer.writerow([str(labels.TOTALS[name]), "", _shown(cell, safe.minimum)])
    for name, values in safe.breakdowns.items():
        for key, cell in values.items():
            writer.writerow([str(labels.BREAKDOWNS[name]),
                             _csv_text(labels.row_label(name, key)),
                             _shown(cell, safe.minimum)])  # fmt: skip
    for row in safe.series:
        title = _csv_text(_series_title(row))
        writer.writerow([_("Took part in all %(n)s dialogues", n=row["dates_held"]), title,
                         _share(row["share"], row["registrations"], safe.minimum)])  # fmt: skip
        writer.writerow([_("Registered for the series"), title,
                         _shown(row["registrations"], safe.minimum)])  # fmt: skip
        if row["opted_in"].hidden or row["opted_in"].value:
            writer.writerow(
                [_("Took part in all %(n)s dialogues, of those who asked to be counted",
                   n=row["dates_held"]),
                 title, _share(row["opted_in_share"], row["opted_in"], safe.minimum)]
            )  # fmt: skip
            writer.writerow([_("Asked to be counted across the series"), title,
                             _shown(row["opted_in"], safe.minimum)])  # fmt: skip
    for rows, by in ((safe.rapid, "month"), (safe.rapid_towns, "town")):
        for row in rows:
            writer.writerows(_rapid_csv_rows(row, by, safe.minimum))
    return Response(
        "\ufeff" + buffer.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="report-{scope}.csv"'},
    )


def _rapid_csv_rows(row: dict, by: str, minimum: int) -> list[list[str]]:
    """One month's or town's rapid response (drills apart) as CSV rows: the counts protected
    as on the page, a median left empty where it would be a handful of people's own times."""
    place = _("Other") if by == "town" and row[by] == OTHER else row[by]
    label = _csv_text(_("%(row)s (drills)", row=place) if row["is_drill"] else place)

    def median(value) -> str:
        return "" if value is None else str(value)

    return [
        [
            _("Rapid response by month: %(figure)s", figure=name)
            if by == "month"
            else _("Rapid response by town: %(figure)s", figure=name),
            label,
            value,
        ]
        for name, value in (
            (_("Alerts"), str(row["alerts"].value)),
            (_("Responders alerted"), _shown(row["alerted"], minimum)),
            (_("Responders who went"), _shown(row["went"], minimum)),
            (_("Arrived"), _shown(row["arrived"], minimum)),
            (_("Median minutes to the first “On my way”"), median(row["first_going"])),
            (_("Median minutes to the third “On my way”"),
             median(row["nth_going"])),
            (_("Median minutes to the first responder on site"), median(row["first_arrival"])),
        )
    ]  # fmt: skip


def _filters_or_400() -> figures.Filters:
    return figures.parse_filters(request.args)


@bp.errorhandler(figures.ReportError)
def bad_filter(exc: figures.ReportError):
    """A filter that cannot be read: its message, 400."""
    return action_refused(str(exc), 400, back=request.path)


@bp.app_template_global()
def date_report_url(occurrence) -> str | None:
    """The report of a date that is over (for the dashboard), None before its end."""
    if occurrence.end_at > utcnow():
        return None
    return url_for("reports.date_report", event_id=occurrence.event_id, occurrence_id=occurrence.id)


@bp.route("/admin/reports")
@access(can_read_coalition)
def coalition():
    """What the coalition achieved: every member's dates, series, rapid response."""
    return _page(_("Coalition report"), _filters_or_400(), scope="coalition")


@bp.route("/orgs/<slug>/reports")
@access(can_read_org)
def organization(slug: str):
    """One organization's dates (as host) and its rapid response."""
    org = load_org(slug)
    filters = _filters_or_400()
    filters.org_id = org.id
    return _page(_("Report of %(org)s", org=org.name), filters, scope="organization")


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>/report")
@access(can_read_date)
def date_report(event_id: int, occurrence_id: int):
    """One date, once it is over."""
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    filters = figures.Filters(event_id=event.id, occurrence_id=occurrence.id)
    title = _("Report: %(title)s", title=event.translation(select_locale()).title)
    return _page(title, filters, scope="date", filterable=False)
