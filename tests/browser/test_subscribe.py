"""Subscribing on a phone (360 px): reachable from the first screen of every calendar page, the
subscribe page picks filters and copies the link, in Spanish and Portuguese."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import PHONE


@pytest.mark.parametrize("path", ["/calendar", "/calendar/month", "/calendar/past"])
def test_subscribing_starts_on_the_first_phone_screen(live, visitor, path):
    tab = visitor(PHONE, locale="es-ES")
    tab.goto(path)
    link = tab.page.locator("a.subnav-subscribe")
    box = link.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 800, box  # before any scrolling
    with tab.page.expect_navigation():
        link.click()
    assert urlsplit(tab.page.url).path == "/calendar/subscribe"


@pytest.mark.parametrize("locale", ["es-ES", "pt-BR"])
def test_the_subscribe_page_builds_the_link_and_copies_it(live, visitor, locale):
    tab = visitor(PHONE, locale=locale)
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab.goto("/calendar/subscribe")
    assert tab.problems() == []
    page = tab.page
    # The first screen already offers the apps (nothing chosen: every public event).
    google = page.locator("a.subscribe-google")
    assert google.bounding_box()["y"] < 800
    page.locator("form.subscribe-filters input[name=lang][value=es]").check()
    page.fill("#s-city", "Springfield")
    with page.expect_navigation():
        page.locator("form.subscribe-filters button[type=submit]").click()
    feed = page.input_value("#feed-link")
    assert parse_qs(urlsplit(feed).query) == {"lang": ["es"], "city": ["Springfield"]}
    outlook = page.get_attribute("a.subscribe-outlook", "href")
    assert parse_qs(urlsplit(outlook).query)["url"] == [feed]
    assert page.get_attribute("a.subscribe-apple", "href").startswith("webcal://")
    copy = page.locator("button[data-copy='#feed-link']")
    assert copy.is_visible()
    copy.click()
    assert page.evaluate("navigator.clipboard.readText()") == feed
    assert page.inner_text("#feed-link-status").strip()
    assert tab.problems() == [] and tab.console_errors == []
