"""Serving feeds cheaply: one read for a 304, compressed bytes cached, a store shared through
Redis, a rate limit, and slow builds that never hold a request (or /healthz) hostage."""

from __future__ import annotations

import gzip
import time
import uuid
from datetime import UTC, datetime, timedelta

import brotli
import pytest
import sqlalchemy as sa

from coalition.cache_store import RedisStore
from coalition.events.models import Event, EventTranslation, EventType, Occurrence
from coalition.events.types import ensure_default_types
from coalition.extensions import db as database
from coalition.feeds import cache
from coalition.feeds.store import get_store
from tests.factories import OrganizationFactory, make_event
from tests.feeds.conftest import vevents

REDIS_URL = "redis://127.0.0.1:6379/12"


class QueryCounter:
    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)


def test_a_conditional_get_is_one_read_of_the_calendar_version(client, db):
    make_event()
    first = client.get("/calendar.ics?type=rally")
    with QueryCounter(db.engine) as counter:
        again = client.get(
            "/calendar.ics?type=rally", headers={"If-None-Match": first.headers["ETag"]}
        )
    assert again.status_code == 304
    # The filter's type slug is checked, then the version read: no scan of events.
    assert sum("calendar_versions" in s for s in counter.statements) == 1
    assert not any("FROM events" in s for s in counter.statements)


