"""Four people's journeys, in Chromium on a 360 px phone.

With SCREENSHOTS=<folder> (`make screenshots`), each step is saved there as a PNG.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from dateutil.relativedelta import TH, relativedelta

from tests.browser.conftest import PHONE

SCREENSHOTS = os.environ.get("SCREENSHOTS")


def shot(tab, name: str) -> None:
    """Save the whole page as docs/screenshots/<name>.png when screenshots are asked for."""
    if SCREENSHOTS:
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        tab.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def checked(tab) -> None:
    """The page a journey reached is accessible and fits the phone."""
    assert not tab.problems()


def test_a_spanish_speaker_rsvps_on_a_phone_and_manages_it(live, visitor):
    tab = visitor(PHONE, locale="es-ES")
    page = tab.page
    tab.goto("/")
    shot(tab, "rsvp-1-home")
    with page.expect_navigation():
        page.get_by_role("link", name="Vigilia por las familias separadas").first.click()
    shot(tab, "rsvp-2-event")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Confirmar asistencia$")).click()
    checked(tab)
    page.get_by_label("Nombre").fill("Graciela")
    page.get_by_label("Correo electrónico").fill("graciela@example.org")
    page.get_by_label("Cuántas personas, contándolo a usted").fill("2")
    shot(tab, "rsvp-3-form")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    # The private link goes to the contact only (attendee safety): open it from the email.
    assert "Enviamos su enlace privado a g•••@e•••.org" in page.inner_text("main")
    checked(tab)
    shot(tab, "rsvp-4-check-your-mail")
    tab.goto(live.link_mailed_to("graciela@example.org", "/rsvp/"))
    checked(tab)
    shot(tab, "rsvp-5-signed-up")

    page.get_by_label("Cuántas personas, contándolo a usted").fill("3")
    with page.expect_navigation():
        page.get_by_role("button", name="Guardar").click()
    assert page.get_by_label("Cuántas personas, contándolo a usted").input_value() == "3"
    shot(tab, "rsvp-6-changed")

    # Cancelling asks first (finding 7), then says so by email.
    with page.expect_navigation():
        page.get_by_role("link", name="Cancelar mi asistencia…").click()
    checked(tab)
    shot(tab, "rsvp-7-cancel-sure")
    with page.expect_navigation():
        page.get_by_role("button", name="Sí, cancelar mi asistencia").click()
    checked(tab)
    assert page.get_by_role("link", name="Agregar a mi calendario (.ics)").count() == 0
    shot(tab, "rsvp-8-cancelled")
    from coalition.rsvps.models import RSVP, RSVPStatus

    with live.context():
        from coalition.extensions import db

        rsvp = db.session.scalar(sa.select(RSVP).where(RSVP.name == "Graciela"))
        assert rsvp.status == RSVPStatus.cancelled and rsvp.party_size == 3
        assert rsvp.language == "es"
    live.link_mailed_to("graciela@example.org", "/rsvp/")  # delivers the outbox
    inbox = [m["Subject"] for to, m in live.smtp.handler.messages if "graciela@example.org" in to]
    assert any("Su asistencia cambió" in s for s in inbox), inbox
    assert any("Su asistencia quedó cancelada" in s for s in inbox), inbox


def _fourth_thursday_next_month() -> date:
    return date.today() + relativedelta(months=1, day=1, weekday=TH(4))


def test_an_organizer_posts_a_bilingual_monthly_vigil_with_a_hidden_place(live, visitor):
    tab = visitor(PHONE)
    page = tab.page
    tab.sign_in("owner@example.org")
    tab.goto("/orgs/valley-workers-center/events")
    shot(tab, "organizer-1-events")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Post an event|Publicar un evento")).first.click()
    page.select_option("#type_slug", "vigil")
    # The org works in Spanish first; this vigil's main language is English (finding 2).
    page.select_option("#primary_language", "en")
    page.fill("#title", "Vigil at the courthouse")
    page.fill("#description", "Every 4th Thursday we stand with families.")
    page.fill("#start_date", _fourth_thursday_next_month().isoformat())
    page.fill("#start_time", "18:00")
    page.fill("#end_time", "19:00")
    page.fill("#venue", "Worcester Courthouse steps")
    page.fill("#address", "225 Main St")
    page.fill("#city", "Worcester")
    page.select_option("#location_visibility", "attendees")
    page.locator("summary").nth(0).click()
    page.select_option("#frequency", "monthly_weekday")
    page.select_option("#week_position", "4")
    page.select_option("#ends", "count")
    page.fill("#count", "6")
    page.locator("summary").nth(1).click()
    page.check("#is_bilingual")
    # The main language's own translation fields are hidden (progressive enhancement).
    assert not page.locator("#title_en").is_visible()
    page.fill("#title_es", "Vigilia en el tribunal")
    page.fill("#description_es", "Cada cuarto jueves acompañamos a las familias.")
    shot(tab, "organizer-2-form")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    checked(tab)
    shot(tab, "organizer-3-preview")
    # The preview says the place is hidden from the public (finding 8), and Publish comes
    # before the event's texts.
    main_text = page.inner_text("main")
    assert "Oculto al público" in main_text
    assert main_text.index("Publicar") < main_text.index("Every 4th Thursday")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^(Publish|Publicar)$")).first.click()

    with live.context():
        from coalition.events.models import Event, EventTranslation
        from coalition.extensions import db

        event = db.session.scalar(
            sa.select(Event)
            .join(EventTranslation)
            .where(EventTranslation.title == "Vigil at the courthouse")
        )
        assert event.published_at is not None
        dates = [occ.start_at for occ in event.occurrences]
        assert len(dates) == 6
        event_id, first = event.id, event.occurrences[0].id

    # Cancel the next date only.
    tab.goto(f"/events/{event_id}/occurrences/{first}/edit")
    page.fill("#reason", "The courthouse is closed that day.")
    with page.expect_navigation():
        page.locator("form[action$='/cancel'] button").click()
    shot(tab, "organizer-4-date-cancelled")

    # The public sees the series going ahead (finding 1), its town but not its place
    # (finding 5), and the one cancelled date.
    public = visitor(PHONE)
    public.goto(f"/events/{event_id}")
    text = public.page.inner_text("main")
    assert "Vigil at the courthouse" in text and "Vigilia en el tribunal" in text
    assert "This date is cancelled" not in text and "Cancelled: The courthouse" in text
    assert public.page.get_by_role("link", name="RSVP").count() == 1
    assert "Worcester" in text
    assert "Worcester Courthouse steps" not in public.page.content()
    assert "225 Main St" not in public.page.content()
    shot(public, "organizer-5-public-event")
    checked(public)
    public.goto("/calendar?city=Worcester")
    assert "Vigil at the courthouse" in public.page.inner_text("main")
    assert not tab.console_errors and not public.console_errors


def test_a_lead_starts_a_delegation_and_a_second_person_joins(live, visitor):
    ids = live.ids
    lead = visitor(PHONE)
    page = lead.page
    lead.goto(f"/events/{ids['march']}/occurrences/{ids['march_occ']}")
    shot(lead, "delegation-1-event")
    with page.expect_navigation():
        page.get_by_role("link", name="Start a delegation").click()
    page.fill("#name", "Holyoke delegation")
    page.fill("#town", "Holyoke")
    page.fill("#lead_name", "Carmen")
    page.fill("#lead_email", "carmen@example.org")
    page.fill("#expected_headcount", "10")
    page.fill("#meeting_point", "Holyoke City Hall")
    shot(lead, "delegation-2-form")
    page.get_by_role("button", name="Start the delegation").click()
    page.wait_for_url(re.compile("/delegations/lead/"))
    checked(lead)
    shot(lead, "delegation-3-lead-page")
    join_url = page.locator("#join-link").input_value()
    join_path = join_url[join_url.index("/delegations/") :]
    # The copy button (a progressive enhancement) puts the join link on the clipboard.
    from playwright.sync_api import expect

    lead.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    page.get_by_role("button", name="Copy the link").click()
    expect(page.locator("#join-link-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == join_url

    second = visitor(PHONE)
    second.goto(join_path)
    shot(second, "delegation-4-join")
    second.page.fill("#name", "Pedro")
    second.page.fill("#email", "pedro@example.org")
    with second.page.expect_navigation():
        second.page.get_by_role("button", name="Join").click()
    checked(second)
    shot(second, "delegation-5-joined")

    page.reload()
    assert "Pedro" in page.inner_text("main")
    shot(lead, "delegation-6-roster")
    assert not lead.console_errors and not second.console_errors


def test_an_admin_approves_an_organization(live, visitor):
    applicant = visitor(PHONE)
    page = applicant.page
    applicant.goto("/register")
    page.fill("#name", "Dalia")
    page.fill("#email", "dalia@example.org")
    page.fill("#password", "a long enough password")
    if page.locator("#confirm").count():
        page.fill("#confirm", "a long enough password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    # The account exists once the emailed link is opened and confirmed.
    applicant.goto(live.link_mailed_to("dalia@example.org", "/register/confirm/"))
    checked(applicant)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    applicant.goto("/orgs/apply")
    page.fill("#name", "Lawrence Worker Center")
    page.fill("#city", "Lawrence")
    page.fill("#description", "Day laborers and factory workers in Lawrence.")
    page.fill("#contact_email", "info@lawrence.example.org")
    shot(applicant, "admin-1-application")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the application").click()
    # As the owner of an organization she will see attendees: two-step sign-in comes first.
    applicant.goto("/orgs/apply")
    applicant.set_up_two_factor_if_asked("dalia@example.org")

    admin = visitor(PHONE)
    admin.sign_in("admin@example.org")
    admin.goto("/admin/applications")
    checked(admin)
    shot(admin, "admin-2-applications")
    card = admin.page.locator("main li, main article, main tr").filter(
        has_text="Lawrence Worker Center"
    )
    with admin.page.expect_navigation():
        card.get_by_role("button", name="Approve").first.click()
    shot(admin, "admin-3-approved")

    applicant.goto("/orgs")
    assert "Lawrence Worker Center" in page.inner_text("main")
    shot(applicant, "admin-4-directory")
    assert not admin.console_errors and not applicant.console_errors
