"""Partner coalitions' feeds after they are added: an admin changes the filters (type, town) and
chooses to take the RSVPs for the partner's events here; the event page then offers our own RSVP
form instead of the link to the partner's site."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine

from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP
from coalition.sources import operations
from coalition.sources.models import Source, SourceKind
from tests.factories import UserFactory, member_of
from tests.sources.helpers import NOW, imported_events, make_source
from tests.sources.test_sync import _feed, _vevent


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


FEED = _feed(
    _vevent("event-7@worcester-network.example", summary="A partner's forum",
            extra="CATEGORIES:Forum\r\nURL:https://worcester-network.example/events/7\r\n"),
    _vevent("event-8@worcester-network.example", summary="A partner's vigil",
            extra="CATEGORIES:Vigil\r\nURL:https://worcester-network.example/events/8\r\n"),
)  # fmt: skip


def _edit_form(source, **changes) -> dict:
    data = {"name": source.name, "url": source.url, "type_slug": source.type.slug,
            "language": "en", "poll_minutes": "60", "publishes_at_once": "y"}  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_changes_a_partners_filters_and_takes_rsvps_here(db, client, feed_server):
    source = make_source(feed_server.serve("/partner-edit.ics", FEED), kind=SourceKind.partner,
                         publishes_at_once=True, filter_category="forum")  # fmt: skip
    operations.poll(source, NOW)
    db.session.commit()
    assert list(imported_events(source)) == ["A partner's forum"]
    admin = UserFactory(is_admin=True)
    db.session.commit()
    client.login(admin.email)
    listing = client.get("/admin/partners").get_data(as_text=True)
    page = f"/orgs/{source.org.slug}/calendars/{source.id}/edit"
    assert page in listing
    form = client.get(page).get_data(as_text=True)
    assert 'name="filter_category"' in form and 'value="forum"' in form
    response = client.submit(page, _edit_form(source, filter_category="vigil", filter_city="",
                                              rsvps_here="y"), page=page)  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.refresh(source)
    assert (source.filter_category, source.filter_city, source.rsvps_here) == ("vigil", None, True)
    shown = client.get(f"/orgs/{source.org.slug}/calendars/{source.id}").get_data(as_text=True)
    assert "taken here" in shown and "vigil" in shown
    operations.poll(source, NOW)
    db.session.commit()
    events = imported_events(source)
    assert "A partner's vigil" in events
    # RSVPs are taken here now: the page shows our form, and an RSVP is kept.
    vigil = events["A partner's vigil"]
    client.logout()
    html = client.get(f"/events/{vigil.id}").get_data(as_text=True)
    occurrence = vigil.occurrences[0]
    assert f"/events/{vigil.id}/occurrences/{occurrence.id}/rsvp" in html
    assert "RSVP on Worcester Immigrant Coalition" not in html
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(RSVP.id))) == 1


def test_without_the_choice_partner_rsvps_stay_on_the_partners_site(db, feed_server):
    source = make_source(feed_server.serve("/partner-out.ics", FEED), kind=SourceKind.partner,
                         publishes_at_once=True)  # fmt: skip
    operations.poll(source, NOW)
    db.session.commit()
    forum = imported_events(source)["A partner's forum"]
    with pytest.raises(rsvp_ops.RSVPError):
        rsvp_ops.submit(forum.occurrences[0], rsvp_ops.RSVPInput(name="A", email="a@example.org"))


def test_an_organizer_of_the_host_cannot_change_a_partner(db, client, feed_server):
    source = make_source(feed_server.serve("/partner-host.ics", FEED), kind=SourceKind.partner)
    organizer = member_of(source.org, OrgRole.organizer)
    db.session.commit()
    client.login(organizer.email)
    page = f"/orgs/{source.org.slug}/calendars/{source.id}/edit"
    assert client.get(page).status_code == 403
    response = client.submit(page, _edit_form(source, rsvps_here="y"), page="/")
    assert response.status_code == 403
    assert db.session.get(Source, source.id).rsvps_here is False


def test_a_member_calendar_ignores_the_partner_fields(db, client, feed_server):
    """Only a partner's form has filters and the RSVP choice: posted to a member calendar's
    form, they change nothing."""
    source = make_source(feed_server.serve("/member.ics", FEED))
    organizer = member_of(source.org, OrgRole.organizer)
    db.session.commit()
    client.login(organizer.email)
    page = f"/orgs/{source.org.slug}/calendars/{source.id}/edit"
    assert 'name="rsvps_here"' not in client.get(page).get_data(as_text=True)
    response = client.submit(page, _edit_form(source, rsvps_here="y", filter_city="Boston"),
                             page=page)  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(source)
    assert source.rsvps_here is False and source.filter_city is None
