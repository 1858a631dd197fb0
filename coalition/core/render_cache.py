"""Rendered public pages for anonymous visitors, kept under the calendar version.

A view opts in with `@render_cached(*keys)` (calendar version keys: `PUBLIC` for listings,
`PUBLIC, ATTENDANCE` for pages that show seats or delegations). For an anonymous GET without
flashed messages, a `before_request` hook (registered after the rate limiter and before the access
rule) looks up the response stored under

    (version of `keys`, language, host, path and query, the current RENDER_CACHE_SECONDS slice)

and replays it; on a miss the view runs as usual and an `after_request` hook stores its 200
response, unless the view set a cookie. The version is read before the data it guards (a stored
page is never older than its version); the time slice bounds how long "upcoming" and "seats left"
can lag the clock. A replayed page passed the access rule for an anonymous visitor under the
same version of the same data, so the rule would answer the same again.

The one per-visitor part of a page, the CSRF token of the language switcher, is stored as a
placeholder and filled with the visitor's own token on every replay; a stored response never
carries a Set-Cookie. Signed-in people always get a fresh page.

Pages live in Redis, shared by every process, when CACHE_REDIS_URL (or a redis:// rate limit
storage) is set, else in each process's memory (RENDER_CACHE_MEMORY_MB).
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import urlencode

import orjson
from flask import Flask, Response, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from coalition import calendar_version
from coalition import counters as metrics
from coalition.cache_store import MemoryStore, RedisStore, make_store

#: Stands for the visitor's CSRF token in a stored page.
CSRF_PLACEHOLDER = b"\x1fcsrf-token\x1f"
_HEADERS = ("Cache-Control", "Content-Disposition")


def render_cached(*keys: str):
    """Let anonymous GETs of this view be answered from the render cache while the calendar
    version of `keys` (default: PUBLIC) stays the same."""

    def decorate(view):
        view.render_cache_keys = keys or (calendar_version.PUBLIC,)
        return view

    return decorate


def get_store() -> MemoryStore | RedisStore:
    app = current_app
    store = app.extensions.get("render_cache")
    if store is None:
        config = app.config
        store = make_store(config, config["RENDER_CACHE_PREFIX"], config["RENDER_CACHE_MEMORY_MB"])
        app.extensions["render_cache"] = store
    return store


#: Parameters that links carry from social media and newsletters (a new `fbclid` on every
#: click) and that no page reads: left out of the key, so a shared link is still a hit.
_TRACKING_PREFIXES = ("utm_", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid")


def _tracking(name: str) -> bool:
    return name.lower().startswith(_TRACKING_PREFIXES)


def _cache_key() -> str | None:
    if request.method != "GET" or not current_app.config["RENDER_CACHE"]:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    keys = getattr(view, "render_cache_keys", None)
    if keys is None or "_flashes" in session or current_user.is_authenticated:
        return None
    slice_ = int(time.time() // current_app.config["RENDER_CACHE_SECONDS"])
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if not _tracking(k)])
    # The host is one of TRUSTED_HOSTS (core/http.py refused any other), and pages link only to
    # BASE_URL; keeping hosts apart still means no request on one name can shape another's page.
    target = hashlib.sha256(f"{request.host}{request.path}?{query}".encode()).hexdigest()
    version = calendar_version.current(*keys)
    return f"page:{version}:{get_locale() or 'en'}:{slice_}:{target[:40]}"


def _replay() -> Response | None:
    key = _cache_key()
    if key is None:
        return None
    stored = get_store().get_many([key])[0]
    if stored is None:
        metrics.cache_lookup("page", "miss")
        g.render_cache_key = key
        return None
    metrics.cache_lookup("page", "hit")
    meta, _, body = stored.partition(b"\n")
    meta = orjson.loads(meta)
    if CSRF_PLACEHOLDER in body:
        body = body.replace(CSRF_PLACEHOLDER, generate_csrf().encode())
    response = Response(body, status=200, mimetype=meta["mimetype"])
    response.headers.update(meta["headers"])
    response.headers["X-Render-Cache"] = "hit"
    return response


def _remember(response: Response) -> Response:
    key = g.pop("render_cache_key", None)
    if (
        key is None
        or response.status_code != 200
        or response.direct_passthrough
        or "Set-Cookie" in response.headers
    ):
        return response
    body = response.get_data()
    token = g.get("csrf_token")  # Flask-WTF keeps this request's token there
    if token:
        body = body.replace(token.encode(), CSRF_PLACEHOLDER)
    headers = {name: response.headers[name] for name in _HEADERS if name in response.headers}
    meta = orjson.dumps({"mimetype": response.mimetype, "headers": headers})
    ttl = int(current_app.config["RENDER_CACHE_SECONDS"]) * 2
    get_store().set_many({key: meta + b"\n" + body}, ttl=ttl)
    response.headers["X-Render-Cache"] = "miss"
    return response


def init_app(app: Flask) -> None:
    """Register the hooks; call before `access.init_app` (a replay skips the rest)."""
    app.before_request(_replay)
    app.after_request(_remember)
