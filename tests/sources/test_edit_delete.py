"""Organizers change a calendar's settings and remove it in the browser; a removed calendar's
events stay as the organization's own, detached from it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine

from coalition.events.models import Event, EventStatus
from coalition.orgs.models import OrgRole
from coalition.sources import operations
from coalition.sources.models import ImportedEvent, Source
from tests.factories import OrganizationFactory, member_of
from tests.sources.helpers import NOW, imported_events, make_source

SETTINGS = {"name": "WIC calendar", "type_slug": "forum", "language": "pt",
            "default_city": "Worcester", "publishes_at_once": "y",
            "editable_fields": ["title", "place"], "poll_minutes": "180"}  # fmt: skip


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


def _signed_in(client, org):
    user = member_of(org, OrgRole.organizer)
    from coalition.extensions import db

    db.session.commit()
    client.login(user.email)
    return user


def test_an_organizer_changes_the_settings(db, client, feed_server):
    url = feed_server.serve_fixture("google.ics")
    source = make_source(url)
    _signed_in(client, source.org)
    page = f"/orgs/{source.org.slug}/calendars/{source.id}/edit"
    form = client.get(page).get_data(as_text=True)
    assert "Worcester Immigrant Coalition" in form and url in form
    response = client.submit(page, {**SETTINGS, "url": url}, page=page)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    source = db.session.get(Source, source.id)
    assert (source.name, source.type.slug, source.language, source.default_city) == (
        "WIC calendar",
        "forum",
        "pt",
        "Worcester",
    )
    assert source.publishes_at_once and source.poll_minutes == 180
    assert source.editable_fields == ["title", "place"]
    shown = client.get(f"/orgs/{source.org.slug}/calendars/{source.id}").get_data(as_text=True)
    assert "published at once" in shown and "Title, Place" in shown


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "ftp://example.org/cal.ics"}, "http:// or https://"),
        ({"url": "https://me:secret@example.org/cal.ics"}, "without a user name"),
        ({"name": ""}, "Give the calendar a name."),
        ({"poll_minutes": "5"}, "Not a valid choice"),
        ({"type_slug": "nope"}, "Not a valid choice"),
    ],
)
def test_bad_settings_are_a_clear_400_and_nothing_is_saved(db, client, feed_server, change,
                                                          message):  # fmt: skip
    url = feed_server.serve_fixture("google.ics")
    source = make_source(url)
    _signed_in(client, source.org)
    page = f"/orgs/{source.org.slug}/calendars/{source.id}/edit"
    response = client.submit(page, {**SETTINGS, "url": url, **change}, page=page)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    source = db.session.get(Source, source.id)
    assert source.name == "Worcester Immigrant Coalition" and source.url == url
    assert source.poll_minutes == 60 and not source.publishes_at_once


def test_removing_asks_first_and_keeps_the_events_detached(db, client, feed_server):
    url = feed_server.serve_fixture("google.ics")
    source = make_source(url, publishes_at_once=True)
    operations.poll(source, NOW)
    db.session.commit()
    events = imported_events(source)
    assert events
    org_slug, source_id = source.org.slug, source.id
    _signed_in(client, source.org)
    page = f"/orgs/{org_slug}/calendars/{source_id}/delete"
    confirm = client.get(page).get_data(as_text=True)
    assert "kept as your organization" in confirm and "Nothing is cancelled" in confirm
    assert db.session.get(Source, source_id) is not None  # asking removes nothing
    assert client.post(page, data={}).status_code == 400  # no CSRF token: nothing removed
    assert db.session.get(Source, source_id) is not None
    response = client.submit(page, page=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Source, source_id) is None
    assert db.session.scalar(sa.select(sa.func.count(ImportedEvent.id))) == 0
    for event in events.values():
        kept = db.session.get(Event, event.id)
        assert kept is not None and kept.status == EventStatus.published
    page_text = client.get(f"/events/{next(iter(events.values())).id}").get_data(as_text=True)
    assert "From Worcester Immigrant Coalition" not in page_text


def test_another_organization_cannot_change_or_remove(db, client, feed_server):
    source = make_source(feed_server.serve_fixture("google.ics"))
    neighbour = OrganizationFactory()
    _signed_in(client, neighbour)
    slug = source.org.slug
    for action in ("edit", "delete"):
        page = f"/orgs/{slug}/calendars/{source.id}/{action}"
        assert client.get(page).status_code == 403
        assert client.submit(page, {**SETTINGS, "url": source.url}).status_code == 403
        assert client.get(f"/orgs/{neighbour.slug}/calendars/{source.id}/{action}"
                          ).status_code == 404  # fmt: skip
    db.session.expire_all()
    kept = db.session.get(Source, source.id)
    assert kept is not None and kept.name == "Worcester Immigrant Coalition"
    member = member_of(source.org, OrgRole.member)
    db.session.commit()
    client.logout()
    client.login(member.email)
    assert client.get(f"/orgs/{slug}/calendars/{source.id}/edit").status_code == 403
    assert client.submit(f"/orgs/{slug}/calendars/{source.id}/delete").status_code == 403
    assert db.session.get(Source, source.id) is not None


def test_the_next_reading_gives_imported_events_the_new_type(db, client, feed_server):
    url = feed_server.serve_fixture("google.ics", headers={"ETag": '"same"'})
    source = make_source(url, publishes_at_once=True)
    operations.poll(source, NOW)
    db.session.commit()
    assert {e.type.slug for e in imported_events(source).values()} == {"meeting"}
    _signed_in(client, source.org)
    page = f"/orgs/{source.org.slug}/calendars/{source.id}/edit"
    settings = {**SETTINGS, "url": url, "editable_fields": []}
    assert client.submit(page, settings, page=page).status_code == 302
    db.session.expire_all()
    source = db.session.get(Source, source.id)
    operations.poll(source, NOW)  # the feed answers 304 to a conditional GET: none is sent
    db.session.commit()
    assert {e.type.slug for e in imported_events(source).values()} == {"forum"}
