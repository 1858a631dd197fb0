"""Link previews (Open Graph, Twitter cards): present, in the page's language, never a place."""

from __future__ import annotations

import re
from html import unescape

import pytest

from coalition.events.models import LocationVisibility
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, make_event, member_of


def tags(body: str) -> dict[str, str]:
    found = {}
    for _attr, name, content in re.findall(
        r'<meta (property|name)="([^"]+)" content="([^"]*)"', body
    ):
        found[name] = unescape(content)
    return found


def test_an_event_page_carries_its_preview(client, db):
    event = make_event(
        title="Rally for TPS",
        description="Bring **signs** and [friends](https://example.org).\n\nAll welcome.",
    )
    occurrence = event.occurrences[0]
    body = client.get(f"/events/{event.id}").get_data(as_text=True)
    meta = tags(body)
    assert meta["og:title"] == "Rally for TPS" == meta["twitter:title"]
    assert meta["og:url"] == f"http://localhost/events/{event.id}"
    # The date (in the event's zone), the town, then the description as plain text.
    assert meta["og:description"].startswith("Saturday, May 1, 2027")
    assert " · Boston. Bring signs and friends. All welcome." in meta["og:description"]
    assert meta["twitter:card"] == "summary"  # no picture yet
    assert meta["og:site_name"] and meta["og:locale"] == "en"
    date_page = client.get(f"/events/{event.id}/occurrences/{occurrence.id}")
    assert tags(date_page.get_data(as_text=True))["og:url"] == (
        f"http://localhost/events/{event.id}/occurrences/{occurrence.id}"
    )


def test_the_preview_is_in_the_page_language(client, db):
    event = make_event(
        texts={"en": ("Rally for TPS", "Come."), "es": ("Marcha por el TPS", "Ven.")}
    )
    client.set_cookie("lang", "es", domain="localhost")
    meta = tags(client.get(f"/events/{event.id}").get_data(as_text=True))
    assert meta["og:title"] == "Marcha por el TPS"
    assert meta["og:description"].startswith("sábado, 1 de mayo de 2027")
    assert meta["og:description"].endswith("Boston. Ven.")
    assert meta["og:locale"] == "es"


@pytest.mark.parametrize(
    "mode",
    [LocationVisibility.attendees, LocationVisibility.approved, LocationVisibility.hidden_until],
)
def test_a_hidden_place_never_reaches_the_preview_even_for_its_hosts(client, db, mode):
    org = OrganizationFactory()
    host = member_of(org, OrgRole.organizer, email="host@example.org")
    event = make_event(
        org,
        by=host,
        location_visibility=mode,
        location_reveal_hours=2 if mode == LocationVisibility.hidden_until else None,
        venue="Secret Church Basement",
        address="12 Hidden Lane",
        map_url="https://maps.example.org/secret",
        city="Chelsea",
    )
    anonymous = client.get(f"/events/{event.id}").get_data(as_text=True)
    head = anonymous.split("</head>")[0]
    for secret in ("Secret Church", "Hidden Lane", "maps.example.org"):
        assert secret not in anonymous
    assert "Chelsea" in tags(head)["og:description"]
    client.login("host@example.org")
    hosted = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Secret Church Basement" in hosted  # the host sees the place on the page...
    head = hosted.split("</head>")[0]
    for secret in ("Secret Church", "Hidden Lane", "maps.example.org"):
        assert secret not in head  # ...never in what a shared link would show


def test_calendar_and_org_pages_have_previews(client, db):
    org = OrganizationFactory(name="Valley Workers Center", city="Holyoke")
    make_event(org)
    calendar = tags(client.get("/calendar?city=Boston").get_data(as_text=True))
    assert calendar["og:title"] == "Upcoming actions and events"
    assert calendar["og:url"] == "http://localhost/calendar?city=Boston"
    page = tags(client.get(f"/orgs/{org.slug}").get_data(as_text=True))
    assert page["og:title"] == "Valley Workers Center"
    assert page["og:url"] == f"http://localhost/orgs/{org.slug}"
    assert page["og:description"].startswith("Holyoke")


@pytest.fixture
def app_overrides():
    return {"RENDER_CACHE": True, "RENDER_CACHE_MEMORY_MB": 8}


def test_previews_replayed_from_the_render_cache_are_the_same(client, db):
    event = make_event(
        location_visibility=LocationVisibility.attendees, venue="Secret Church Basement"
    )
    first = client.get(f"/events/{event.id}")
    second = client.get(f"/events/{event.id}")
    assert second.headers.get("X-Render-Cache") == "hit"
    assert tags(second.get_data(as_text=True)) == tags(first.get_data(as_text=True))
    assert tags(second.get_data(as_text=True))["og:url"] == f"http://localhost/events/{event.id}"
    assert "Secret Church" not in second.get_data(as_text=True)
