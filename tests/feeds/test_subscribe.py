"""Subscribing as the best calendars offer it: Google, Apple (webcal), Outlook.com, Office 365,
copy the link, download; on every calendar page and event page; the subscribe page builds the
feed's address from chosen filters."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from tests.factories import OrganizationFactory, make_event


def _links(body: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', body)]


def _offers(body: str, feed_url: str) -> None:
    """The whole set for `feed_url` (absolute, http: in tests)."""
    links = _links(body)
    webcal = feed_url.replace("http://", "webcal://")
    assert webcal in links, "Apple (webcal)"
    google = [u for u in links if u.startswith("https://calendar.google.com/")]
    assert google and parse_qs(urlsplit(google[0]).query)["cid"] == [webcal], google
    for host in ("outlook.live.com", "outlook.office.com"):
        [outlook] = [u for u in links if urlsplit(u).netloc == host]
        assert urlsplit(outlook).path == "/calendar/0/addfromweb", outlook
        query = parse_qs(urlsplit(outlook).query)
        assert query["url"] == [feed_url] and query["name"][0], outlook
    assert feed_url in links, "download"
    # Copy: a button that works with JavaScript, the link selectable without it.
    fields = re.findall(r'<input id="([^"]+)" type="url" readonly value="([^"]+)"', body)
    [field_id] = [i for i, value in fields if unescape(value) == feed_url]
    assert f'data-copy="#{field_id}"' in body


def test_every_calendar_page_offers_each_calendar_app_and_a_copy_button(client, db):
    org = OrganizationFactory(slug="valley")
    make_event(org, title="Rally")
    everything = "http://localhost/calendar.ics"
    for path in ("/calendar", "/calendar/month", "/calendar/subscribe"):
        _offers(client.get(path).get_data(as_text=True), everything)
    _offers(client.get("/calendar?type=rally&lang=es").get_data(as_text=True),
            everything + "?type=rally&lang=es")  # fmt: skip
    _offers(client.get("/orgs/valley").get_data(as_text=True),
            "http://localhost/orgs/valley/calendar.ics")  # fmt: skip


def test_each_event_page_has_the_same_add_to_calendar_set(client, db):
    event = make_event(title="Rally")
    occurrence = event.occurrences[0]
    for path in (f"/events/{event.id}", f"/events/{event.id}/occurrences/{occurrence.id}"):
        body = client.get(path).get_data(as_text=True)
        _offers(body, f"http://localhost/events/{event.id}.ics")


def test_the_subscribe_link_sits_at_the_top_of_every_calendar_page(client, db):
    make_event()
    for path in ("/calendar", "/calendar/month", "/calendar/past"):
        body = client.get(path + "?lang=es").get_data(as_text=True)
        top = body.index("<h1")
        link = body.index('href="/calendar/subscribe?lang=es"')
        filters = body.index('class="calendar-filters"')
        assert top < link < filters, path  # before the filters, not 10 screens down


def test_the_subscribe_page_picks_language_town_organization_and_type(client, db):
    org = OrganizationFactory(slug="valley", name="Valley Workers Center")
    make_event(org, title="Vigil", type_slug="vigil", city="Holyoke")
    page = client.get("/calendar/subscribe").get_data(as_text=True)
    form = re.search(r'<form method="get"[^>]*class="subscribe-filters".*?</form>', page, re.S)
    assert form, "a filter form on the subscribe page"
    form = form.group(0)
    for name in ("lang", "city", "org", "type"):
        assert f'name="{name}"' in form, name
    assert 'value="valley"' in form and 'value="vigil"' in form and 'value="es"' in form
    for input_id in re.findall(r'<input [^>]*id="([^"]+)"', form):
        assert f'for="{input_id}"' in form, input_id
    chosen = client.get("/calendar/subscribe?lang=es&city=Holyoke&org=valley&type=vigil")
    body = chosen.get_data(as_text=True)
    feed = "http://localhost/calendar.ics?type=vigil&org=valley&lang=es&city=Holyoke"
    _offers(body, feed)
    assert re.search(r'name="org" value="valley" checked', body)
    # The feed built works and lists the event.
    ics = client.get(feed.removeprefix("http://localhost"))
    assert ics.status_code == 200 and b"SUMMARY:Vigil" in ics.data
    # A filter that names nothing: a clear message, not a 500.
    bad = client.get("/calendar/subscribe?type=nope")
    assert bad.status_code == 400 and "Unknown event type: nope" in bad.get_data(as_text=True)
