"""Per-account throttling of sign-in and second-factor attempts, on top of the per-address
limits of the views: an attacker spreading guesses over many addresses still hits these.

Counters live in the rate limiter's storage (Redis in production) under the limiter's
`RATELIMIT_KEY_PREFIX`, keyed by a hash of the email, the same way whether the account exists
or not. While Redis is unreachable (coalition/breaker.py) they are counted in this process's
memory, as Flask-Limiter's own fallback does for the per-address limits: a sign-in never fails
because Redis does.

Known devices (OWASP's "device cookies"): a browser that has completed a sign-in to an account
gets a signed cookie naming that account, and counts its failures in a bucket of its own. So
someone who knows an email (or a password) and guesses from elsewhere uses up only the bucket of
unknown browsers: the owner's own phone or laptop is never locked out by them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import TypeVar

from flask import after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse_many

from coalition.breaker import count_with_fallback, limit_identifiers
from coalition.extensions import limiter

T = TypeVar("T")

DEVICE_COOKIE = "known_device"
#: How long a browser stays known after its last completed sign-in.
DEVICE_MAX_AGE = 365 * 24 * 3600
#: Accounts remembered per browser (a shared computer); the oldest is forgotten first.
DEVICE_ACCOUNTS = 5


def _key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _device_key(email: str) -> str:
    """How the cookie names an account: keyed with SECRET_KEY (the cookie is signed, not
    encrypted), so someone reading it on a shared computer cannot test emails against it."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(secret, b"known-device:" + _key(email).encode(), hashlib.sha256).hexdigest()[
        :24
    ]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def _known_devices() -> dict[str, str]:
    """The accounts (by `_device_key`) this browser completed a sign-in to, each with its nonce."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return {}
    try:
        value = _serializer().loads(raw, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _bucket(email: str) -> str:
    """The account's key for unknown browsers; the account's key and this browser's nonce for
    a known device of that account."""
    account = _key(email)
    nonce = _known_devices().get(_device_key(email))
    return f"{account}:{nonce}" if nonce else account


def _items(config_key: str):
    return parse_many(current_app.config[config_key])


def _count(action: Callable[..., T]) -> T:
    """`action(counters)` on the limiter's storage, or on this process's memory while Redis
    does not answer (`coalition.breaker.count_with_fallback`)."""
    return count_with_fallback(action)


def _args(kind: str, email: str) -> tuple[str, ...]:
    return limit_identifiers(kind, _bucket(email))


def blocked(kind: str, email: str) -> bool:
    """True while `email` has used up its attempts of `kind` ("login" or "two_factor") from
    this browser's bucket (its own when it is a known device of that account)."""
    if not limiter.enabled:
        return False
    config_key = "LOGIN_ACCOUNT_LIMIT" if kind == "login" else "TWO_FACTOR_LIMIT"
    items = _items(config_key)
    args = _args(kind, email)
    return not _count(lambda counters: all(counters.test(i, *args) for i in items))


def count_failure(kind: str, email: str) -> None:
    if not limiter.enabled:
        return
    config_key = "LOGIN_ACCOUNT_LIMIT" if kind == "login" else "TWO_FACTOR_LIMIT"
    items = _items(config_key)
    args = _args(kind, email)
    _count(lambda counters: [counters.hit(item, *args) for item in items])


def remember_device(email: str) -> None:
    """After a completed sign-in: this browser becomes a known device of the account (the cookie
    is set on the response, with a new nonce: a new bucket, its old counts left behind)."""
    devices = _known_devices()
    account = _device_key(email)
    devices.pop(account, None)
    devices = dict(list(devices.items())[-(DEVICE_ACCOUNTS - 1) :])
    devices[account] = secrets.token_urlsafe(12)
    value = _serializer().dumps(devices)

    @after_this_request
    def _set(response):
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=DEVICE_MAX_AGE,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            httponly=True,
            samesite="Lax",
        )
        return response
