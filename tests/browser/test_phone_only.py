"""The phone-only journey (issue #22): someone with no email RSVPs with a phone, gets the link by
text, changes the party size, cancels and erases their data, in Spanish on a 360 px phone."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.browser.conftest import PHONE

PHONE_NUMBER = "+14135550142"


def test_a_phone_only_person_rsvps_changes_cancels_and_erases(live, visitor):
    from coalition.extensions import db
    from coalition.rsvps.models import RSVP, RSVPStatus

    ids = live.ids
    tab = visitor(PHONE, locale="es-ES")
    page = tab.page
    tab.goto(f"/events/{ids['march']}/occurrences/{ids['march_occ']}/rsvp")
    page.fill("#name", "Wilner")
    page.fill("#phone", "(413) 555-0142")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    assert not tab.problems()
    main = page.inner_text("main")
    assert "0142" in main and "@" not in main  # "we texted your link to •••0142"

    # The text arrives with the private link (a short link to the manage page).
    tab.goto(live.link_texted_to(PHONE_NUMBER))
    assert "/rsvp/" in page.url
    assert not tab.problems()

    page.locator("#party_size").fill("3")
    with page.expect_navigation():
        page.get_by_role("button", name="Guardar").click()
    assert "500" not in page.title(), page.inner_text("main")[:300]
    assert page.locator("#party_size").input_value() == "3"

    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Cancelar mi asistencia")).click()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("cancelar mi asistencia")).click()
    assert not tab.problems()
    with live.context():
        rsvp = db.session.scalar(sa.select(RSVP).where(RSVP.name == "Wilner"))
        assert rsvp.status == RSVPStatus.cancelled and rsvp.party_size == 3
        manage_path = page.url.removeprefix(live.url)
        db.session.remove()

    tab.goto(manage_path)
    with page.expect_navigation():
        page.get_by_role("button", name="Borrar mis datos").click()
    assert not tab.problems()
    with live.context():
        assert db.session.scalar(sa.select(RSVP).where(RSVP.name == "Wilner")) is None
        db.session.remove()
    assert not tab.console_errors
