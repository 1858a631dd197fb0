"""Every per-event text in the reader's language when it is written; marked when it is not
(issue #14, finding 10)."""

import sqlalchemy as sa

from coalition.events.models import Event
from coalition.orgs.models import OrgRole
from tests.events.test_manage import FORM
from tests.factories import OrganizationFactory, make_event, member_of


def test_accessibility_and_what_to_bring_are_translatable(client, db, make_client):
    from coalition.events.types import ensure_default_types

    ensure_default_types()
    org = OrganizationFactory(slug="centro")
    member_of(org, OrgRole.organizer, email="org@example.org")
    client.login("org@example.org")
    url = "/orgs/centro/events/new"
    fields = {
        **FORM,
        "accessibility_notes": "Ramp at the side door.",
        "what_to_bring": "Water and a sign.",
        "title_es": "Mitin en la alcaldía",
        "accessibility_notes_es": "Rampa en la puerta lateral.",
        "what_to_bring_es": "Agua y un cartel.",
    }
    assert client.submit(url, fields, page=url).status_code == 302
    event = db.session.scalar(sa.select(Event))
    client.submit(f"/events/{event.id}/publish", page=f"/events/{event.id}")

    english = make_client().get(f"/events/{event.id}").get_data(as_text=True)
    assert "Ramp at the side door." in english and "Water and a sign." in english
    spanish = (
        make_client()
        .get(f"/events/{event.id}", headers={"Accept-Language": "es"})
        .get_data(as_text=True)
    )
    assert "Rampa en la puerta lateral." in spanish and "Agua y un cartel." in spanish
    assert "Ramp at the side door." not in spanish
    # The organizer finds them again in the edit form.
    form = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert "Rampa en la puerta lateral." in form


def test_text_in_another_language_is_marked(client, db):
    make_event(title="Know your rights", accessibility_notes="Elevator on the left.")
    event = db.session.scalar(sa.select(Event))
    headers = {"Accept-Language": "es"}
    card = client.get("/calendar", headers=headers).get_data(as_text=True)
    assert '<span class="lang-marker" lang="es">(en inglés)</span>' in card
    page = client.get(f"/events/{event.id}", headers=headers).get_data(as_text=True)
    assert page.count("(en inglés)") == 2  # the title and the accessibility note
    assert '<dd lang="en">Elevator on the left.' in page
    assert "(in English)" not in client.get("/calendar").get_data(as_text=True)
