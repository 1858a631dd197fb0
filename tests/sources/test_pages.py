"""Organizers add a calendar in the browser, see its state and review what waits; event pages say
where an event came from; a partner's event sends people to the partner's site to RSVP."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine

from coalition.events.models import EventStatus
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from coalition.sources import operations
from coalition.sources.models import Source, SourceKind
from tests.factories import OrganizationFactory, UserFactory, member_of
from tests.sources.helpers import NOW, imported_events, make_source


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


def _organizer(org):
    return member_of(org, OrgRole.organizer)


def test_an_organizer_adds_a_calendar_and_sees_its_state(db, client, feed_server):
    from coalition.events.types import ensure_default_types

    ensure_default_types()
    org = OrganizationFactory()
    user = _organizer(org)
    db.session.commit()
    client.login(user.email)
    page = f"/orgs/{org.slug}/calendars/new"
    url = feed_server.serve_fixture("google.ics")
    response = client.submit(page, {"name": "Worcester Immigrant Coalition", "url": url,
                                    "type_slug": "meeting", "language": "es",
                                    "poll_minutes": "60"}, page=page)  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    source = db.session.scalar(sa.select(Source))
    assert source.org_id == org.id and source.language == "es"
    operations.poll(source, NOW)
    db.session.commit()
    shown = client.get(f"/orgs/{org.slug}/calendars/{source.id}").get_data(as_text=True)
    assert "Worcester Immigrant Coalition" in shown and "Comité de base" in shown
    listing = client.get(f"/orgs/{org.slug}/calendars").get_data(as_text=True)
    assert "5 events seen" in listing
    assert "Waiting for review" in listing and "Know Your Rights training" in listing


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/cal.ics", "http:// or https://"),
        ("not a url", "http:// or https://"),
    ],
)
def test_a_bad_address_is_a_clear_400(db, client, url, message):
    from coalition.events.types import ensure_default_types

    ensure_default_types()
    org = OrganizationFactory()
    user = _organizer(org)
    db.session.commit()
    client.login(user.email)
    page = f"/orgs/{org.slug}/calendars/new"
    response = client.submit(page, {"name": "X", "url": url, "type_slug": "meeting",
                                    "language": "en", "poll_minutes": "60"}, page=page)  # fmt: skip
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_without_csrf_nothing_is_added(db, client):
    org = OrganizationFactory()
    user = _organizer(org)
    db.session.commit()
    client.login(user.email)
    response = client.post(f"/orgs/{org.slug}/calendars/new",
                           data={"name": "X", "url": "https://example.org/c.ics"})  # fmt: skip
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Source.id))) == 0


def test_other_organizations_cannot_see_or_touch_a_source(db, client, feed_server):
    source = make_source(feed_server.serve_fixture("google.ics"))
    neighbour = OrganizationFactory()
    stranger = _organizer(neighbour)
    db.session.commit()
    client.login(stranger.email)
    assert client.get(f"/orgs/{source.org.slug}/calendars").status_code == 403
    assert client.get(f"/orgs/{source.org.slug}/calendars/{source.id}").status_code == 403
    # Their own slug with the neighbour's source id: 404.
    assert client.get(f"/orgs/{neighbour.slug}/calendars/{source.id}").status_code == 404
    member = member_of(source.org, OrgRole.member)
    client.logout()
    client.login(member.email)
    assert client.get(f"/orgs/{source.org.slug}/calendars").status_code == 403


def test_review_publishes_and_the_page_says_where_it_came_from(db, client, feed_server):
    source = make_source(feed_server.serve_fixture("thunderbird.ics"))
    operations.poll(source, NOW)
    db.session.commit()
    imported = operations.waiting(source.org)[0]
    organizer = _organizer(source.org)
    db.session.commit()
    client.login(organizer.email)
    index = f"/orgs/{source.org.slug}/calendars"
    response = client.submit(f"{index}/review/{imported.id}/accept", page=index)
    assert response.status_code == 302
    event = imported_events(source)["Rapid responder training"]
    db.session.refresh(event)
    assert event.status == EventStatus.published
    client.logout()
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "From Worcester Immigrant Coalition" in page
    assert "RSVP" in page


def test_a_partner_event_sends_people_to_the_partner(db, client, feed_server):
    from coalition.events.types import ensure_default_types

    ensure_default_types()
    admin_user = UserFactory(is_admin=True)
    host = OrganizationFactory(name="Worcester network")
    db.session.commit()
    client.login(admin_user.email)
    url = feed_server.serve_fixture("own_and_partner_feed.ics")
    response = client.submit("/admin/partners", {
        "name": "Worcester network", "url": url, "org_id": str(host.id), "type_slug": "forum",
        "language": "en", "poll_minutes": "60", "publishes_at_once": "y",
        "filter_category": "forum",
    }, page="/admin/partners")  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    source = db.session.scalar(sa.select(Source))
    assert source.kind == SourceKind.partner
    operations.poll(source, NOW)
    db.session.commit()
    event = imported_events(source)["A partner's forum"]
    client.logout()
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "https://worcester-network.example/events/7" in page
    assert "RSVP on Worcester network" in page
    occurrence = event.occurrences[0]
    assert f"/events/{event.id}/occurrences/{occurrence.id}/rsvp" not in page  # no RSVP here
    assert "Start a delegation" not in page
    with pytest.raises(rsvp_ops.RSVPError):
        rsvp_ops.submit(event.occurrences[0], rsvp_ops.RSVPInput(name="A", email="a@example.org"))


def test_partners_are_for_admins(db, client):
    org = OrganizationFactory()
    user = _organizer(org)
    db.session.commit()
    client.login(user.email)
    assert client.get("/admin/partners").status_code == 403


def test_the_filter_leaves_other_partner_events_out(db, feed_server):
    source = make_source(feed_server.serve_fixture("google.ics"), kind=SourceKind.partner,
                         publishes_at_once=True, filter_city="Boston")  # fmt: skip
    report = operations.poll(source, NOW)
    db.session.commit()
    assert imported_events(source) == {}
    assert report.filtered == 4


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "The server answered with an error (500)."),
        ("es", "El servidor respondió con un error (500)."),
    ],
)
def test_a_source_problem_is_shown_in_the_organizers_language(db, client, feed_server, lang, said):
    """The worker keeps the problem as a key and its parameters, not English words: each
    organizer reads it in the language they chose."""
    org = OrganizationFactory()
    user = _organizer(org)
    source = make_source(feed_server.serve("/broken.ics", b"oops", status=500), org=org)
    operations.poll(source, NOW)
    db.session.commit()
    assert source.last_error_code == "http_error" and source.last_error_params == {"status": 500}
    user.language = lang  # the language the organizer chose for their account
    db.session.commit()
    client.login(user.email)
    shown = client.get(f"/orgs/{org.slug}/calendars/{source.id}").get_data(as_text=True)
    listing = client.get(f"/orgs/{org.slug}/calendars").get_data(as_text=True)
    assert said in shown and said in listing


def test_a_problem_written_before_the_keys_is_still_shown(db, client, feed_server):
    """A row the migration left with only the English words (no key): shown translated when
    the catalogs know the words, else as they are."""
    org = OrganizationFactory()
    user = _organizer(org)
    source = make_source(feed_server.serve("/old.ics", b""), org=org)
    source.last_error, source.failures = "The server could not be reached.", 1
    user.language = "es"
    db.session.commit()
    client.login(user.email)
    shown = client.get(f"/orgs/{org.slug}/calendars/{source.id}").get_data(as_text=True)
    assert "No se pudo contactar al servidor." in shown
