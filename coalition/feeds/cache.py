"""Serving feeds: conditional GET from the calendar version, bytes from the shared store,
gzip/br negotiated and cached, slow builds off the request path.

A feed's ETag is a hash of the calendar version of what it shows (`coalition.calendar_version`:
"public", plus the person's own keys for a private feed), the day (feeds show 90 days back), and
its identity (route, canonical filters, language, person). So a conditional GET is one indexed read
(or none, within `CALENDAR_VERSION_TTL`) and a 304; the same data gives the same ETag and bytes in
every process, before and after a restart.

Bodies are stored under the ETag, raw and compressed (`body:`, `gzip:`, `br:`), and
`last:<identity>` names the last good copy. Ad-hoc feeds (free text, towns, dates: every new
`q=` value is a new feed) are kept only in each process's own copy, bounded in bytes and count
(`FEED_ADHOC_MEMORY_MB`, `FEED_ADHOC_ENTRIES`), never in the shared store; their fragments of
some dates only are not stored either. Rate limits: `coalition/feeds/limits.py`.

A build that needs more than `FEED_INLINE_BUILD_MAX` uncached event fragments, or lists more
than `FEED_INLINE_EVENTS_MAX` events, runs in a background thread (one per feed per process; one
per feed across processes when the store is Redis) while requests get the last good copy, or,
when there is none yet, wait up to `FEED_BUILD_WAIT` seconds and then get a 503 with
Retry-After: no request ever runs into the worker timeout, and other pages and /healthz keep
answering.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import brotli
from flask import Response, current_app, request
from flask_babel import gettext as _
from isal import igzip

from coalition import calendar_version
from coalition import counters as metrics
from coalition.cache_store import MemoryStore, RedisStore
from coalition.events.ics import FeedInfo
from coalition.feeds import limits
from coalition.feeds.builder import assemble
from coalition.feeds.fragments import EventRef, fragments_for, keys_for, missing
from coalition.feeds.store import get_store

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
#: Seconds a stored body lives (a newer version makes it useless anyway).
BODY_TTL = 2 * 24 * 3600
_ENCODINGS = ("br", "gzip")

_building: dict[str, threading.Thread] = {}
_building_lock = threading.Lock()


@dataclass
class FeedJob:
    """What a view asks for: how to name, validate and build one feed."""

    #: Route, canonical filters, language and person: two requests with the same identity get the
    #: same bytes (unknown query parameters are not part of it).
    identity: str
    #: Calendar version keys the feed depends on.
    version_keys: tuple[str, ...]
    #: Builds the body without the request (it may run in another thread).
    build: Callable[[], bytes] | None = None
    #: For calendars of many events: the events' references, the header, the zone.
    refs: Callable[[], list[EventRef]] | None = None  # called more than once: memoize
    info: FeedInfo | None = None
    timezone: str | None = None
    language: str | None = None
    private: bool = False
    #: A feed of free text, towns or dates (never-seen values are endless): its body is kept in
    #: this process's bounded copy only, and its builds are rate limited per client address.
    adhoc: bool = False
    #: The fragments' store keys, computed once (`is_slow`, then `build_body`).
    _keys: list[str] | None = field(default=None, init=False, repr=False)

    def fragment_keys(self) -> list[str]:
        assert self.refs is not None
        if self._keys is None:
            self._keys = keys_for(self.refs(), self.language)
        return self._keys

    def build_body(self) -> bytes:
        if self.build is not None:
            return self.build()
        assert self.refs is not None and self.info is not None and self.timezone
        fragments = fragments_for(
            self.refs(), self.language, keys=self.fragment_keys(), store_partial=not self.adhoc
        )
        return assemble(fragments, self.info, timezone=self.timezone)

    def is_slow(self) -> bool:
        if self.refs is None:
            return False
        limit = current_app.config["FEED_INLINE_BUILD_MAX"]
        keys = self.fragment_keys()
        if len(keys) > current_app.config["FEED_INLINE_EVENTS_MAX"]:
            return True
        if get_store().count_not_local(keys) <= limit:
            return False  # fewer missing here than the limit: no need to ask Redis which
        return missing(self.refs(), self.language, stop_after=limit, keys=keys) > limit


def adhoc_store() -> MemoryStore:
    """This process's bounded copy of ad-hoc feeds' bodies (made on first use)."""
    app = current_app
    store = app.extensions.get("feed_adhoc_store")
    if store is None:
        megabytes = app.config["FEED_ADHOC_MEMORY_MB"]
        store = MemoryStore(megabytes * 1024 * 1024, max_items=app.config["FEED_ADHOC_ENTRIES"])
        app.extensions["feed_adhoc_store"] = store
    return store


def _bodies(job: FeedJob) -> MemoryStore | RedisStore:
    """Where `job`'s bodies, last-copy pointer and build lock live."""
    return adhoc_store() if job.adhoc else get_store()


