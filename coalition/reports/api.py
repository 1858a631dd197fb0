"""The report figures as JSON for coalition admins (`/api/v1/reports/...`): a signed-in
session, or a personal API token made on the account page (`Authorization: Bearer coal_...`,
read by `coalition.auth.loader` for these paths only). Small numbers are hidden as on the pages:
`{"fewer_than": 5}` stands for a figure below the threshold, `{"withheld": true}` for one that
would give a small one back."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from coalition.access import access
from coalition.orgs.permissions import load_org
from coalition.reports import figures
from coalition.reports.permissions import can_read_coalition

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")


def _json(filters: figures.Filters):
    safe = figures.protected(figures.build(filters))
    minimum = safe.minimum

    def cells(values: dict) -> dict:
        return {str(key): cell.as_json(minimum) for key, cell in values.items()}

    return jsonify(
        min_cell=minimum,
        filters=filters.query_args(),
        totals=cells(safe.totals),
        breakdowns={name: cells(values) for name, values in safe.breakdowns.items()},
        series=[
            {"event_id": row["event_id"], "title": row["title"], "year": row["year"],
             "dates": row["dates_held"],
             "registrations": row["registrations"].as_json(minimum),
             "came_to_all": row["came_to_all"].as_json(minimum),
             "came_to_all_percent": row["share"],
             "opted_in": row["opted_in"].as_json(minimum),
             "opted_in_came_to_all": row["opted_in_came_to_all"].as_json(minimum),
             "opted_in_came_to_all_percent": row["opted_in_share"],
             "final": row["is_final"]}
            for row in safe.series
        ],
        rapid=[
            {"month": row["month"], "is_drill": row["is_drill"], "alerts": row["alerts"].value,
             "alerted": row["alerted"].as_json(minimum), "went": row["went"].as_json(minimum),
             "arrived": row["arrived"].as_json(minimum),
             "median_minutes_to_first_going": row["first_going"],
             f"median_minutes_to_going_{figures.NTH_GOING}": row["nth_going"],
             "median_minutes_to_first_arrival": row["first_arrival"]}
            for row in safe.rapid
        ],
        rapid_by_town=[
            {"town": row["town"], "is_drill": row["is_drill"], "alerts": row["alerts"].value,
             "alerted": row["alerted"].as_json(minimum), "went": row["went"].as_json(minimum),
             "arrived": row["arrived"].as_json(minimum),
             "median_minutes_to_first_going": row["first_going"],
             f"median_minutes_to_going_{figures.NTH_GOING}": row["nth_going"],
             "median_minutes_to_first_arrival": row["first_arrival"]}
            for row in safe.rapid_towns
        ],
    )  # fmt: skip


@bp.errorhandler(figures.ReportError)
def bad_filter(exc: figures.ReportError):
    return jsonify(error={"status": 400, "message": str(exc)}), 400


@bp.route("/coalition")
@access(can_read_coalition)
def coalition():
    return _json(figures.parse_filters(request.args))


@bp.route("/orgs/<slug>")
@access(can_read_coalition)
def organization(slug: str):
    filters = figures.parse_filters(request.args)
    filters.org_id = load_org(slug).id
    return _json(filters)


# OpenAPI (called by `coalition.api.openapi`) ---------------------------------------------------

_FIGURE = {
    "oneOf": [
        {"type": "integer", "minimum": 0},
        {
            "type": "object",
            "required": ["fewer_than"],
            "properties": {"fewer_than": {"type": "integer"}},
            "description": "A small number, hidden.",
        },
        {
            "type": "object",
            "required": ["withheld"],
            "properties": {"withheld": {"type": "boolean", "const": True}},
            "description": "Not small itself, but withheld: with the figures beside it, or "
            "with the same report under other filters, it would give a small number back.",
        },
    ]
}
_FIGURES = {"type": "object", "additionalProperties": _FIGURE}
REPORT = {
    "type": "object",
    "description": "Counts only, small numbers hidden; no person is in them.",
    "required": ["min_cell", "filters", "totals", "breakdowns", "series", "rapid", "rapid_by_town"],
    "properties": {
        "min_cell": {"type": "integer"},
        "filters": {"type": "object"},
        "totals": _FIGURES,
        "breakdowns": {"type": "object", "additionalProperties": _FIGURES},
        "series": {
            "type": "array",
            "items": {"type": "object"},
            "description": "Returning participation per series: a series with no end per "
            "calendar year (`year`, in the event's zone; null: the whole series).",
        },
        "rapid": {"type": "array", "items": {"type": "object"}},
        "rapid_by_town": {
            "type": "array",
            "items": {"type": "object"},
            "description": 'A town the calendar shows publicly, else "other".',
        },
    },
}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}  # fmt: skip


def _documented(schema: str, description: str) -> dict:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _get(summary: str, parameters: list) -> dict:
    query = [
        _query("from", "First day (YYYY-MM-DD, the coalition's zone).", {"type": "string"}),
        _query("to", "Last day (YYYY-MM-DD).", {"type": "string"}),
        _query("type", "An event type id.", {"type": "integer"}),
        _query("language", "A content language code.", {"type": "string"}),
        _query("town", "A town the calendar showed (any case).", {"type": "string"}),
    ]
    return {
        "get": {
            "summary": summary,
            "description": "Coalition admins only: a signed-in session, or a personal API "
            "token made on the account page (Authorization: Bearer).",
            "security": [{"adminToken": []}, {}],
            "parameters": parameters + query,
            "responses": {
                "200": _documented("Report", "The figures."),
                "400": _documented("Error", "A filter could not be read."),
                "401": _documented("Error", "Not signed in, or the token does not work."),
                "403": _documented("Error", "Not a coalition admin."),
            },
        }
    }


def add_to_openapi(document: dict) -> dict:
    document["components"]["schemas"]["Report"] = REPORT
    document["components"].setdefault("securitySchemes", {})["adminToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A coalition admin's personal API token (account page): shown once, "
        "stored hashed, revocable, expiring; reads the reports API only.",
    }
    org = [_query("org", "An organization id.", {"type": "integer"})]
    slug = [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}]
    document["paths"]["/api/v1/reports/coalition"] = _get("The coalition's report", org)
    document["paths"]["/api/v1/reports/orgs/{slug}"] = _get("An organization's report", slug)
    return document
