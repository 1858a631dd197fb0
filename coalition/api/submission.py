"""What every `POST` of the JSON API shares: run the sign-up, commit or undo it, and the error
body (`{"error": {"status", "message", "field"}}`) with its OpenAPI description."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import jsonify

from coalition.api.rsvp_input import InputError
from coalition.extensions import db

T = TypeVar("T")


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


def error_response(description: str) -> dict:
    """An OpenAPI response whose body is the `Error` schema."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