def _etag(token: str, identity: str) -> str:
    day = datetime.now(UTC).date().isoformat()
    return hashlib.sha256(f"{token}|{day}|{identity}".encode()).hexdigest()[:32]


def _encoding() -> str | None:
    accepted = request.accept_encodings
    for name in _ENCODINGS:
        if accepted.quality(name) > 0:
            return name
    return None


def _compress(raw: bytes, encoding: str) -> bytes:
    """Standard gzip, made with ISA-L (`isal`): its level 2 writes as small a body as zlib's level
    6 about ten times faster (~1 ms instead of ~9 for a 1 MB feed, the cost of a never-seen
    filter combination); `mtime=0` gives every process the same bytes."""
    if encoding == "br":
        return brotli.compress(raw, quality=5)
    return igzip.compress(raw, compresslevel=2, mtime=0)


def _store_body(store, etag: str, raw: bytes, *, encodings=(), identity: str | None = None) -> None:
    """Store a body (and its compressed forms; with `identity`, the pointer to it as that feed's
    last good copy) in `store`, in one round trip."""
    items = {f"body:{etag}": raw}
    for encoding in encodings:
        items[f"{encoding}:{etag}"] = _compress(raw, encoding)
    if identity is not None:
        items[f"last:{identity}"] = etag.encode()
    store.set_many(items, ttl=BODY_TTL)


def _not_modified(etag: str, changed_at: datetime | None) -> bool:
    if request.if_none_match:
        return any(
            tag.split("-")[0] == etag for tag in request.if_none_match.as_set(include_weak=True)
        )
    since = request.if_modified_since
    return changed_at is not None and since is not None and changed_at <= since


def _headers(job: FeedJob) -> dict:
    scope = "private" if job.private else "public"
    return {"Cache-Control": f"{scope}, max-age=900", "Vary": "Accept-Encoding"}


def _answer(job: FeedJob, etag: str, raw: bytes, changed_at: datetime | None) -> Response:
    encoding = _encoding()
    body = raw
    if encoding is not None:
        store = _bodies(job)
        (body,) = store.get_many([f"{encoding}:{etag}"])
        if body is None:
            body = _compress(raw, encoding)
            store.set_many({f"{encoding}:{etag}": body}, ttl=BODY_TTL)
    response = Response(body, content_type=CONTENT_TYPE, headers=_headers(job))
    response.set_etag(etag if encoding is None else f"{etag}-{encoding}")
    if encoding is not None:
        response.headers["Content-Encoding"] = encoding
    if changed_at is not None:
        response.last_modified = changed_at
    return response


