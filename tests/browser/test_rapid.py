"""Rapid response on a phone (issue #16): a dispatcher opens an alert at 360 px and sees answers
arrive without reloading the page."""

import sqlalchemy as sa

from tests.browser.conftest import PHONE


def test_a_dispatcher_on_a_phone_sees_answers_arrive_without_reload(live, visitor):
    from coalition.extensions import db
    from coalition.rapid import operations as ops
    from coalition.rapid.models import Alert

    live.app.config["RAPID_REFRESH_SECONDS"] = 2
    tab = visitor(PHONE)
    tab.sign_in("owner@example.org")
    path = f"/orgs/valley-workers-center/rapid/alerts/{live.ids['rapid_alert']}"
    tab.goto(path)
    page = tab.page
    assert page.locator("#rapid-answers").inner_text().count("Marisol") == 1
    page.evaluate("window.notReloaded = true")
    with live.context():
        alert = db.session.get(Alert, live.ids["rapid_alert"])
        ops.answer(alert.answers[0], "going", eta_minutes=10)
        db.session.commit()
        db.session.remove()
    page.wait_for_selector("#rapid-answers li.rapid-going", timeout=10_000)
    assert "10 min" in page.locator("#rapid-answers").inner_text()
    assert page.evaluate("window.notReloaded") is True
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, width
    with live.context():
        alert = db.session.get(Alert, live.ids["rapid_alert"])
        ops.answer(alert.answers[0], "arrived")
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(Alert.id))) >= 1
        db.session.remove()
    page.wait_for_selector("#rapid-answers li.rapid-arrived", timeout=10_000)
    assert page.evaluate("window.notReloaded") is True
    assert not tab.console_errors


def test_a_dispatcher_on_a_phone_sees_who_was_skipped_and_alerts_them_anyway(live, visitor):
    """Issue #22, item 6, in Spanish at 360 px: the shortfall, the skipped by reason (names:
    dispatchers only), and one button for the whole group."""
    from coalition.auth.models import User
    from coalition.extensions import db
    from coalition.orgs.models import Organization
    from coalition.rapid import operations as ops

    with live.context():
        org = db.session.scalar(sa.select(Organization).filter_by(slug="valley-workers-center"))
        owner = db.session.scalar(sa.select(User).filter_by(email="owner@example.org"))
        alert = ops.open_alert(org, owner, ops.AlertInput(
            kind="checkpoint", town="Holyoke", place="Route 5", happens_at=ops.utcnow(),
            zone="America/New_York", needed=4, roles=[], note=None, language="pt",
        ))  # fmt: skip
        db.session.commit()
        path = f"/orgs/valley-workers-center/rapid/alerts/{alert.id}"
        alerted = len(alert.answers)
        db.session.remove()
    tab = visitor(PHONE, locale="es-ES")
    tab.sign_in("owner@example.org")
    tab.goto(path)
    page = tab.page
    assert f"Se necesitan 4 personas; alertadas: {alerted}" in page.inner_text("main")
    group = page.locator("details", has_text="no hablan portugués")
    assert group.is_visible() and "Rosa" in group.inner_text()
    assert tab.problems() == []
    button = group.locator("button[name=reason]")
    with page.expect_navigation():
        button.click()
    assert "Alerta enviada a" in page.inner_text("main")
    assert "Rosa" in page.locator("#rapid-answers").inner_text()
    assert tab.problems() == [] and not tab.console_errors
