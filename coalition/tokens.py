"""Signed, expiring tokens for emailed links (itsdangerous)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenError(Exception):
    """The link is not valid: `reason` is "expired" or "invalid"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # The salt binds a token to one purpose: a reset token is no invitation.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"coalition.{purpose}")


def make_token(purpose: str, payload: Any) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int | None) -> Any:
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError("expired") from exc
    except BadSignature as exc:
        raise TokenError("invalid") from exc
