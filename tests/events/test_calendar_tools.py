"""The calendar's views, filters, month pager and feed links are stored pieces
(`fragments.cached_templates`): rendered once for what they show, and shown again only to
someone asking for the same thing. Each test changes one thing the form shows and expects the
next page to show it."""

from __future__ import annotations

import re

import pytest
from flask import template_rendered

from coalition.core import fragments
from coalition.events.models import EventType
from coalition.events.queries import CalendarFilters
from coalition.events.types import ensure_default_types
from tests.factories import OrganizationFactory, make_event

PAGES = ["/calendar", "/calendar/past", "/calendar/month?year=2027&month=5"]


def _page(client, url: str, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.fixture(autouse=True)
def _types(db):
    ensure_default_types()
    db.session.commit()


def _checked(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]+)" checked', page)


@pytest.mark.parametrize("url", PAGES)
def test_each_visitor_sees_the_filters_they_chose(client, db, url):
    OrganizationFactory(name="Valley Workers Center", slug="valley")
    joiner = "&" if "?" in url else "?"
    assert _checked(_page(client, url), "type") == []
    assert _checked(_page(client, f"{url}{joiner}type=rally"), "type") == ["rally"]
    assert _checked(_page(client, f"{url}{joiner}type=vigil&org=valley"), "type") == ["vigil"]
    page = _page(client, f"{url}{joiner}type=vigil&org=valley")
    assert _checked(page, "org") == ["valley"]
    searched = _page(client, f"{url}{joiner}q=courthouse")
    assert 'value="courthouse"' in searched
    assert 'value="courthouse"' not in _page(client, url)


def test_the_feed_link_follows_the_filters(client, db):
    plain = _page(client, "/calendar")
    rallies = _page(client, "/calendar?type=rally")
    assert re.search(r'id="feed-link" type="url" readonly value="[^"]*calendar\.ics"', plain)
    assert re.search(r'id="feed-link"[^>]*value="[^"]*calendar\.ics\?type=rally"', rallies)
    month = _page(client, "/calendar/month?year=2027&month=5&type=march")
    assert re.search(r'id="feed-link"[^>]*value="[^"]*calendar\.ics\?type=march"', month)


def test_a_new_or_renamed_organization_shows_in_the_filters_at_once(client, db):
    org = OrganizationFactory(name="Valley Workers Center")
    for url in PAGES:
        assert "Valley Workers Center" in _page(client, url)
    org.name = "Valley Workers United"
    OrganizationFactory(name="Harbor Janitors Local")
    db.session.commit()
    for url in PAGES:
        page = _page(client, url)
        assert "Valley Workers United" in page, url
        assert "Valley Workers Center" not in page, url
        assert "Harbor Janitors Local" in page, url


def test_a_renamed_event_type_shows_in_the_filters_at_once(client, db):
    org = OrganizationFactory()
    make_event(org, title="Vigil at the courthouse")
    for url in PAGES:
        _page(client, url)
    rally = db.session.query(EventType).filter_by(slug="rally").one()
    rally.names = {**rally.names, "en": "Mass rally"}
    db.session.commit()
    for url in PAGES:
        assert "Mass rally" in _page(client, url), url


def test_each_language_gets_its_own_form_and_month(client, db):
    english = _page(client, "/calendar/month?year=2027&month=5", **{"Accept-Language": "en"})
    spanish = _page(client, "/calendar/month?year=2027&month=5", **{"Accept-Language": "es"})
    assert "May 2027" in english and ">Sun<" in english and "Show" in english
    assert "mayo de 2027" in spanish and ">dom<" in spanish and "Mostrar" in spanish
    assert "mayo de 2027" not in english


def test_the_month_pager_names_the_months_around_the_one_shown(client, db):
    may = _page(client, "/calendar/month?year=2027&month=5")
    june = _page(client, "/calendar/month?year=2027&month=6&type=rally")
    assert "April 2027" in may and "June 2027" in may
    assert "May 2027" in june and "July 2027" in june
    assert re.search(r'href="/calendar/month\?year=2027&amp;month=7&amp;type=rally"', june)


def test_pieces_given_the_same_values_are_rendered_once(app):
    rendered: list[str] = []

    def record(_app, template, context, **_extra):
        rendered.append(template.name)

    given = {"filters": CalendarFilters(types=["rally"]), "args": {}, "choices": {
        "types": [("rally", "Rally", None)], "orgs": [], "languages": []}}  # fmt: skip
    tools = {"tools": "events/public/_tools.html"}
    with template_rendered.connected_to(record, app), app.test_request_context("/calendar"):
        first = fragments.cached_templates("calendar-tools", tools, **given)
        again = fragments.cached_templates("calendar-tools", tools, **given)
        other = fragments.cached_templates(
            "calendar-tools", tools, **{**given, "filters": CalendarFilters(types=[])}
        )
    assert rendered == ["events/public/_tools.html", "events/public/_tools.html"]
    assert first == again
    assert 'value="rally" checked' in first["tools"]
    assert 'value="rally" checked' not in other["tools"]


def test_the_home_pages_member_organizations_follow_every_change(client, db):
    from coalition.orgs.models import OrgStatus

    valley = OrganizationFactory(name="Valley Workers Center", city="Holyoke")
    harbor = OrganizationFactory(name="Harbor Janitors Local")
    page = _page(client, "/")
    assert "Valley Workers Center" in page and "Holyoke" in page
    assert "Harbor Janitors Local" in page
    valley.name, valley.city = "Valley Workers United", "Springfield"
    harbor.status = OrgStatus.suspended
    OrganizationFactory(name="Riverside Tenants")
    db.session.commit()
    page = _page(client, "/")
    assert "Valley Workers United" in page and "Springfield" in page
    assert "Valley Workers Center" not in page and "Holyoke" not in page
    assert "Harbor Janitors Local" not in page
    assert "Riverside Tenants" in page
    spanish = _page(client, "/", **{"Accept-Language": "es"})
    assert "Cómo participar" in spanish and "How to join" not in spanish
