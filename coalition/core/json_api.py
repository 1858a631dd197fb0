"""What every `POST` of the JSON API shares, whichever feature it signs people up for (RSVPs,
sessions, helpers): reading text fields with clear errors, running the sign-up and committing or
undoing it, the `202` receipt, the error body (`{"error": {"status", "message", "field"}}`) and
the OpenAPI description of such a path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import jsonify
from flask_babel import gettext as _

from coalition.extensions import db
from coalition.validators import CONTROL_CHARACTERS

T = TypeVar("T")


@dataclass
class InputError(Exception):
    status: int
    message: str
    field: str | None = None


def text(body: dict, name: str, limit: int) -> str:
    """`body[name]` as one line of text, stripped ("" when absent), or an `InputError`."""
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(400, _("%(name)s must be text.", name=name), name)
    value = value.strip()
    if len(value) > limit:
        raise InputError(400, _("%(name)s is too long.", name=name), name)
    if CONTROL_CHARACTERS.search(value):
        raise InputError(400, _("Use one line of text, without special characters."), name)
    return value


def field_error(status: int, message: str, field: str | None = None):
    return jsonify(error={"status": status, "message": message, "field": field}), status


def submitted(submit: Callable[[], T], *refusals: type[Exception]):
    """Run `submit` (read the body, call the operation): `(its result, None)` once committed, or
    `(None, the error response)` after a rollback when the input or the operation refuses
    (`InputError` and `refusals`, each with `status`, `message`, `field`)."""
    try:
        result = submit()
    except (InputError, *refusals) as exc:
        db.session.rollback()
        return None, field_error(exc.status, str(exc.message), exc.field)
    db.session.commit()
    return result, None


def received(submit: Callable[[], T], receipt: Callable[[T], dict[str, Any]], *refusals):
    """A sign-up's `POST`: `submitted(submit, *refusals)`, then `202` with `received: true` and
    `receipt(result)` (the same answer whether or not the contact was known), or the error."""
    result, refused = submitted(submit, *refusals)
    if refused is not None:
        return refused
    return jsonify(received=True, **receipt(result)), 202


def error_response(description: str) -> dict:
    """An OpenAPI response whose body is the `Error` schema."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _schema(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def signup_path(
    operation_id: str,
    summary: str,
    ids: tuple[str, ...],
    request: str,
    result: str,
    *,
    accepted: str,
    not_found: str,
    conflict: str,
) -> dict:
    """The OpenAPI description of a sign-up `POST`: integer path parameters `ids`, a JSON body of
    schema `request`, `202` with `result`, and the API's errors."""
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
                for name in ids
            ],
            "requestBody": {"required": True, "content": _schema(request)},
            "responses": {
                "202": {"description": accepted, "content": _schema(result)},
                "400": error_response("Invalid input; `error.field` names the field."),
                "404": error_response(not_found),
                "409": error_response(conflict),
                "429": {"description": "Too many requests from this client."},
            },
        }
    }


def add_to_event_detail(schemas: dict, field: str, description: str, item: str) -> None:
    """`EventDetail` gains a required array `field` of `item`s."""
    schemas["EventDetail"] = {
        "allOf": [
            *schemas["EventDetail"]["allOf"],
            {
                "type": "object",
                "required": [field],
                "properties": {
                    field: {
                        "type": "array",
                        "description": description,
                        "items": {"$ref": f"#/components/schemas/{item}"},
                    }
                },
            },
        ]
    }
