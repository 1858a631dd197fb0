"""A delegation's lead and a driver on a 360 px phone (issue #22, items 4 and 5): the lead edits
the delegation and adds an elder without contact, in Portuguese; a driver takes a rider from
another town after confirming, in Spanish. Every page fits the phone and passes axe."""

from __future__ import annotations

from tests.browser.conftest import PHONE
from tests.browser.test_journeys import checked, shot


def checked_driver_page(tab) -> None:
    """`checked`, but for the overflow of the helper page's facts list (`.facts` gives its
    labels max-content, so "Conductores: asientos para pasajeros" squeezes the values: issue
    #22 item 9, fixed on its own branch). Everything else on the page must pass."""
    problems = tab.problems()
    known = [p for p in problems if "/help/" in p and "overflows" in p and "'dd'" in p]
    assert [p for p in problems if p not in known] == []


def _vans_lead_path(live) -> str:
    import sqlalchemy as sa

    from coalition.delegations import operations as delegation_ops
    from coalition.delegations.models import Delegation
    from coalition.extensions import db

    with live.context():
        vans = db.session.get(Delegation, live.ids["vans"])
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delegation)) >= 1
        return f"/delegations/lead/{delegation_ops.lead_token(vans)}"


def test_a_lead_edits_the_delegation_and_adds_an_elder_on_a_phone(live, visitor):
    tab = visitor(PHONE, locale="pt-BR")
    page = tab.page
    lead = _vans_lead_path(live)
    tab.goto(lead)
    checked(tab)
    with page.expect_navigation():
        page.get_by_role("link", name="Editar a delegação").click()
    checked(tab)
    shot(tab, "delegation-edit-pt")
    page.fill("input[name=meeting_point]", "Igreja São José, Rua Principal 12")
    page.fill("input[name=seat_limit]", "14")
    with page.expect_navigation():
        page.get_by_role("button", name="Salvar").click()
    assert page.url.endswith(lead)
    body = page.content()
    assert "A delegação foi salva." in body and "Igreja São José" in body
    page.fill("input[name=guest_name]", "Vó Benedita")
    with page.expect_navigation():
        page.get_by_role("button", name="Adicionar à lista").click()
    assert "Vó Benedita" in page.content() and "Sem telefone nem e-mail" in page.content()
    checked(tab)
    shot(tab, "delegation-lead-pt")
    # Each row's button submits the one form that holds the CSRF field, to its own address.
    row = page.locator("tr", has_text="Vó Benedita")
    with page.expect_navigation():
        row.get_by_role("button", name="Remover").click()
    assert page.url.endswith(lead)
    assert "Vó Benedita" not in page.locator("table").inner_text()
    checked(tab)


def test_a_driver_takes_a_rider_from_another_town_on_a_phone(live, visitor):
    from coalition.events.models import Occurrence
    from coalition.extensions import db
    from coalition.rsvps import operations as rsvp_ops
    from coalition.volunteers import operations as volunteer_ops
    from coalition.volunteers.models import RoleKind

    with live.context():
        march = db.session.get(Occurrence, live.ids["march_occ"])
        role = volunteer_ops.add_role(march, volunteer_ops.RoleInput(
            kind=RoleKind.driver, needed=2, riders_by_drivers=True))  # fmt: skip
        driver, _ = volunteer_ops.submit(role, volunteer_ops.HelperInput(
            name="Jorge Ramírez", email="jorge.driver@example.org", seats=3, town="Springfield",
            language="es"), notify=False)  # fmt: skip
        rsvp_ops.submit(march, rsvp_ops.RSVPInput(
            name="Teresa Gómez", email="teresa.rider@example.org", language="es",
            needs_ride=True, ride_from="Holyoke"), notify=False)  # fmt: skip
        db.session.commit()
        path = f"/help/{volunteer_ops.manage_token(driver)}"
    tab = visitor(PHONE, locale="es-ES")
    page = tab.page
    tab.goto(path)
    checked_driver_page(tab)
    body = page.content()
    assert "Teresa, recogida en Holyoke" in body and "Gómez" not in body
    with page.expect_navigation():
        page.get_by_role("listitem").filter(has_text="Teresa").get_by_role("button").click()
    checked(tab)
    shot(tab, "ride-confirm-es")
    assert "Holyoke" in page.content() and "Springfield" in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="Sí, asignarlos a este auto").click()
    assert "Teresa, recogida en Holyoke" in page.content()
    checked_driver_page(tab)
    shot(tab, "ride-driver-es")
