"""The event page and a date's own page: texts by language, Markdown, facts, status, who sees it."""

import re
from datetime import date, time

import pytest

from coalition.events import lifecycle as event_lifecycle
from coalition.events import occurrences as occurrence_ops
from coalition.events.models import EventStatus, EventVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs.models import OrgRole, OrgStatus
from tests.factories import OrganizationFactory, UserFactory, make_event, member_of


def _page(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _spaced(body: str) -> str:
    """Babel puts thin and narrow no-break spaces around dashes and before AM/PM."""
    return body.replace("\u202f", " ").replace("\u2009", " ").replace("\xa0", " ")


def test_visitor_language_with_fallback_to_the_primary(client, db):
    event = make_event(
        primary_language="es",
        texts={"es": ("Vigilia por las familias", "Traigan velas."), "ht": ("Vèy", "Pote bouji.")},
    )
    english = _page(client, f"/events/{event.id}")
    assert "Vigilia por las familias" in english and 'lang="es"' in english
    assert "Vèy" not in english

    translated = make_event(
        texts={"en": ("Rally for TPS", "Bring signs."), "es": ("Mitin por el TPS", "Traigan.")}
    )
    spanish = _page(client, f"/events/{translated.id}", headers={"Accept-Language": "es"})
    assert "Mitin por el TPS" in spanish and "Rally for TPS" not in spanish
    assert "Mitin" in spanish  # the type's name in Spanish too
    english = _page(client, f"/events/{translated.id}")
    assert "Rally for TPS" in english and "Mitin por el TPS" not in english


def test_bilingual_event_shows_both_texts_each_marked_with_its_language(client, db):
    event = make_event(
        is_bilingual=True,
        texts={"en": ("Know your rights", "Learn."), "es": ("Conozca sus derechos", "Aprenda.")},
    )
    for language in ("en", "es"):
        body = _page(client, f"/events/{event.id}", headers={"Accept-Language": language})
        assert re.search(r'<section lang="en">\s*<h[12][^>]*>Know your rights', body)
        assert re.search(r'<section lang="es">\s*<h[12][^>]*>Conozca sus derechos', body)
    spanish = _page(client, f"/events/{event.id}", headers={"Accept-Language": "es"})
    assert spanish.index("Conozca sus derechos") < spanish.index("Know your rights")


def test_description_markdown_is_sanitized(client, db):
    description = (
        "**Bring water.**\n\n<script>alert('pwned')</script>\n\n"
        "[free prize](javascript:alert(1)) and [our site](https://example.org/info)\n\n"
        '<img src="x" onerror="alert(2)">'
    )
    event = make_event(description=description)
    body = _page(client, f"/events/{event.id}")
    assert "<strong>Bring water.</strong>" in body
    assert "<script>alert" not in body  # shown as text at most, never run
    assert 'href="javascript' not in body.lower()
    assert "<img" not in body
    link = re.search(r'<a [^>]*href="https://example.org/info"[^>]*>', body).group(0)
    assert 'rel="nofollow noopener"' in link


def test_everything_about_the_event_is_on_its_page(client, db):
    host, partner, invited_only = (OrganizationFactory() for _ in range(3))
    event = make_event(
        host,
        type_slug="training",
        start_date=date(2027, 1, 14),
        start_time=time(18, 30),
        end_time=time(20, 0),
        languages=["en", "es", "ht"],
        has_interpretation=True,
        has_childcare=True,
        has_food=True,
        accessibility_notes="Step-free entrance on Elm Street",
        contact_name="Rosa",
        contact_email="info@example.org",
        capacity=25,
    )
    event_lifecycle.respond_to_cosponsorship(
        event_lifecycle.invite_cosponsor(event, partner), accept=True
    )
    event_lifecycle.invite_cosponsor(event, invited_only)
    db.session.commit()
    body = _spaced(_page(client, f"/events/{event.id}"))
    assert "Thursday, January 14, 2027 · 6:30 – 8:00 PM EST" in body
    assert "Training" in body
    assert f'href="/orgs/{host.slug}"' in body and f'href="/orgs/{partner.slug}"' in body
    assert partner.name in body and invited_only.name not in body
    assert "Kreyòl ayisyen" in body
    assert "interpretation" in body and "childcare" in body and "food" in body
    assert "rides" not in body
    assert "Step-free entrance on Elm Street" in body
    assert "mailto:info@example.org" in body
    assert "<dd>25</dd>" in body
    assert "City Hall Plaza, 1 City Hall Sq, Boston" in body  # a public place is shown


def test_series_lists_its_next_dates_with_cancelled_ones_struck_through(client, db):
    event = make_event(
        recurrence=RecurrenceSpec(Frequency.weekly, count=4),
        start_date=date(2027, 3, 4),
        start_time=time(19, 0),
        end_time=time(20, 0),
    )
    first, second = event.occurrences[0], event.occurrences[1]
    occurrence_ops.cancel_occurrence(second, "Snowstorm")
    db.session.commit()
    body = _spaced(_page(client, f"/events/{event.id}"))
    for occurrence in event.occurrences:
        assert f'href="/events/{event.id}/occurrences/{occurrence.id}"' in body
    assert "7:00 – 8:00 PM EST" in body and "7:00 – 8:00 PM EDT" in body  # across DST
    cancelled = re.search(r'<li class="is-cancelled">.*?</li>', body, re.S).group(0)
    assert f"/occurrences/{second.id}" in cancelled and "Cancelled: Snowstorm" in cancelled
    assert "This date is cancelled" not in body  # the page features the next date, not cancelled
    date_page = _page(client, f"/events/{event.id}/occurrences/{second.id}")
    assert "This date is cancelled: Snowstorm" in date_page
    assert f'href="/events/{event.id}"' in date_page
    assert first.id != second.id


def test_a_date_page_shows_its_own_time_place_and_note(client, db):
    event = make_event(recurrence=RecurrenceSpec(Frequency.weekly, count=3))
    changed = event.occurrences[1]
    occurrence_ops.override_occurrence(
        changed,
        occurrence_ops.OccurrenceChange(
            start_date=changed.local_start.date(),
            start_time=time(17, 0),
            end_time=time(18, 0),
            venue="Union Hall",
            city="Cambridge",
            note="Moved indoors because of the rain",
            capacity=40,
        ),
    )
    db.session.commit()
    body = _spaced(_page(client, f"/events/{event.id}/occurrences/{changed.id}"))
    assert "5:00 – 6:00 PM EDT" in body
    assert "Union Hall" in body and "Cambridge" in body
    assert "Moved indoors because of the rain" in body
    assert "<dd>40</dd>" in body
    other = _page(client, f"/events/{event.id}/occurrences/{event.occurrences[2].id}")
    assert "Union Hall" not in other and "City Hall Plaza" in other


def test_cancelled_event_says_so_with_its_reason(client, db):
    event = make_event(status=EventStatus.cancelled)  # the factory's reason: "Weather"
    body = _page(client, f"/events/{event.id}")
    assert "Cancelled: Weather" in body


def test_managers_see_a_preview_banner_on_drafts(client, db):
    org = OrganizationFactory()
    organizer = member_of(org, OrgRole.organizer, email="host@example.org")
    draft = make_event(org, by=organizer, status=EventStatus.draft, title="Secret plan")
    assert client.get(f"/events/{draft.id}").status_code == 404
    client.login("host@example.org")
    body = _page(client, f"/events/{draft.id}")
    assert "Preview: this event is not public yet." in body and "Secret plan" in body


@pytest.fixture
def members_only(db):
    org = OrganizationFactory()
    member_of(org, OrgRole.member, email="member@example.org")
    UserFactory(email="stranger@example.org")
    return make_event(org, title="Members meeting", visibility=EventVisibility.members)


@pytest.mark.parametrize(("who", "status"), [(None, 404), ("stranger", 404), ("member", 200)])
def test_members_only_event_page(client, members_only, who, status):
    if who:
        client.login(f"{who}@example.org")
    occurrence = members_only.occurrences[0]
    assert client.get(f"/events/{members_only.id}").status_code == status
    assert (
        client.get(f"/events/{members_only.id}/occurrences/{occurrence.id}").status_code == status
    )


def test_pages_that_are_not_there_for_the_visitor_are_404(client, db):
    assert client.get("/events/999999").status_code == 404
    pending = make_event(status=EventStatus.draft)
    pending.status = EventStatus.pending
    one, other = make_event(), make_event()
    suspended = make_event()
    suspended.host_org.status = OrgStatus.suspended
    db.session.commit()
    assert client.get(f"/events/{pending.id}").status_code == 404
    assert client.get(f"/events/{suspended.id}").status_code == 404
    occurrence = suspended.occurrences[0]
    assert client.get(f"/events/{suspended.id}/occurrences/{occurrence.id}").status_code == 404
    foreign = other.occurrences[0]
    assert client.get(f"/events/{one.id}/occurrences/{foreign.id}").status_code == 404
    assert client.get(f"/events/{one.id}/occurrences/999999").status_code == 404


def test_unlisted_event_is_viewable_by_its_link(client, db):
    event = make_event(title="Quiet gathering", visibility=EventVisibility.unlisted)
    assert "Quiet gathering" in _page(client, f"/events/{event.id}")
    assert "Quiet gathering" not in _page(client, "/calendar")
