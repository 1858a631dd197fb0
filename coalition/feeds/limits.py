"""Feed rate limits that fit how calendars poll.

Google, Microsoft and Apple poll everyone's subscriptions from a few shared addresses, mostly
with If-None-Match. So:

- a conditional request answered 304 counts nothing (it costs one indexed read, or none);
- a full answer counts against `FEED_RATE_LIMIT` per feed (its identity: route, filters,
  language, person) *and* client address: a service polling ten thousand people's feeds from one
  address has each feed's budget, and one client hammering one feed is refused without
  touching anyone else's;
- a build of an ad-hoc feed (free text, towns, dates: a new `q=` is a new feed) counts against
  `FEED_ADHOC_RATE_LIMIT` per client address as well, since every new value is work.

Counters live in the rate limiter's storage (Redis in production) under `RATELIMIT_KEY_PREFIX`,
as `auth/throttle.py`'s do.
"""

from __future__ import annotations

import hashlib

from flask import Response, current_app
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from limits import parse_many

from coalition.breaker import count_with_fallback, limit_identifiers
from coalition.extensions import limiter


def _hit(config_key: str, *identifiers: str) -> int | None:
    """Count one against each limit of `config_key`; the seconds to wait when one is used up."""
    if not limiter.enabled:
        return None
    wait = None
    key = limit_identifiers("feed", config_key, *identifiers)
    for item in parse_many(current_app.config[config_key]):
        allowed = count_with_fallback(lambda counters, item=item: counters.hit(item, *key))
        if not allowed:
            wait = max(wait or 0, item.get_expiry())
    return wait


def full_answer(identity: str) -> int | None:
    """Count a full answer of the feed `identity` to this client (None: allowed)."""
    feed = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return _hit("FEED_RATE_LIMIT", get_remote_address(), feed)


def adhoc_build() -> int | None:
    """Count a build of a never-stored ad-hoc feed by this client (None: allowed)."""
    return _hit("FEED_ADHOC_RATE_LIMIT", get_remote_address())


def too_many(wait: int) -> Response:
    return Response(
        _("Too many requests for this calendar. Try again in a minute.") + "\n",
        status=429,
        content_type="text/plain; charset=utf-8",
        headers={"Retry-After": str(int(wait)), "Cache-Control": "no-store"},
    )
