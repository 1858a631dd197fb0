"""Anonymous public pages come from the render cache until the calendar version changes."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest

from coalition import create_app
from coalition.events.models import EventVisibility
from coalition.extensions import db as _db
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from tests.factories import OrganizationFactory, make_event, member_of

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


#: One time slice for the whole test (a slice boundary would turn an expected hit into a miss).
ONE_SLICE = {"RENDER_CACHE": True, "RENDER_CACHE_SECONDS": 10**9}


@pytest.fixture
def app_overrides():
    return dict(ONE_SLICE)


def _get(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return response


def test_a_second_visit_is_replayed_with_the_visitors_own_csrf_token(client, make_client, db):
    make_event(title="Vigil at the courthouse", start_date=date(2027, 3, 4))
    first = _get(client, "/calendar")
    assert first.headers["X-Render-Cache"] == "miss"
    other = make_client()
    second = _get(other, "/calendar")
    assert second.headers["X-Render-Cache"] == "hit"
    assert "Set-Cookie" not in first.headers or "session" in first.headers["Set-Cookie"]
    mine = _CSRF.search(first.get_data(as_text=True)).group(1)
    theirs = _CSRF.search(second.get_data(as_text=True)).group(1)
    assert mine != theirs
    assert _CSRF.sub("", first.get_data(as_text=True)) == _CSRF.sub(
        "", second.get_data(as_text=True)
    )
    # The replayed token is the second visitor's own: their language switch goes through.
    switched = other.post(
        "/language", data={"language": "es", "next": "/calendar", "csrf_token": theirs}
    )
    assert switched.status_code == 302 and "lang=es" in switched.headers["Set-Cookie"]
    refused = make_client().post(
        "/language", data={"language": "es", "next": "/calendar", "csrf_token": theirs}
    )
    assert "lang=es" not in refused.headers.get("Set-Cookie", "")


def test_a_change_is_shown_at_once(client, db):
    org = OrganizationFactory()
    make_event(org, title="First rally", start_date=date(2027, 3, 4))
    for url in ("/calendar", "/api/v1/events", "/"):
        _get(client, url)
        assert _get(client, url).headers["X-Render-Cache"] == "hit"
    make_event(org, title="Urgent vigil tonight", start_date=date(2027, 3, 5))
    for url in ("/calendar", "/api/v1/events", "/"):
        response = _get(client, url)
        assert response.headers["X-Render-Cache"] == "miss", url
        assert "Urgent vigil tonight" in response.get_data(as_text=True), url


def test_each_language_has_its_own_copy(client, db):
    make_event(start_date=date(2027, 1, 14))
    assert "Thursday, January 14, 2027" in _get(client, "/calendar").get_data(as_text=True)
    spanish = _get(client, "/calendar", headers={"Accept-Language": "es"})
    assert spanish.headers["X-Render-Cache"] == "miss"
    assert "jueves, 14 de enero de 2027" in spanish.get_data(as_text=True)


def test_seats_left_follow_rsvps(client, db):
    event = make_event(title="Training", capacity=20, start_date=date(2027, 3, 4))
    url = f"/events/{event.id}"
    assert "20 seats left" in _get(client, url).get_data(as_text=True)
    assert _get(client, url).headers["X-Render-Cache"] == "hit"
    rsvp_ops.submit(event.occurrences[0], rsvp_ops.RSVPInput(name="Ana", email="a@example.org",
                                                             party_size=3))  # fmt: skip
    db.session.commit()
    assert "17 seats left" in _get(client, url).get_data(as_text=True)


def test_signed_in_people_get_fresh_pages_and_never_fill_the_cache(client, make_client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.member, email="m@example.org")
    make_event(org, title="Members only meeting", visibility=EventVisibility.members)
    client.login("m@example.org")
    for _ in range(2):
        response = _get(client, "/calendar")
        assert "X-Render-Cache" not in response.headers
        assert "Members only meeting" in response.get_data(as_text=True)
    assert "Members only meeting" not in _get(make_client(), "/calendar").get_data(as_text=True)


def test_flashed_messages_are_never_stored_or_replayed(client, make_client, db):
    make_event(start_date=date(2027, 3, 4))
    _get(make_client(), "/calendar")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Your RSVP is confirmed.")]
    response = _get(client, "/calendar")
    assert "X-Render-Cache" not in response.headers
    assert "Your RSVP is confirmed." in response.get_data(as_text=True)
    replayed = _get(make_client(), "/calendar")
    assert replayed.headers["X-Render-Cache"] == "hit"
    assert "Your RSVP is confirmed." not in replayed.get_data(as_text=True)


def test_a_hit_runs_at_most_one_query(client, db, queries):
    make_event(start_date=date(2027, 3, 4))
    for url in ("/", "/calendar", "/calendar/month?year=2027&month=3", "/api/v1/events"):
        _get(client, url)
        with queries() as statements:
            assert _get(client, url).headers["X-Render-Cache"] == "hit"
        assert len(statements) <= 1, (url, statements)


def test_processes_share_pages_through_redis(backend, smtp_server):
    """Two apps (as two processes would) with one Redis: what one renders the other replays."""
    import redis

    from tests.conftest import PG_URL, _reset_postgres
    from tests.core.test_scale_out import REDIS_URL, _need_redis

    if backend != "postgresql":
        pytest.skip("two processes share a database on PostgreSQL")
    _need_redis()
    config = {
        "CONFIG_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": PG_URL,
        **ONE_SLICE,
        "CACHE_REDIS_URL": REDIS_URL,
        "RENDER_CACHE_PREFIX": f"test-render-{uuid.uuid4().hex}:",
    }
    one, two = create_app(dict(config)), create_app(dict(config))
    _reset_postgres(one)
    try:
        with one.app_context():
            make_event(title="Shared page rally", start_date=date(2027, 3, 4))
        with one.app_context():
            first = one.test_client().get("/calendar")
        with two.app_context():
            second = two.test_client().get("/calendar")
        assert first.headers["X-Render-Cache"] == "miss"
        assert second.headers["X-Render-Cache"] == "hit"
        assert "Shared page rally" in second.get_data(as_text=True)
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=config["RENDER_CACHE_PREFIX"] + "*"):
            client.delete(key)
        for app in (one, two):
            with app.app_context():
                _db.session.remove()
                _db.engine.dispose()


def test_a_link_shared_on_social_media_is_still_a_hit(client, db):
    make_event(title="Vigil at the courthouse")
    assert _get(client, "/calendar?type=rally").headers["X-Render-Cache"] == "miss"
    for tracked in ("fbclid=IwAR1abc", "utm_source=whatsapp&utm_medium=share", "gclid=x1"):
        response = _get(client, f"/calendar?type=rally&{tracked}")
        assert response.headers["X-Render-Cache"] == "hit", tracked
    # A parameter a page may read is part of the key.
    assert _get(client, "/calendar?type=vigil").headers["X-Render-Cache"] == "miss"
