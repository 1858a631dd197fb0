"""Account logic. Functions change state and flush; the view commits once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from coalition.auth.models import AccountEvent, ApiToken, PendingRegistration, User
from coalition.core import same_work
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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_registration(
    *, email: str, name: str, password: str, language: str, next_url: str | None = None
) -> None:
    """Email a link that creates the account, or tell an existing account's owner.

    The answer and the work (one password hash, one queued message) are the same either way,
    so registering never reveals whether an address has an account.
    """
    email = normalize_email(email)
    user = find_user(email)
    probe = User(password_hash="")
    probe.set_password(password)
    max_age = timedelta(seconds=current_app.config["REGISTRATION_MAX_AGE"])
    db.session.execute(
        sa.delete(PendingRegistration).where(PendingRegistration.created_at < utcnow() - max_age)
    )
    token = secrets.token_urlsafe(32)
    with same_work.tried(keep=user is None):  # the same rows written, kept for a new address
        db.session.add(
            PendingRegistration(
                token_hash=_token_hash(token),
                email=email,
                name=name.strip(),
                language=language,
                password_hash=probe.password_hash,
                next_url=next_url,
            )
        )
    if user is not None:
        queue_email(
            to=user.email,
            kind="account_exists",
            subject=_l("Someone tried to create an account with your address"),
            template="auth/account_exists",
            locale=user.language,
            user=user,
            login_url=external_url("auth.login"),
            reset_url=external_url("auth.forgot_password"),
        )
        return
    queue_email(
        to=email,
        kind="confirm_account",
        subject=_l("Confirm your new account"),
        template="auth/confirm_account",
        locale=language,
        name=name.strip(),
        confirm_url=external_url("auth.confirm_registration", token=token),
        hours=current_app.config["REGISTRATION_MAX_AGE"] // 3600,
    )


def pending_registration(token: str) -> PendingRegistration:
    """The registration behind a confirmation link; TokenError when expired or unknown."""
    pending = db.session.scalar(
        sa.select(PendingRegistration).where(PendingRegistration.token_hash == _token_hash(token))
    )
    if pending is None or find_user(pending.email) is not None:
        raise TokenError("invalid")
    max_age = timedelta(seconds=current_app.config["REGISTRATION_MAX_AGE"])
    if pending.created_at < utcnow() - max_age:
        raise TokenError("expired")
    return pending


def finish_registration(token: str) -> tuple[User, str | None]:
    """Create the account from a confirmation link (which proves the address is the person's).

    TokenError when the link is expired, unknown, or already used.
    """
    pending = pending_registration(token)
    user = User(
        email=pending.email,
        name=pending.name,
        language=pending.language,
        password_hash=pending.password_hash,
    )
    db.session.add(user)
    next_url = pending.next_url
    db.session.execute(
        sa.delete(PendingRegistration).where(PendingRegistration.email == pending.email)
    )
    db.session.flush()
    return user, next_url


def request_password_reset(email: str) -> None:
    """Queue a message either way (no enumeration, the same work): a reset link when the account
    exists, otherwise a note that no account uses the address."""
    user = find_user(email)
    if user is None or user.is_disabled:
        queue_email(
            to=normalize_email(email),
            kind="password_reset_unknown",
            subject=_l("Reset your password"),
            template="auth/password_reset_unknown",
            locale=user.language if user else str(get_locale() or "en"),
            register_url=external_url("auth.register"),
        )
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
    """Set the new password and end every session and remember-me cookie of the account."""
    user = user_for_reset_token(token)
    change_password(user, new_password)
    return user


def change_password(user: User, new_password: str) -> None:
    user.set_password(new_password)
    user.end_sessions()


def update_profile(user: User, *, name: str, language: str) -> None:
    user.name = name.strip()
    user.language = language


def account_events(user: User, limit: int = 5) -> list[AccountEvent]:
    """The latest changes others made to the account's security, newest first."""
    return db.session.scalars(
        sa.select(AccountEvent)
        .where(AccountEvent.user_id == user.id)
        .order_by(AccountEvent.created_at.desc(), AccountEvent.id.desc())
        .limit(limit)
    ).all()


# Personal API tokens (coalition admins, the reports API) ----------------------------------------

#: How long a new token may work, in days (the owner chooses one).
TOKEN_LIFETIMES = (30, 90, 365)
TOKEN_PREFIX = "coal_"


def create_api_token(user: User, name: str, days: int, now=None) -> tuple[ApiToken, str]:
    """A new token for an admin: the row and the token itself, to be shown once."""
    if not user.is_admin:
        raise PermissionError("API tokens are for coalition admins")
    if days not in TOKEN_LIFETIMES:
        raise ValueError(days)
    now = now or utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip()[:80], token_hash=_token_hash(secret), prefix=secret[:9],
        session_version=user.session_version, created_at=now,
        expires_at=now + timedelta(days=days),
    )  # fmt: skip
    db.session.add(token)
    db.session.flush()
    return token, secret


def api_tokens(user: User) -> list[ApiToken]:
    query = (
        sa.select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(db.session.scalars(query))


def revoke_api_token(user: User, token_id: int, now=None) -> bool:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    return True


def user_for_api_token(secret: str, now=None) -> User | None:
    """The admin a working token belongs to (and note its use), else None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = now or utcnow()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _token_hash(secret)))
    if token is None or not token.works(now):
        return None
    user = token.user
    if user.is_disabled or not user.is_admin:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
        db.session.flush()
    return user
