"""Account logic. Functions change state and flush; the view commits once."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from coalition.auth.models import User
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.operations import queue_email
from coalition.tokens import TokenError, make_token, read_token
from coalition.urls import external_url

RESET_PURPOSE = "password-reset"


class EmailTaken(Exception):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def create_user(*, email: str, name: str, password: str, language: str = "en") -> User:
    if find_user(email) is not None:
        raise EmailTaken(email)
    user = User(email=normalize_email(email), name=name.strip(), language=language)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None. Disabled accounts never authenticate."""
    user = find_user(email)
    if user is None:
        # Spend the same time as a real check, so that timing does not reveal accounts.
        User(password_hash="").set_password(password)
        return None
    if not user.check_password(password) or user.is_disabled:
        return None
    user.last_login_at = utcnow()
    return user


def _password_fingerprint(user: User) -> str:
    # Changes whenever the password does, which makes a reset link single-use.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(email: str) -> None:
    """Email a reset link when the account exists; say nothing either way (no enumeration)."""
    user = find_user(email)
    if user is None or user.is_disabled:
        return
    token = make_token(RESET_PURPOSE, {"uid": user.id, "fp": _password_fingerprint(user)})
    queue_email(
        to=user.email,
        kind="password_reset",
        subject=_l("Reset your password"),
        template="auth/password_reset",
        locale=user.language,
        user=user,
        reset_url=external_url("auth.reset_password", token=token),
        hours=current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600,
    )


def user_for_reset_token(token: str) -> User:
    """The user a reset link belongs to; TokenError when expired, tampered with, or used."""
    payload = read_token(RESET_PURPOSE, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    if not isinstance(payload, dict):
        raise TokenError("invalid")
    user = db.session.get(User, payload.get("uid"))
    if user is None or user.is_disabled or payload.get("fp") != _password_fingerprint(user):
        raise TokenError("invalid")
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    user.set_password(new_password)
    return user


def update_profile(user: User, *, name: str, language: str) -> None:
    user.name = name.strip()
    user.language = language
