"""Redis is an accelerator, never a single point of failure: a circuit breaker per Redis.

Everything kept in Redis (rendered pages, feed bytes, rate-limit counters) can be rebuilt from
the database or kept in the process's memory for a while. So a call to Redis that fails or times
out (`REDIS_TIMEOUT`, 0.25 s) opens the breaker of that server: for `REDIS_RETRY_SECONDS` (5)
every caller in the process skips Redis at once and uses its fallback, then one caller tries
again; the first success closes it. The change of state is logged once each way, not once per
request. `/healthz` reads the state (and pings through the breaker) to say "degraded".

One breaker per server URL and process, shared by the render cache, the feed cache and the
per-account sign-in throttle; Flask-Limiter's own in-memory fallback covers the rate limits.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


def _label(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    host = parts.hostname or parts.path or "?"
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


class Breaker:
    """Closed (Redis used), or open (skipped) until `retry_after` seconds have passed since the
    last failure; then the next caller is let through alone to try (half-open)."""

    def __init__(self, url: str, retry_after: float):
        self.label = _label(url)
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._down = False
        self._skip_until = 0.0

    @property
    def is_down(self) -> bool:
        return self._down

    def allows(self) -> bool:
        """May this caller use Redis now? While open, True once per `retry_after` (a trial)."""
        if not self._down:
            return True
        now = time.monotonic()
        with self._lock:
            if now < self._skip_until:
                return False
            self._skip_until = now + self.retry_after  # the others keep skipping meanwhile
            return True

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self._skip_until = time.monotonic() + self.retry_after
            if self._down:
                return
            self._down = True
        log.warning(
            "Redis unreachable at %s (%s: %s): pages, feeds and rate limits are served from the "
            "database and this process's memory; trying again every %g s",
            self.label, type(error).__name__, error, self.retry_after,
        )  # fmt: skip

    def succeeded(self) -> None:
        if not self._down:
            return
        with self._lock:
            if not self._down:
                return
            self._down = False
        log.warning("Redis at %s answers again: back to using it", self.label)


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(url: str, retry_after: float = 5.0) -> Breaker:
    """This process's breaker for the Redis at `url` (one per server and database)."""
    with _breakers_lock:
        breaker = _breakers.get(url)
        if breaker is None:
            breaker = _breakers[url] = Breaker(url, retry_after)
        return breaker


def client_options(timeout: float) -> dict:
    """redis-py options for a call that gives up after `timeout` seconds (connect, read, write)
    and is not retried (redis-py retries 3 times with backoff by default: a stopped Redis would
    cost each request seconds); the breaker decides when to try again."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
    }


def redis_client(url: str, timeout: float):
    import redis

    return redis.Redis.from_url(url, **client_options(timeout))


def configure_limiter(config) -> None:
    """Flask-Limiter on Redis: the same short timeouts, and its in-memory fallback (each
    process counts alone while Redis is unreachable; it logs the change once and checks Redis
    again with a growing interval). Call before `limiter.init_app`."""
    uri = config.get("RATELIMIT_STORAGE_URI") or ""
    if not uri.startswith(("redis://", "rediss://")):
        return
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    options = dict(config.get("RATELIMIT_STORAGE_OPTIONS") or {})
    for key, value in client_options(float(config["REDIS_TIMEOUT"])).items():
        options.setdefault(key, value)
    config["RATELIMIT_STORAGE_OPTIONS"] = options


def count_with_fallback(action):
    """`action(counters)` on the rate limiter's storage, or on this process's own counters
    while Redis does not answer (the sign-in throttle's and the feeds' limits: counted outside
    Flask-Limiter's decorators, so its in-memory fallback does not cover them)."""
    from flask import current_app
    from limits.storage import MemoryStorage
    from redis import RedisError

    from coalition.extensions import limiter

    counters = limiter.limiter
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
    if counters.storage is not limiter.storage or not uri.startswith(("redis://", "rediss://")):
        return action(counters)  # memory already (configured so, or Flask-Limiter's fallback)
    breaker = breaker_for(uri, float(current_app.config["REDIS_RETRY_SECONDS"]))
    extensions = current_app.extensions
    if "limits_memory" not in extensions:
        extensions["limits_memory"] = type(counters)(MemoryStorage())
    if not breaker.allows():
        return action(extensions["limits_memory"])
    try:
        result = action(counters)
    except (RedisError, OSError) as exc:
        breaker.failed(exc)
        return action(extensions["limits_memory"])
    breaker.succeeded()
    return result


def limit_identifiers(*identifiers: str) -> tuple[str, ...]:
    """The identifiers of a counter kept outside Flask-Limiter's decorators (sign-in throttle,
    feed limits, SMS answers), under `RATELIMIT_KEY_PREFIX` as the decorators' own are: two
    instances sharing one Redis keep apart."""
    from flask import current_app

    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return (prefix, *identifiers) if prefix else identifiers
