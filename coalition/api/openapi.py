"""The OpenAPI 3.1 document of the JSON API (served at /api/openapi.json).

A test checks it against the specification and that every route under /api is described here.
"""

from __future__ import annotations

from flask import current_app

from coalition.api.queries import EVENT_OCCURRENCES, NEXT_OCCURRENCES


def _nullable(schema: dict) -> dict:
    kind = schema.get("type")
    if kind is None:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [kind, "null"]}


STRING = {"type": "string"}
URL = {"type": "string", "format": "uri"}
DATETIME = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 in the event's zone, with its UTC offset.",
}
LANGUAGE = {"type": "string", "description": "Language code, e.g. en, es, ht, pt.", "example": "es"}
ORG_REF = {
    "type": "object",
    "required": ["slug", "name"],
    "properties": {"slug": STRING, "name": STRING},
}

OCCURRENCE = {
    "type": "object",
    "description": "One date of an event; a one-off event has exactly one.",
    "required": ["id", "start", "end", "cancelled", "cancel_reason", "url"],
    "properties": {
        "id": {"type": "integer"},
        "start": DATETIME,
        "end": DATETIME,
        "cancelled": {"type": "boolean", "description": "This date, or the whole event."},
        "cancel_reason": _nullable(STRING),
        "url": URL,
    },
}

LOCATION = {
    "type": "object",
    "description": "The place, given only when it is public.",
    "properties": {
        "venue": _nullable(STRING),
        "address": _nullable(STRING),
        "city": _nullable(STRING),
        "map_url": _nullable(STRING),
        "online_url": _nullable(STRING),
        "latitude": _nullable({"type": "number"}),
        "longitude": _nullable({"type": "number"}),
    },
}

EVENT_PROPERTIES = {
    "id": {"type": "integer"},
    "url": {**URL, "description": "The event page."},
    "title": {**STRING, "description": "In the requested language when translated."},
    "description": {**STRING, "description": "Markdown."},
    "language": {**LANGUAGE, "description": "The language of title and description."},
    "primary_language": LANGUAGE,
    "is_bilingual": {"type": "boolean"},
    "translations": {
        "type": "object",
        "description": "Every text of the event by language code.",
        "additionalProperties": {
            "type": "object",
            "required": ["title", "description"],
            "properties": {"title": STRING, "description": STRING},
        },
    },
    "type": {
        "type": "object",
        "required": ["slug", "name"],
        "properties": {"slug": {**STRING, "example": "rally"}, "name": STRING},
    },
    "host": {"$ref": "#/components/schemas/OrganizationRef"},
    "cosponsors": {
        "type": "array",
        "description": "Organizations that accepted to co-sponsor.",
        "items": {"$ref": "#/components/schemas/OrganizationRef"},
    },
    "start": {**DATETIME, "description": "The next date that is not cancelled."},
    "end": DATETIME,
    "timezone": {**STRING, "description": "IANA zone.", "example": "America/New_York"},
    "all_day": {"type": "boolean"},
    "status": {"type": "string", "enum": ["published", "cancelled"]},
    "cancel_reason": _nullable(STRING),
    "visibility": {"type": "string", "enum": ["public"]},
    "languages": {"type": "array", "items": LANGUAGE, "description": "Spoken there."},
    "has_interpretation": {"type": "boolean"},
    "has_childcare": {"type": "boolean"},
    "has_rides": {"type": "boolean"},
    "has_food": {"type": "boolean"},
    "accessibility_notes": _nullable(STRING),
    "contact": {
        "type": "object",
        "properties": {
            "name": _nullable(STRING),
            "email": _nullable(STRING),
            "phone": _nullable(STRING),
        },
    },
    "rrule": _nullable(
        {
            **STRING,
            "description": "RFC 5545 RRULE of a series, in the event's zone from dtstart.",
            "example": "FREQ=MONTHLY;BYDAY=4TH",
        }
    ),
    "dtstart": _nullable({**DATETIME, "description": "First date of a series."}),
    "next_occurrences": {
        "type": "array",
        "maxItems": NEXT_OCCURRENCES,
        "description": "The event's next dates in the requested range, in order.",
        "items": {"$ref": "#/components/schemas/Occurrence"},
    },
    "location": {
        "anyOf": [{"$ref": "#/components/schemas/Location"}, {"type": "null"}],
        "description": "Null unless the place is public (for the next date).",
    },
    "town": _nullable(
        {"type": "string", "description": "The town, public whatever the place's visibility."}
    ),
    "location_visibility": {
        "type": "string",
        "enum": ["public", "attendees", "hidden_until", "approved"],
    },
    "location_reveal_at": _nullable(
        {**DATETIME, "description": "With hidden_until: when the place becomes public."}
    ),
}
#: Every property is always present (null when unknown or not public).
EVENT = {"type": "object", "required": list(EVENT_PROPERTIES), "properties": EVENT_PROPERTIES}

