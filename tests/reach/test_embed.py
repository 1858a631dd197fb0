"""The embeddable calendar: framable by any site, no cookies, public events only."""

from __future__ import annotations

import re
from html import unescape

from coalition.events.models import EventVisibility
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, make_event, member_of


def test_the_embed_may_be_framed_and_sets_no_cookie(client, db):
    event = make_event(title="Rally for TPS")
    response = client.get("/embed/calendar")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "script-src 'self'" in csp
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=60"
    page = response.get_data(as_text=True)
    occurrence = event.occurrences[0]
    assert (
        f'href="http://localhost/events/{event.id}/occurrences/{occurrence.id}/rsvp" '
        'target="_blank" rel="noopener"'
    ) in page
    assert "csrf_token" not in page and "<form" not in page
    # Every other page refuses to be framed.
    for path in ("/calendar", f"/events/{event.id}", "/"):
        other = client.get(path)
        assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]
        assert other.headers["X-Frame-Options"] == "DENY"


def test_the_embed_takes_the_calendars_filters_and_its_own_language(client, db):
    make_event(title="Rally in Boston", city="Boston")
    make_event(title="Vigil in Lowell", city="Lowell", type_slug="vigil")
    page = client.get("/embed/calendar?city=Lowell").get_data(as_text=True)
    assert "Vigil in Lowell" in page and "Rally in Boston" not in page
    spanish = client.get("/embed/calendar?hl=es").get_data(as_text=True)
    assert '<html lang="es">' in spanish and "Confirmar asistencia" in spanish
    bad = client.get("/embed/calendar?type=nope")
    assert bad.status_code == 400 and "Set-Cookie" not in bad.headers
    assert "Unknown event type: nope" in bad.get_data(as_text=True)


def test_an_organizations_embed_lists_its_events_only(client, db):
    valley = OrganizationFactory(name="Valley Workers Center")
    other = OrganizationFactory(name="Other Center")
    make_event(valley, title="Valley training")
    make_event(other, title="Other rally")
    response = client.get(f"/embed/orgs/{valley.slug}/calendar")
    page = unescape(response.get_data(as_text=True))
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "Valley training" in page and "Other rally" not in page
    assert "Upcoming events: Valley Workers Center" in page
    assert client.get("/embed/orgs/nobody/calendar").status_code == 404


def test_the_embed_shows_public_events_only_whoever_looks(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="host@example.org")
    make_event(org, title="Members meeting", visibility=EventVisibility.members)
    make_event(org, title="Public rally")
    client.login("host@example.org")
    page = client.get("/embed/calendar").get_data(as_text=True)
    assert "Public rally" in page and "Members meeting" not in page
    assert "Members meeting" in client.get("/calendar").get_data(as_text=True)


def test_organizers_get_their_snippet(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="host@example.org")
    assert client.get(f"/orgs/{org.slug}/embed").status_code == 302  # sign in first
    client.login("host@example.org")
    page = unescape(client.get(f"/orgs/{org.slug}/embed").get_data(as_text=True))
    assert (
        f'<iframe src="http://localhost/embed/orgs/{org.slug}/calendar"' in page
        and "data-coalition-embed" in page
        and '<script src="http://localhost/static/embed-parent.js" async></script>' in page
    )
    assert f"/orgs/{org.slug}/embed" in client.get(f"/orgs/{org.slug}").get_data(as_text=True)


def test_the_embed_is_replayed_from_the_render_cache(app, client, db):
    app.config["RENDER_CACHE"] = True
    make_event(title="Rally for TPS")
    client.get("/embed/calendar?hl=pt")
    again = client.get("/embed/calendar?hl=pt")
    assert again.headers.get("X-Render-Cache") == "hit"
    assert "frame-ancestors *" in again.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in again.headers and "Rally for TPS" in again.get_data(as_text=True)
    make_event(title="New vigil")  # a change to the calendar shows at once
    assert "New vigil" in client.get("/embed/calendar?hl=pt").get_data(as_text=True)


def test_the_snippet_offers_the_frames_language(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="host@example.org")
    client.login("host@example.org")
    page = unescape(client.get(f"/orgs/{org.slug}/embed").get_data(as_text=True))
    form = re.search(r'<form method="get"[^>]*>.*?</form>', page, re.S).group(0)
    for code, name in (("es", "Español"), ("ht", "Kreyòl ayisyen"), ("pt", "Português")):
        assert f'value="{code}"' in form and name in form
    assert 'for="embed-hl"' in form and 'id="embed-hl"' in form
    spanish = unescape(client.get(f"/orgs/{org.slug}/embed?hl=es").get_data(as_text=True))
    src = f"http://localhost/embed/orgs/{org.slug}/calendar?hl=es"
    assert f'<iframe src="{src}"' in spanish  # the snippet, and the preview below it
    assert spanish.count(f'src="{src}"') == 2
    assert 'title="Próximos eventos' in spanish  # the frame's title in its language
    # A language the frames do not speak: a clear message, the page still usable.
    bad = client.get(f"/orgs/{org.slug}/embed?hl=xx")
    assert bad.status_code == 400
    assert "Choose one of the languages offered." in bad.get_data(as_text=True)