def respond(job: FeedJob) -> Response:
    """304, cached bytes, a fresh build, or the last good copy while a slow build runs."""
    snapshot = calendar_version.snapshot(*job.version_keys)
    etag = _etag(snapshot.token, job.identity)
    # Feeds also change at midnight (their window of past dates moves).
    midnight = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), tzinfo=UTC)
    changed_at = max(snapshot.changed_at or midnight, midnight)
    if _not_modified(etag, changed_at):
        metrics.cache_lookup("feed", "not_modified")
        response = Response(status=304, headers=_headers(job))
        response.set_etag(etag)
        return response  # counts against no limit: the cheap answer pollers should get
    wait = limits.full_answer(job.identity)
    if wait is not None:
        return limits.too_many(wait)
    store = _bodies(job)
    raw, lock = store.get_local(f"body:{etag}"), None
    if raw is None:  # the body and the feed's build lock in one read (one round trip to Redis)
        raw, lock = store.get_many([f"body:{etag}", f"lock:{job.identity}"])
    if raw is None:
        if job.adhoc:
            wait = limits.adhoc_build()
            if wait is not None:
                return limits.too_many(wait)
        if _build_running(job.identity, lock) or job.is_slow():
            metrics.cache_lookup("feed", "stale")
            return _slow(job, etag)
        metrics.cache_lookup("feed", "miss")
        started = time.perf_counter()
        raw = job.build_body()
        metrics.feed_built("inline", time.perf_counter() - started)
        # The encoding this request accepts is compressed now, stored with the body (and found
        # by `_answer` in this process's copy).
        encoding = _encoding()
        _store_body(
            store, etag, raw, encodings=(encoding,) if encoding else (), identity=job.identity
        )
    else:
        metrics.cache_lookup("feed", "hit")
    return _answer(job, etag, raw, changed_at)


def _slow(job: FeedJob, etag: str) -> Response:
    """Start (or join) the build in the background; answer with the last good copy meanwhile."""
    _start_build(job, etag)
    store = _bodies(job)
    (last,) = store.get_many([f"last:{job.identity}"])
    if last is not None:
        old = last.decode()
        (raw,) = store.get_many([f"body:{old}"])
        if raw is not None:
            return _answer(job, old, raw, None)
    deadline = time.monotonic() + current_app.config["FEED_BUILD_WAIT"]
    while True:
        (raw,) = store.get_many([f"body:{etag}"])
        if raw is not None:
            return _answer(job, etag, raw, None)
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    response = Response(
        _("This calendar is being prepared. Try again in a minute.") + "\n",
        status=503,
        content_type="text/plain; charset=utf-8",
        headers={"Retry-After": "30", "Cache-Control": "no-store"},
    )
    return response


def _build_running(identity: str, lock: bytes | None) -> bool:
    """Is this feed being built, here or (with Redis) in another process? (cheap: no scan;
    `lock`: the value of its `lock:` key, read with the body)"""
    running = _building.get(identity)
    if running is not None and running.is_alive():
        return True
    return lock is not None


def _start_build(job: FeedJob, etag: str) -> None:
    with _building_lock:
        running = _building.get(job.identity)
        if running is not None and running.is_alive():
            return
        if not _bodies(job).add(f"lock:{job.identity}", b"1", ttl=300):
            return  # another process builds it
        app = current_app._get_current_object()
        thread = threading.Thread(
            target=_build_in_background, args=(app, job, etag), daemon=True,
            name=f"feed-build {job.identity[:40]}",
        )  # fmt: skip
        _building[job.identity] = thread
        thread.start()


def _build_in_background(app, job: FeedJob, etag: str) -> None:
    from coalition.extensions import db

    with app.app_context():
        store = _bodies(job)
        try:
            started = time.perf_counter()
            raw = job.build_body()
            metrics.feed_built("background", time.perf_counter() - started)
            _store_body(store, etag, raw, encodings=_ENCODINGS, identity=job.identity)
        except Exception:
            log.exception("building feed %s failed", job.identity)
        finally:
            store.delete(f"lock:{job.identity}")
            db.session.remove()


def wait_for_builds(timeout: float = 60) -> None:
    """Wait for background builds of this process (tests, benchmarks)."""
    deadline = time.monotonic() + timeout
    for thread in list(_building.values()):
        thread.join(max(0, deadline - time.monotonic()))


def clear() -> None:
    """Forget every stored body and fragment of this app (tests)."""
    get_store().clear()
    adhoc_store().clear()
