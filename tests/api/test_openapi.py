"""/api/openapi.json: a valid OpenAPI document that describes every API route and response."""

from __future__ import annotations

import re

from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from coalition.events.models import LocationVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from tests.factories import OrganizationFactory, make_event


def _document(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _check(document: dict, schema_name: str, data) -> None:
    """Validate `data` against a component schema, resolving $refs within the document."""
    schema = {**document, "$ref": f"#/components/schemas/{schema_name}"}
    OAS31Validator(schema).validate(data)


def test_the_document_is_valid_openapi(client):
    document = _document(client)
    validate(document)
    assert document["openapi"].startswith("3.")
    schemas = document["components"]["schemas"]
    assert {"Event", "Occurrence", "Organization", "Error"} <= set(schemas)


def test_every_api_route_is_described(app, client):
    paths = _document(client)["paths"]
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")]
    assert routes
    for rule in routes:
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        assert path in paths, f"{rule.rule} is missing from the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {rule.rule} is not described"


def test_responses_match_the_documented_schemas(client, db):
    document = _document(client)
    org = OrganizationFactory(website="https://valley.example")
    make_event(org, recurrence=RecurrenceSpec(Frequency.weekly, count=8), capacity=25)
    hidden = make_event(
        org,
        location_visibility=LocationVisibility.hidden_until,
        location_reveal_hours=3,
        texts={"en": ("Court", ""), "es": ("Corte", "")},
    )

    _check(document, "EventList", client.get("/api/v1/events").get_json())
    _check(document, "EventDetail", client.get(f"/api/v1/events/{hidden.id}").get_json())
    _check(document, "OrganizationList", client.get("/api/v1/orgs").get_json())
    _check(document, "Error", client.get("/api/v1/events?type=picnic").get_json())
    _check(document, "Error", client.get("/api/v1/events/12345").get_json())
