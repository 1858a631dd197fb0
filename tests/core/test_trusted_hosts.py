"""A forged Host (or X-Forwarded-Host behind a trusted proxy) reaches no page, link or cache.

Absolute URLs come only from BASE_URL; a request for a host outside TRUSTED_HOSTS is refused
with 400 before any view or cache runs (Flask's TRUSTED_HOSTS, as Django's ALLOWED_HOSTS).
"""

from __future__ import annotations

from datetime import date

import pytest

from coalition import create_app
from coalition.extensions import db as _db
from tests.factories import make_event

BASE = "http://localhost"
#: The render cache on, one time slice for the whole test.
CACHED = {"RENDER_CACHE": True, "RENDER_CACHE_SECONDS": 10**9}


@pytest.fixture
def app_overrides():
    return {**CACHED, "TRUSTED_HOSTS": ["localhost", "www.localhost"]}


def _links(body: dict) -> list[str]:
    found = [body["next"]] if body.get("next") else []
    for event in body["events"]:
        found.append(event["url"])
        found += [occurrence["url"] for occurrence in event.get("occurrences", [])]
        if event.get("organization", {}).get("url"):
            found.append(event["organization"]["url"])
    return found


def _two_events():
    make_event(title="Vigil at the courthouse", start_date=date(2027, 3, 4))
    make_event(title="March for the families", start_date=date(2027, 3, 11))


def test_a_forged_host_is_refused_and_never_reaches_the_cached_api(client, db):
    _two_events()
    forged = client.get("/api/v1/events?per_page=1", headers={"Host": "evil.example"})
    honest = client.get("/api/v1/events?per_page=1")
    assert honest.status_code == 200
    links = _links(honest.json)
    assert links and honest.json["next"]
    assert all(link.startswith(f"{BASE}/") for link in links), links
    assert forged.status_code == 400
    assert b"evil.example" not in forged.data


@pytest.mark.parametrize(
    "path", ["/", "/calendar", "/calendar.ics", "/api/v1/events", "/api/v1/orgs", "/healthz"]
)
def test_every_route_refuses_an_unknown_host(client, db, path):
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "X-Render-Cache" not in response.headers
    assert client.get(path).status_code == 200


def test_a_second_trusted_name_still_links_to_base_url(client, db):
    """www.localhost is trusted (people type it), yet every absolute link names BASE_URL."""
    _two_events()
    alias = client.get("/api/v1/events?per_page=1", headers={"Host": "www.localhost"})
    assert alias.status_code == 200
    assert all(link.startswith(f"{BASE}/") for link in _links(alias.json))
    orgs = client.get("/api/v1/orgs", headers={"Host": "www.localhost"}).json["orgs"]
    assert orgs and all(org["url"].startswith(f"{BASE}/") for org in orgs)
    # Each host has its own cache entries: nothing one host's request stored is replayed to
    # another.
    assert client.get("/api/v1/events?per_page=1").headers["X-Render-Cache"] == "miss"


@pytest.mark.parametrize("app_overrides", [{**CACHED, "TRUSTED_PROXIES": 1,
                                            "TRUSTED_HOSTS": ["localhost"]}])  # fmt: skip
def test_behind_a_trusted_proxy_the_forwarded_host_is_checked(client, db, app_overrides):
    _two_events()
    forged = client.get("/api/v1/events?per_page=1", headers={"X-Forwarded-Host": "evil.example"})
    honest = client.get("/api/v1/events?per_page=1", headers={"X-Forwarded-Host": "localhost"})
    assert honest.status_code == 200
    assert all(link.startswith(f"{BASE}/") for link in _links(honest.json))
    assert forged.status_code == 400
    page = client.get("/calendar", headers={"X-Forwarded-Host": "evil.example:443"})
    assert page.status_code == 400


@pytest.mark.parametrize("app_overrides", [{**CACHED, "TRUSTED_PROXIES": 0,
                                            "TRUSTED_HOSTS": ["localhost"]}])  # fmt: skip
def test_without_a_trusted_proxy_the_forwarded_host_is_ignored(client, db, app_overrides):
    _two_events()
    forged = client.get("/api/v1/events?per_page=1", headers={"X-Forwarded-Host": "evil.example"})
    assert forged.status_code == 200
    assert all(link.startswith(f"{BASE}/") for link in _links(forged.json))
    replay = client.get("/api/v1/events?per_page=1")
    assert replay.headers["X-Render-Cache"] == "hit"
    assert b"evil.example" not in replay.data


def test_production_trusts_the_host_of_base_url_unless_told_otherwise():
    production = {
        "CONFIG_NAME": "production",
        "SECRET_KEY": "trusted-hosts-test",
        "CONTACT_KEYS": "dHJ1c3RlZC1ob3N0cy10ZXN0LW9ubHktY29udGFjdC0=",
        "CONTACT_HASH_KEY": "trusted-hosts-test-only-contact-hash-key",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "BASE_URL": "https://events.example.org",
    }
    app = create_app(dict(production))
    assert app.config["TRUSTED_HOSTS"] == ["events.example.org"]
    with app.app_context():
        _db.create_all()
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "events.example.org"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    listed = create_app({**production, "TRUSTED_HOSTS": ["events.example.org", ".example.net"]})
    assert listed.config["TRUSTED_HOSTS"] == ["events.example.org", ".example.net"]
