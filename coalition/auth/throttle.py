"""Per-account throttling of sign-in and second-factor attempts, on top of the per-address
limits of the views: an attacker spreading guesses over many addresses still hits these.

Counters live in the rate limiter's storage (Redis in production), keyed by a hash of the
email, the same way whether the account exists or not. While Redis is unreachable
(coalition/breaker.py) they are counted in this process's memory, as Flask-Limiter's own
fallback does for the per-address limits: a sign-in never fails because Redis does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from limits import parse_many

from coalition.breaker import count_with_fallback
from coalition.extensions import limiter

T = TypeVar("T")


def _key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _items(config_key: str):
    return parse_many(current_app.config[config_key])


def _count(action: Callable[..., T]) -> T:
    """`action(counters)` on the limiter's storage, or on this process's memory while Redis
    does not answer (`coalition.breaker.count_with_fallback`)."""
    return count_with_fallback(action)


def blocked(kind: str, email: str) -> bool:
    """True while `email` has used up its attempts of `kind` ("login" or "two_factor")."""
    if not limiter.enabled:
        return False
    config_key = "LOGIN_ACCOUNT_LIMIT" if kind == "login" else "TWO_FACTOR_LIMIT"
    items = _items(config_key)
    return not _count(lambda counters: all(counters.test(i, kind, _key(email)) for i in items))


def count_failure(kind: str, email: str) -> None:
    if not limiter.enabled:
        return
    config_key = "LOGIN_ACCOUNT_LIMIT" if kind == "login" else "TWO_FACTOR_LIMIT"
    items = _items(config_key)
    _count(lambda counters: [counters.hit(item, kind, _key(email)) for item in items])