def test_gzip_and_brotli_are_negotiated_and_cached(client, db):
    make_event()
    plain = client.get("/calendar.ics")
    assert "Accept-Encoding" in plain.headers["Vary"]
    zipped = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    br = client.get("/calendar.ics", headers={"Accept-Encoding": "br, gzip"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data) == plain.data
    assert len(br.data) < len(plain.data)
    again = client.get(
        "/calendar.ics",
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
    )
    assert again.status_code == 304


@pytest.fixture
def redis_overrides():
    return {"CACHE_REDIS_URL": REDIS_URL, "FEED_CACHE_PREFIX": f"test:{uuid.uuid4().hex}:"}


@pytest.fixture
def app_overrides(request):
    if "redis_overrides" in request.fixturenames:
        return request.getfixturevalue("redis_overrides")
    return getattr(request, "param", {})


def test_a_process_that_never_built_a_feed_serves_it_from_redis(client, db, redis_overrides):
    store = get_store()
    assert isinstance(store, RedisStore)
    try:
        make_event(title="Shared rally")
        first = client.get("/calendar.ics")
        assert b"Shared rally" in first.data
        store.local.clear()  # what another gunicorn worker, or a restarted one, starts with
        with QueryCounter(db.engine) as counter:
            second = client.get("/calendar.ics")
        assert second.data == first.data
        assert len(counter.statements) == 1  # the calendar version; the bytes come from Redis
        # A new filter combination is a concatenation of the fragments already in Redis.
        store.local.clear()
        keys = store.redis.keys(redis_overrides["FEED_CACHE_PREFIX"] + "frag:*")
        assert len(keys) == 1
        filtered = client.get("/calendar.ics?type=rally")
        assert b"Shared rally" in filtered.data
        assert len(store.redis.keys(redis_overrides["FEED_CACHE_PREFIX"] + "frag:*")) == 1
    finally:
        store.clear()


@pytest.mark.parametrize(
    "app_overrides", [{"RATELIMIT_ENABLED": True, "FEED_RATE_LIMIT": "3 per minute"}], indirect=True
)
def test_feed_routes_are_rate_limited(client, db, app_overrides):
    make_event()
    statuses = [client.get(f"/calendar.ics?x={i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def _seed(count: int) -> None:
    """`count` one-off events inserted in bulk (building their feed takes a while)."""
    ensure_default_types()
    org = OrganizationFactory()
    type_id = database.session.scalar(sa.select(EventType.id).order_by(EventType.id).limit(1))
    start = datetime(2027, 5, 1, 16, tzinfo=UTC)
    events = [
        {
            "id": 1000 + i,
            "host_org_id": org.id,
            "type_id": type_id,
            "timezone": "America/New_York",
            "start_at": start + timedelta(hours=i),
            "end_at": start + timedelta(hours=i + 1),
            "status": "published",
            "published_at": start,
        }
        for i in range(count)
    ]
    database.session.execute(sa.insert(Event), events)
    database.session.execute(
        sa.insert(EventTranslation),
        [{"event_id": e["id"], "language": "en", "title": f"Action {e['id']}"} for e in events],
    )
    database.session.execute(
        sa.insert(Occurrence),
        [
            {
                "event_id": e["id"],
                "recurrence_id": e["start_at"],
                "start_at": e["start_at"],
                "end_at": e["end_at"],
            }
            for e in events
        ],
    )
    database.session.commit()


@pytest.mark.parametrize(
    "app_overrides", [{"FEED_INLINE_BUILD_MAX": 0, "FEED_BUILD_WAIT": 0}], indirect=True
)
def test_healthz_answers_while_a_feed_is_being_built(client, db, app_overrides):
    _seed(1500)
    started = time.monotonic()
    first = client.get("/calendar.ics")
    assert first.status_code == 503  # no earlier copy: come back soon, rather than hang
    assert first.headers["Retry-After"]
    building = [t for t in cache._building.values() if t.is_alive()]
    assert building, "the build runs off the request path"
    health = client.get("/healthz")
    assert health.status_code == 200
    assert any(t.is_alive() for t in building), "/healthz answered while the feed was built"
    assert time.monotonic() - started < 5
    cache.wait_for_builds()
    done = client.get("/calendar.ics")
    assert done.status_code == 200
    assert len(vevents(done.data)) == 1500


@pytest.mark.parametrize(
    "app_overrides", [{"FEED_INLINE_BUILD_MAX": 0, "FEED_BUILD_WAIT": 30}], indirect=True
)
def test_a_slow_rebuild_serves_the_last_good_copy_meanwhile(client, db, app_overrides):
    event = make_event(title="Old title")
    first = client.get("/calendar.ics")  # waits for the build (FEED_BUILD_WAIT)
    assert first.status_code == 200 and b"Old title" in first.data
    event.translations[0].title = "New title"
    db.session.commit()
    meanwhile = client.get("/calendar.ics")
    assert meanwhile.status_code == 200
    assert b"Old title" in meanwhile.data or b"New title" in meanwhile.data
    cache.wait_for_builds()
    assert b"New title" in client.get("/calendar.ics").data


@pytest.mark.parametrize(
    "app_overrides", [{"FEED_INLINE_EVENTS_MAX": 2, "FEED_BUILD_WAIT": 0}], indirect=True
)
def test_a_feed_of_many_events_is_built_off_the_request_path_even_when_cached(
    client, db, app_overrides
):
    events = [make_event(title=f"Rally {n}") for n in range(3)]
    assert client.get("/calendar.ics").status_code == 503  # three events: more than 2
    cache.wait_for_builds()
    assert len(vevents(client.get("/calendar.ics").data)) == 3
    events[0].translations[0].title = "Moved rally"
    db.session.commit()
    # Two of three fragments are cached, yet the feed is not concatenated on the request.
    meanwhile = client.get("/calendar.ics")
    assert meanwhile.status_code == 200 and b"Rally 0" in meanwhile.data
    cache.wait_for_builds()
    assert b"Moved rally" in client.get("/calendar.ics").data
    # A feed of two events (the limit) is built on the request.
    assert client.get("/calendar.ics?type=rally&org=nobody").status_code == 400
    two = client.get(f"/calendar.ics?org={events[1].host_org.slug}")
    assert two.status_code == 200 and len(vevents(two.data)) == 1


def test_the_worker_warms_fragments_so_web_processes_only_concatenate(
    app, client, db, redis_overrides
):
    from coalition.feeds.listing import warm_fragments
    from coalition.worker import build_scheduler

    store = get_store()
    try:
        assert "warm-feeds" in {job.id for job in build_scheduler(app).get_jobs()}
        make_event(title="Warm rally")
        assert warm_fragments() == 1
        assert warm_fragments() == 0
        store.local.clear()
        app.config["FEED_INLINE_BUILD_MAX"] = 0  # anything to build would go to the background
        response = client.get("/calendar.ics")
        assert response.status_code == 200 and b"Warm rally" in response.data
    finally:
        store.clear()


def test_a_repeated_filter_value_is_the_same_feed(client, db):
    make_event()
    once = client.get("/calendar.ics?type=rally")
    twice = client.get("/calendar.ics?type=rally&type=rally&utm_source=x")
    assert twice.status_code == 200
    assert twice.headers["ETag"] == once.headers["ETag"] and twice.data == once.data
