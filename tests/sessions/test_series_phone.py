"""Series × sessions on a phone (360 px) with JavaScript off, in Chromium: the organizer switches
a date-by-date event to series mode through its "before you save" page, a person registers for
the series choosing the workshop, and changes their session from the private page. Each page is
checked for horizontal overflow and serious axe violations. Skipped without Chromium, Playwright
or axe-core (as the browser suite: `tests/browser/conftest.py`), failing with REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import logging
import threading
from datetime import date

import pytest
from werkzeug.serving import make_server

from tests.browser.conftest import AXE, PHONE, REQUIRE_BROWSER, browser_missing

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def served(tmp_path_factory, smtp_server):
    """The app on loopback with its own SQLite file: a weekly dialogue (three dates) taking
    RSVPs date by date, sessions on its first date (a one-seat workshop), two date RSVPs."""
    reason = browser_missing()
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(f"browser tests cannot run: {reason}")
        pytest.skip(f"browser tests not run: {reason}")
    from coalition import create_app
    from coalition.events.recurrence import Frequency, RecurrenceSpec
    from coalition.extensions import db
    from coalition.rsvps import operations as rsvp_ops
    from tests.factories import make_event
    from tests.sessions.helpers import add_session

    folder = tmp_path_factory.mktemp("series-phone")
    app = create_app({
        "CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'app.db'}",
        "SERVER_NAME": None, "MAIL_PORT": smtp_server.port, "TESTING": False,
    })  # fmt: skip
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    with app.app_context():
        db.create_all()
        event = make_event(
            title="Diálogo trimestral: organizando entre comunidades", capacity=30,
            start_date=date(2027, 3, 4),
            recurrence=RecurrenceSpec(frequency=Frequency.weekly, count=3),
        )  # fmt: skip
        first = event.occurrences[0]
        add_session(first, "Organizing across communities (English)", "12:00", "12:50")
        add_session(first, "Organizando entre comunidades (español)", "12:00", "12:50")
        add_session(first, "Workshop: speaking to the press", "13:00", "13:50", capacity=1,
                    room="Encuentro 5", languages=["en", "ht", "es"])  # fmt: skip
        rsvp_ops.submit(first, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"),
                        notify=False)  # fmt: skip
        rsvp_ops.submit(first, rsvp_ops.RSVPInput(name="Rosa", phone="+16175550123",
                                                  language="es"), notify=False)  # fmt: skip
        db.session.commit()
        ids = {"event": event.id, "first": first.id, "organizer": event.created_by.email}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url, app, ids
    server.shutdown()


@pytest.fixture(scope="module")
def browser(served, playwright_chromium):
    return playwright_chromium


def _tab(browser, url, locale="en-US"):
    context = browser.new_context(
        viewport={"width": PHONE, "height": 800}, locale=locale, base_url=url,
        java_script_enabled=False, bypass_csp=True,
    )  # fmt: skip
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture(scope="module")
def checker(browser, served):
    """A tab with JavaScript on, where axe audits a copy of each page (axe needs timers, which
    do not run while a page's scripts are off)."""
    url, _app, _ids = served
    context = browser.new_context(viewport={"width": PHONE, "height": 800}, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{url}/healthz")
    yield page
    context.close()


def _problems(page, checker) -> list[str]:
    """Horizontal overflow (measured on the page itself, scripts off) and serious or critical
    axe violations (on a copy of its HTML in the checker tab)."""
    found = []
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    if width[0] > width[1]:
        found.append(f"{page.url} overflows: {width[0]} px wide at {width[1]} px")
    checker.set_content(page.content())
    checker.evaluate(AXE.read_text())
    result = checker.evaluate("axe.run(document, {resultTypes: ['violations']})")
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            found.append(f"{page.url} axe {violation['id']} ({violation['impact']})")
    return found


def test_switch_register_choose_and_change_a_session_on_a_phone_without_javascript(
    served, browser, checker
):
    url, app, ids = served
    problems: list[str] = []
    organizer = _tab(browser, url)
    organizer.goto("/login")
    organizer.fill("input[name=email]", ids["organizer"])
    organizer.fill("input[name=password]", PASSWORD)
    with organizer.expect_navigation():
        organizer.click("main button[type=submit]")
    organizer.goto(f"/events/{ids['event']}/series")
    organizer.select_option("select[name=mode]", "series")
    with organizer.expect_navigation():
        organizer.click("main button[type=submit]")
    assert organizer.locator("h1").inner_text() == "Before you save"
    row = organizer.locator(f"tr[data-date='{ids['first']}']")
    assert row.get_attribute("data-confirmed") == "2"
    problems += _problems(organizer, checker)
    with organizer.expect_navigation():
        organizer.click("text=Make it a series and tell them")
    assert "We told 2 people" in organizer.content()
    problems += _problems(organizer, checker)

    person = _tab(browser, url, locale="es-ES")
    person.goto(f"/events/{ids['event']}/series/register")
    person.fill("input[name=name]", "Lupe")
    person.fill("input[name=email]", "lupe@example.org")
    person.check("text=Workshop: speaking to the press")
    problems += _problems(person, checker)
    with person.expect_navigation():
        person.click("main form button.primary")
    assert "Workshop: speaking to the press" in person.content()
    problems += _problems(person, checker)

    from coalition.sessions import series
    from coalition.sessions.models import SeriesRegistration

    with app.app_context():
        from coalition.extensions import db

        registration = db.session.query(SeriesRegistration).one()
        token = series.manage_token(registration)
    person.goto(f"/series/{token}")
    assert "lugar confirmado" in person.content()
    problems += _problems(person, checker)
    person.click("summary")  # <details> opens without JavaScript
    person.check(f"#m{_first_part(app, registration.id)}-session-"
                 f"{_session_id(app, 'Organizando entre comunidades (español)')}")  # fmt: skip
    with person.expect_navigation():
        person.click("details button.primary")
    assert (
        "Organizando entre comunidades (español)"
        in person.locator(".series-sessions").first.inner_text()
    )
    problems += _problems(person, checker)
    assert problems == []


def _first_part(app, registration_id: int) -> int:
    from coalition.extensions import db
    from coalition.sessions import series
    from coalition.sessions.models import SeriesRegistration

    with app.app_context():
        return series.part_rsvps(db.session.get(SeriesRegistration, registration_id))[0].id


def _session_id(app, title: str) -> int:
    import sqlalchemy as sa

    from coalition.extensions import db
    from coalition.sessions.models import EventSession

    with app.app_context():
        return db.session.scalar(sa.select(EventSession.id).where(EventSession.title == title))
