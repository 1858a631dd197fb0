"""Per-account throttling of sign-in and second-factor attempts, on top of the per-address
limits of the views: an attacker spreading guesses over many addresses still hits these.

Counters live in the rate limiter's storage (Redis in production), keyed by a hash of the
email, the same way whether the account exists or not.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from limits import parse_many

from coalition.extensions import limiter


def _key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _items(config_key: str):
    return parse_many(current_app.config[config_key])


def blocked(kind: str, email: str) -> bool:
    """True while `email` has used up its attempts of `kind` ("login" or "two_factor")."""
    if not limiter.enabled:
        return False
    config_key = "LOGIN_ACCOUNT_LIMIT" if kind == "login" else "TWO_FACTOR_LIMIT"
    return not all(limiter.limiter.test(item, kind, _key(email)) for item in _items(config_key))


def count_failure(kind: str, email: str) -> None:
    if not limiter.enabled:
        return
    config_key = "LOGIN_ACCOUNT_LIMIT" if kind == "login" else "TWO_FACTOR_LIMIT"
    for item in _items(config_key):
        limiter.limiter.hit(item, kind, _key(email))
