"""What happens inside the web processes, counted where it happens: requests (by endpoint),
feed builds, cache lookups.

A foundation module (it imports nothing of the app), so that any package (feeds, the render
cache in `core/`) may count through it; `coalition/metrics/` publishes the counts. What the
database already records (messages sent, failed, segments; channel pauses; alerts) is never
counted here: `metrics/stored.py` reads it at scrape time, so it is right whichever process
did the work.

Under gunicorn every worker is a process of its own; with `PROMETHEUS_MULTIPROC_DIR` set (read
by prometheus-client when it is imported) each writes its counts to files in that folder and a
scrape adds them up (`metrics/views.py`). Labels are bounded and never carry a person, a path
or a token: endpoint names, methods from a fixed list, status classes, fixed words.
"""

from __future__ import annotations

import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

#: This process's metrics (one registry, not prometheus-client's global one: the scrape
#: decides what goes with them, see `metrics/views.registry_for_scrape`).
PROCESS = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram(
    "coalition_http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint (never the path), method and status class.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=PROCESS,
)
FEED_BUILDS = Counter(
    "coalition_feed_builds",
    "Feed bodies built: inline (in the request) or background (a slow feed, off the request).",
    ["mode"],
    registry=PROCESS,
)
FEED_BUILD_SECONDS = Histogram(
    "coalition_feed_build_duration_seconds",
    "Time to build one feed body.",
    ["mode"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=PROCESS,
)
CACHE_LOOKUPS = Counter(
    "coalition_cache_lookups",
    "Lookups in the feed cache and the render cache (public pages), by result.",
    ["cache", "result"],
    registry=PROCESS,
)

#: Methods counted by name; any other (a client may send anything) is "other".
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Results of a lookup, by cache.
CACHE_RESULTS = {
    #: hit: the stored body; not_modified: a 304 from the version alone; miss: built now;
    #: stale: the last good copy while a slow build runs (or a 503 when there is none).
    "feed": ("hit", "not_modified", "miss", "stale"),
    "page": ("hit", "miss"),
    #: Pieces of pages that do not depend on who asks (core/fragments.py).
    "fragment": ("hit", "miss"),
}


def cache_lookup(cache: str, result: str, count: int = 1) -> None:
    """`count` lookups of `cache` with that result (a page's pieces are counted at once)."""
    assert result in CACHE_RESULTS[cache], (cache, result)
    CACHE_LOOKUPS.labels(cache, result).inc(count)


def feed_built(mode: str, seconds: float) -> None:
    FEED_BUILDS.labels(mode).inc()
    FEED_BUILD_SECONDS.labels(mode).observe(seconds)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        method = request.method if request.method in _METHODS else "other"
        # The endpoint's name (e.g. "rsvps.manage"), never the URL: private links carry their
        # secret in the path. No endpoint (no route matched): "none".
        endpoint = request.endpoint or "none"
        status = f"{response.status_code // 100}xx"
        REQUEST_SECONDS.labels(endpoint, method, status).observe(time.perf_counter() - started)
    return response


def init_timing(app: Flask) -> None:
    """Time every request from the first `before_request` hook (so a replay of the render
    cache, which answers from a hook, is timed too) to the response."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_observe)
    # No `_created` series: they double the output and no rule reads them.
    disable_created_metrics()
    # Every series a rule or a ratio reads exists from the start, at 0.
    for cache, results in CACHE_RESULTS.items():
        for result in results:
            CACHE_LOOKUPS.labels(cache, result)
    for mode in ("inline", "background"):
        FEED_BUILDS.labels(mode)
        FEED_BUILD_SECONDS.labels(mode)