EVENT_DETAIL = {
    "allOf": [
        {"$ref": "#/components/schemas/Event"},
        {
            "type": "object",
            "required": ["occurrences", "capacity", "spots_left"],
            "properties": {
                "occurrences": {
                    "type": "array",
                    "maxItems": EVENT_OCCURRENCES,
                    "description": "Upcoming dates (not ended yet), in order.",
                    "items": {"$ref": "#/components/schemas/Occurrence"},
                },
                "capacity": _nullable(
                    {"type": "integer", "description": "Seats on the next date; null: no limit."}
                ),
                "spots_left": _nullable({"type": "integer", "description": "On the next date."}),
            },
        },
    ]
}

ORGANIZATION = {
    "type": "object",
    "required": ["slug", "name", "city", "website", "contact_email", "languages", "color", "url"],
    "properties": {
        "slug": STRING,
        "name": STRING,
        "city": _nullable(STRING),
        "website": _nullable(STRING),
        "contact_email": _nullable(STRING),
        "languages": {"type": "array", "items": LANGUAGE},
        "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
        "url": {**URL, "description": "The organization's page."},
    },
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer"},
                "message": STRING,
                "field": {"type": ["string", "null"], "description": "The field at fault."},
            },
        }
    },
}


RSVP_REQUEST = {
    "type": "object",
    "required": ["name"],
    "description": "An email is required; a phone alone is accepted only where the coalition "
    "sends text messages.",
    "properties": {
        "name": {"type": "string", "maxLength": 80, "description": "A first name is enough."},
        "email": {"type": "string", "format": "email"},
        "phone": {"type": "string", "description": "National or international form."},
        "language": {"type": "string", "description": "Language for messages, e.g. es."},
        "party_size": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
        "needs": {
            "type": "object",
            "properties": {
                "interpretation": {"type": "boolean"},
                "childcare": {"type": "boolean"},
                "ride": {"type": "boolean"},
                "note": {"type": "string", "maxLength": 1000},
            },
        },
        "reminders": {"type": "boolean", "default": True},
        "count_attendance": {
            "type": "boolean",
            "default": False,
            "description": "Count the dates of this series the person comes to together, "
            "under a code that cannot be traced back to them and is destroyed when the "
            "series ends (returning participation in reports; totals only).",
        },
        "occurrence": {
            "type": "string",
            "format": "date-time",
            "description": "The date's start (ISO 8601); required for recurring events.",
        },
    },
}
RSVP_RESULT = {
    "type": "object",
    "description": "The same answer whether or not the contact already had an RSVP for this "
    "date: knowing someone's email or phone must not tell whether they signed up. The private "
    "link to see, change, cancel or erase the RSVP is sent only to the contact (an existing "
    "RSVP is left unchanged and its owner is sent their own link).",
    "required": ["received", "occurrence", "name", "party_size", "sent_to"],
    "properties": {
        "received": {"type": "boolean", "const": True},
        "occurrence": {"type": "string", "format": "date-time"},
        "name": {"type": "string", "description": "As sent."},
        "party_size": {"type": "integer", "description": "As sent."},
        "sent_to": {
            "type": "string",
            "description": "Where the private link went, masked (`j•••@g•••.com`, `•••• 0199`).",
        },
    },
}
RSVP_PATH = {
    "post": {
        "operationId": "createRsvp",
        "summary": "RSVP for an event (or one date of a series)",
        "parameters": [
            {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/RSVPRequest"}}
            },
        },
        "responses": {
            "202": {
                "description": "Received. The person's private link is on its way to their "
                "contact; it says whether they have a seat, wait, or (events whose hosts approve "
                "attendees) wait for approval. Known and new contacts get this same answer.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/RSVPResult"}}
                },
            },
            "400": {
                "description": "Invalid input; `error.field` names the field.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
            "404": {
                "description": "No such public event, or no date starts at `occurrence`.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
            "409": {
                "description": "RSVPs closed, the event cancelled, or full with no waitlist.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
            "429": {"description": "Too many requests from this client."},
        },
    }
}


def _query(name: str, description: str, schema: dict, *, repeat: bool = False) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "description": description}
    if repeat:
        parameter.update(schema={"type": "array", "items": schema}, style="form", explode=True)
    else:
        parameter["schema"] = schema
    return parameter


def _json(schema_ref: str, description: str, *, cached: bool = False) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": schema_ref}}},
    }
    if cached:
        response["headers"] = {
            "Cache-Control": {"schema": {"type": "string", "example": "public, max-age=60"}}
        }
    return response


def _error_response(description: str) -> dict:
    return _json("#/components/schemas/Error", description)


def openapi_document() -> dict:
    """The document; built per call so that it names this coalition."""
    name = current_app.config["COALITION_NAME"]
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": f"{name} public API",
            "version": "1.0.0",
            "description": (
                "Public events and member organizations of the coalition, read-only. "
                "Only publicly listed events appear; a place that is not public is never given."
            ),
        },
        "paths": {
            "/api/v1/events": {
                "get": {
                    "operationId": "listEvents",
                    "summary": "Events with a date in the range (default: not ended yet)",
                    "parameters": [
                        _query("type", "Event type slug.", STRING, repeat=True),
                        _query("org", "Host or co-sponsor organization slug.", STRING, repeat=True),
                        _query(
                            "lang",
                            "Language of the event; the first also picks the text's language.",
                            LANGUAGE,
                            repeat=True,
                        ),
                        _query("city", "City (case-insensitive).", STRING, repeat=True),
                        _query(
                            "from",
                            "First day (coalition's zone).",
                            {"type": "string", "format": "date"},
                        ),
                        _query(
                            "to",
                            "Last day (coalition's zone).",
                            {"type": "string", "format": "date"},
                        ),
                        _query(
                            "q", "Text in a title or description.", {**STRING, "maxLength": 100}
                        ),
                        _query(
                            "after",
                            "Where the page starts: given in the `next` link of the page "
                            "before (pages are read from a cursor, not numbered).",
                            {**STRING, "pattern": "^[0-9]{8}T[0-9]{12}-[0-9]{1,10}$"},
                        ),
                        _query(
                            "per_page",
                            "Events per page.",
                            {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
                        ),
                    ],
                    "responses": {
                        "200": _json(
                            "#/components/schemas/EventList", "A page of events", cached=True
                        ),
                        "400": _error_response("An unknown filter value or a damaged `after`"),
                    },
                }
            },
            "/api/v1/events/{event_id}": {
                "get": {
                    "operationId": "getEvent",
                    "summary": "One publicly listed event with its upcoming dates",
                    "parameters": [
                        {
                            "name": "event_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                        _query("lang", "Language of title and description.", LANGUAGE),
                    ],
                    "responses": {
                        "200": _json("#/components/schemas/EventDetail", "The event"),
                        "404": _error_response("No such publicly listed event"),
                    },
                }
            },
            "/api/v1/orgs": {
                "get": {
                    "operationId": "listOrganizations",
                    "summary": "The coalition's member organizations",
                    "responses": {
                        "200": _json(
                            "#/components/schemas/OrganizationList",
                            "Every member organization",
                            cached=True,
                        )
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Event": EVENT,
                "EventDetail": EVENT_DETAIL,
                "EventList": {
                    "type": "object",
                    "required": ["events", "per_page", "next"],
                    "properties": {
                        "events": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Event"},
                        },
                        "per_page": {"type": "integer"},
                        "next": _nullable(
                            {**URL, "description": "The next page (null on the last one)."}
                        ),
                    },
                },
                "Occurrence": OCCURRENCE,
                "Location": LOCATION,
                "Organization": ORGANIZATION,
                "OrganizationRef": ORG_REF,
                "OrganizationList": {
                    "type": "object",
                    "required": ["orgs"],
                    "properties": {
                        "orgs": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Organization"},
                        }
                    },
                },
                "Error": ERROR,
                "RSVPRequest": RSVP_REQUEST,
                "RSVPResult": RSVP_RESULT,
            }
        },
    }
    document["paths"]["/api/v1/events/{event_id}/rsvps"] = RSVP_PATH
    from coalition.reports.api import add_to_openapi as add_reports  # coalition/reports
    from coalition.sessions.api import extend_openapi
    from coalition.volunteers.api import add_to_openapi  # roles: coalition/volunteers

    extend_openapi(document)  # sessions: coalition/sessions
    add_reports(document)
    return add_to_openapi(document)
