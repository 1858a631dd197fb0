"""Browser tests: the app served on loopback, driven by Debian's Chromium through Playwright.

The app runs in a server thread with a database of its own (a SQLite file in a temporary
folder), seeded with the demo coalition. Pages are checked with axe-core from npm
(tests/browser/js, installed by `npm ci`). Without Chromium, Playwright or axe-core the tests
skip with a notice; with REQUIRE_BROWSER=1 (as in CI) they fail instead.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
PASSWORD = "demo-password"
PHONE, DESKTOP = 360, 1280
_skipped: list[str] = []


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if not AXE.exists():
        return "axe-core is not installed (npm ci --prefix tests/browser/js)"
    return None


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.write_sep("!", "BROWSER TESTS NOT RUN", yellow=True, bold=True)
        terminalreporter.write_line(_skipped[0] + "; set REQUIRE_BROWSER=1 to make this fail.")


# The app under test ------------------------------------------------------------------------------


@dataclass
class LiveApp:
    """The served app: its URL, the Flask app (for setting up data) and ids tests need."""

    url: str
    app: object
    smtp: object
    ids: dict = field(default_factory=dict)
    #: Unused recovery codes of the accounts with two-step sign-in, by email.
    recovery: dict = field(default_factory=dict)

    def context(self):
        return self.app.app_context()

    def link_texted_to(self, phone: str) -> str:
        """Deliver the outbox (as the worker would) and return the link in the last text to
        `phone` (E.164), as a path on the served app."""
        from pathlib import Path

        from coalition.mail.delivery import deliver_due

        with self.context():
            deliver_due()
        texts = sorted(
            Path(self.app.config["SMS_FOLDER"]).glob("*.txt"), key=lambda p: p.stat().st_mtime
        )
        for text in reversed(texts):
            body = text.read_text(encoding="utf-8")
            if body.startswith(f"To: {phone}\n"):
                found = re.findall(re.escape(self.url) + r"/[^\s]+", body)
                if found:
                    return found[-1].removeprefix(self.url)
        raise AssertionError(f"no text to {phone} with a link")

    def link_mailed_to(self, address: str, path: str) -> str:
        """Deliver the outbox (as the worker would) and return the last link to `path` (e.g.
        "/rsvp/") that `address` received, as a path on the served app."""
        from coalition.mail.delivery import deliver_due

        with self.context():
            deliver_due()
        for recipients, message in reversed(self.smtp.handler.messages):
            if address in recipients:
                text = message.get_body(("plain",)).get_content()
                found = re.findall(re.escape(self.url) + re.escape(path) + r"[^\s<>\"]+", text)
                if found:
                    return found[-1].removeprefix(self.url)
        raise AssertionError(f"no mail to {address} with a link to {path}")


def _seed(app) -> dict:
    """The demo coalition, plus one RSVP, an invitation and a reset link to visit."""
    import sqlalchemy as sa

    from coalition.auth import operations as auth_ops
    from coalition.auth import two_factor
    from coalition.auth.models import User
    from coalition.delegations import operations as delegation_ops
    from coalition.delegations.models import Delegation, TravelMode
    from coalition.demo import seed
    from coalition.events.models import Event, EventTranslation
    from coalition.extensions import db
    from coalition.orgs import operations as org_ops
    from coalition.orgs.models import Organization, OrgRole
    from coalition.rsvps import operations as rsvp_ops
    from coalition.tokens import make_token

    db.create_all()
    seed()
    db.session.flush()

    def event(title: str) -> Event:
        return db.session.scalar(
            sa.select(Event).join(EventTranslation).where(EventTranslation.title == title)
        )

    def org(slug: str) -> Organization:
        return db.session.scalar(sa.select(Organization).where(Organization.slug == slug))

    def user(email: str) -> User:
        return db.session.scalar(sa.select(User).where(User.email == email))

    training = event("Taller: conoce tus derechos")
    march = event("May Day March for Immigrant Workers")
    meeting = event("Coalition monthly meeting")
    court = event("Court accompaniment for a community member")
    rsvp = rsvp_ops.submit(
        training.occurrences[0],
        rsvp_ops.RSVPInput(name="Lucía", email="lucia@example.org", language="es"),
        notify=False,
    ).rsvp
    going = rsvp_ops.submit(
        march.occurrences[0],
        rsvp_ops.RSVPInput(name="Lucía", email="lucia@example.org", language="es", party_size=2),
        notify=False,
    ).rsvp
    bus = db.session.scalar(sa.select(Delegation).where(Delegation.town == "Worcester"))
    vans = delegation_ops.start(
        march.occurrences[0],
        delegation_ops.DelegationInput(
            name="Northampton vans", town="Northampton", lead_name="Ana",
            lead_email="member@example.org", lead_language="es", expected_headcount=12,
            travel_mode=TravelMode.carpool, meeting_point="Valley Workers Center",
        ),
        user=user("member@example.org"),
    )  # fmt: skip
    # Sessions, a series registration and volunteer roles (issue #17), so their pages join the
    # sweep: a session of the training with Lucía in it, the monthly meeting as an open meeting
    # with one person registered for every date, and a driver signed up for the training.
    from datetime import timedelta

    from coalition.sessions import operations as session_ops
    from coalition.sessions import series as series_ops
    from coalition.sessions.models import SeriesMode
    from coalition.volunteers import operations as volunteer_ops
    from coalition.volunteers.models import RoleKind

    training_occ = training.occurrences[0]
    workshop = session_ops.create_session(
        training_occ,
        session_ops.SessionInput(
            title="Know your rights at work", start_at=training_occ.start_at,
            end_at=training_occ.start_at + timedelta(hours=1), room="Room B",
            languages=["es"], capacity=25,
        ),
    )  # fmt: skip
    session_ops.choose(rsvp, [workshop])
    series_ops.configure(meeting, SeriesMode.open, None)
    registration = series_ops.register(
        meeting,
        rsvp_ops.RSVPInput(name="Rosa", email="rosa.series@example.org", language="es"),
        notify=False,
    ).registration
    drivers = volunteer_ops.add_role(
        training_occ, volunteer_ops.RoleInput(kind=RoleKind.driver, needed=2, town="Springfield")
    )
    driver, _receipt = volunteer_ops.submit(
        drivers,
        volunteer_ops.HelperInput(name="Marta", email="marta@example.org", seats=4,
                                  town="Springfield"),
        notify=False,
    )  # fmt: skip
    valley = org("valley-workers-center")
    invitation = org_ops.invite(
        valley,
        email="newcomer@example.org",
        role=OrgRole.member,
        invited_by=user("owner@example.org"),
    )
    # Organizers, owners and admins sign in in two steps, as in production; the tests use their
    # recovery codes (a TOTP code works once per 30 seconds, and they sign in more often).
    recovery = {
        email: two_factor.enable(user(email), two_factor.new_secret())
        for email in ("owner@example.org", "organizer@example.org", "admin@example.org")
    }
    admin = user("admin@example.org")
    reset_token = make_token(
        auth_ops.RESET_PURPOSE, {"uid": admin.id, "fp": auth_ops._password_fingerprint(admin)}
    )
    ids = {
        "training": training.id,
        "training_occ": training.occurrences[0].id,
        "march": march.id,
        "march_occ": march.occurrences[0].id,
        "meeting": meeting.id,
        "meeting_occ": meeting.occurrences[0].id,
        "court": court.id,
        "court_occ": court.occurrences[0].id,
        "waitlisted_token": rsvp_ops.manage_token(rsvp),
        "rsvp_token": rsvp_ops.manage_token(going),
        "bus": bus.id,
        "bus_lead_token": delegation_ops.lead_token(bus),
        "bus_join_secret": bus.join_secret,
        "vans": vans.id,
        "invitation_token": make_token(org_ops.INVITATION_PURPOSE, {"id": invitation.id}),
        "reset_token": reset_token,
        "session": workshop.id,
        "series_token": series_ops.manage_token(registration),
        "role": drivers.id,
        "helper_token": volunteer_ops.manage_token(driver),
    }
    ids.update(_seed_rapid(valley, user("owner@example.org")))
    ids.update(_seed_training_invitation(training_occ, rsvp, user("owner@example.org")))
    ids.update(_seed_past_date(valley, user("owner@example.org")))
    ids.update(_seed_source(valley, user("owner@example.org")))
    db.session.commit()
    return ids, recovery


def _seed_rapid(org, dispatcher) -> dict:
    """Rapid response: the owner dispatches for the Valley center; one responder, one alert."""
    import sqlalchemy as sa

    from coalition.extensions import db
    from coalition.orgs.models import Membership
    from coalition.rapid import operations as rapid_ops
    from coalition.tokens import make_token

    for membership in db.session.scalars(
        sa.select(Membership).where(Membership.user_id == dispatcher.id)
    ):
        membership.is_dispatcher = True
    # A dispatcher who is only a member of the center (the sweep's "dispatcher" role).
    from coalition.auth.models import User
    from coalition.demo import DEMO_PASSWORD
    from coalition.orgs.models import OrgRole

    only_dispatcher = User(email="dispatcher@example.org", name="Joana", language="pt")
    only_dispatcher.set_password(DEMO_PASSWORD)
    db.session.add(only_dispatcher)
    db.session.add(
        Membership(user=only_dispatcher, org=org, role=OrgRole.member, is_dispatcher=True)
    )
    responder = rapid_ops.join(
        org,
        rapid_ops.ResponderInput(
            name="Marisol", email="marisol@example.org", phone=None, use_sms=False,
            use_email=True, locale="es", towns=["Holyoke"], languages=["es", "en"],
            roles=["responder"], training="Know your rights", trained_on=None, is_always=True,
        ),
    )  # fmt: skip
    alert = rapid_ops.open_alert(
        org,
        dispatcher,
        rapid_ops.AlertInput(
            kind="raid", town="Holyoke", place="Secret St 1", happens_at=rapid_ops.utcnow(),
            zone="America/New_York", needed=2, roles=[], note=None, language="",
        ),
    )  # fmt: skip
    answer = alert.answers[0]
    return {
        "rapid_alert": alert.id,
        "rapid_answer": f"{answer.id}/{answer.secret}",
        "rapid_me": f"{responder.id}/{responder.manage_secret}",
        "rapid_join": make_token("rapid.join", {"org": org.id}),
    }


def _seed_past_date(org, owner) -> dict:
    """A dialogue held ten days ago, with people checked in: its report (coalition/reports)."""
    from datetime import date, time, timedelta

    from coalition.events import lifecycle
    from coalition.events import operations as event_ops
    from coalition.extensions import db
    from coalition.rsvps import operations as rsvp_ops

    data = event_ops.EventInput(
        type_slug="dialogue", primary_language="es",
        texts={"es": ("Diálogo de la primavera", "Un diálogo.")}, timezone="America/New_York",
        start_date=date.today() - timedelta(days=10), start_time=time(18, 0),
        end_time=time(20, 0), venue="Centro", address="1 Main St", city="Springfield",
        languages=["es", "en"],
    )  # fmt: skip
    event = event_ops.create_event(org, owner, data)
    lifecycle.publish(event, owner)
    occurrence = event.occurrences[0]
    for n in range(7):
        rsvp = rsvp_ops.RSVPInput(name=f"Vecina {n}", email=f"past{n}@example.org",
                                  language="es" if n < 5 else "en")  # fmt: skip
        before = occurrence.start_at - timedelta(days=3)
        outcome = rsvp_ops.submit(occurrence, rsvp, notify=False, now=before)
        outcome.rsvp.checked_in_at = occurrence.start_at
    db.session.flush()
    # Returning participation as the purge leaves it (coalition/reports): a share shown, one
    # withheld (its complement is small), and a series with no end counted per calendar year.
    from coalition.reports.models import SeriesFigures

    year = date.today().year
    for row_year, registrations, came, opted, opted_all in (
        (year - 1, 10, 5, 0, 0),
        (year, 10, 7, 6, 6),
    ):
        db.session.add(
            SeriesFigures(event_id=event.id, org_id=org.id, year=row_year, dates_held=3,
                          registrations=registrations, came_to_all=came, opted_in=opted,
                          opted_in_came_to_all=opted_all, is_final=row_year < year,
                          last_start_at=occurrence.start_at)
        )  # fmt: skip
    db.session.flush()
    return {"past": event.id, "past_occ": occurrence.id}


def _seed_source(org, organizer) -> dict:
    """A paused calendar of the center's (never read: the worker does not run here), so its
    pages (state, settings, removal) join the sweep."""
    from coalition.sources import operations as source_ops
    from coalition.sources.models import SourceKind

    source = source_ops.add_source(
        org,
        organizer,
        source_ops.SourceInput(
            name="Valley center's Google calendar", url="https://calendar.example.org/valley.ics",
            type_slug="meeting", language="es", default_city="Holyoke",
            editable_fields=("title", "place"),
            type_rules=(source_ops.TypeRule("category", "Training", "training"),
                        source_ops.TypeRule("title", "Vigil", "vigil")),
        ),
    )  # fmt: skip
    source.is_active = False
    # A partner coalition's feed hosted by the center, its RSVPs taken here: its settings
    # (filters, RSVPs) are the admins' page.
    partner = source_ops.add_source(
        org,
        organizer,
        source_ops.SourceInput(
            name="Worcester network", url="https://worcester-network.example/calendar.ics",
            type_slug="forum", filter_category="forum", filter_city="Worcester",
            rsvps_here=True,
        ),
        kind=SourceKind.partner,
    )  # fmt: skip
    partner.is_active = False
    return {"source": source.id, "partner": partner.id}


def _seed_training_invitation(occurrence, invited, owner) -> dict:
    """The training's dashboard offers to invite the people checked in (one is not invited yet);
    Lucía was invited: her link (join, or say no) joins the sweep."""
    import sqlalchemy as sa

    from coalition.db import utcnow
    from coalition.extensions import db
    from coalition.rapid import operations as rapid_ops
    from coalition.rapid.models import TrainingInvitation
    from coalition.rsvps.models import RSVP

    invited.checked_in_at = utcnow()
    rapid_ops.invite_trainees(occurrence, owner)
    other = db.session.scalars(
        sa.select(RSVP).where(RSVP.occurrence_id == occurrence.id, RSVP.id != invited.id)
    ).first()
    other.checked_in_at = utcnow()
    db.session.flush()
    invitation = db.session.scalar(
        sa.select(TrainingInvitation).where(TrainingInvitation.rsvp_id == invited.id)
    )
    token = rapid_ops.training_invitation_url(invitation).rsplit("/", 1)[1]
    return {"rapid_training_join": token}


@pytest.fixture(scope="session")
def live(tmp_path_factory, smtp_server):
    """The app, served by a real HTTP server thread on loopback, with its own database."""
    reason = browser_missing()
    if reason:
        _skipped.append(reason)
        if REQUIRE_BROWSER:
            pytest.fail(f"browser tests cannot run: {reason}")
        pytest.skip(f"browser tests not run: {reason}")
    from coalition import create_app

    folder = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.db'}",
            "SERVER_NAME": None,
            "MAIL_PORT": smtp_server.port,
            "TESTING": False,
            "REQUIRE_TWO_FACTOR": True,
            # Texts as files in this run's own folder (the phone-only journey reads them).
            "SMS_BACKEND": "folder",
            "SMS_FOLDER": str(folder / "sms"),
        }
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    with app.app_context():
        ids, recovery = _seed(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveApp(url=url, app=app, smtp=smtp_server, ids=ids, recovery=recovery)
    server.shutdown()


# The browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium(live, playwright_chromium):
    return playwright_chromium


class Visitor:
    """One person's browser tab: console errors are recorded; pages can be audited."""

    def __init__(self, browser, live: LiveApp, width: int = PHONE, locale: str = "en-US"):
        self.live = live
        # bypass_csp lets the test inject axe-core into pages served with a strict CSP.
        self.context = browser.new_context(
            viewport={"width": width, "height": 800},
            locale=locale,
            bypass_csp=True,
            base_url=live.url,
        )
        self.context.set_default_timeout(10_000)
        self.context.add_init_script(path=str(AXE))
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                message.type == "error"
                and self.console_errors.append(f"{self.page.url}: {message.text}")
            ),
        )
        self.page.on(
            "pageerror", lambda error: self.console_errors.append(f"{self.page.url}: {error}")
        )

    def goto(self, path: str, status: int = 200):
        response = self.page.goto(path)
        assert response is not None and response.status == status, (
            f"{path}: {response and response.status}"
        )
        return response

    def sign_in(self, email: str, password: str = PASSWORD, audit: list | None = None) -> None:
        """Sign in, with the second step when the account has one (or must set one up).
        With `audit`, the problems of the sign-in pages are added to it."""
        self.goto("/login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("main button[type=submit]")
        if "/login/two-factor" in self.page.url:
            if audit is not None:
                audit += self.problems()
            self.page.fill("input[name=code]", self.live.recovery[email].pop())
            with self.page.expect_navigation():
                self.page.click("main button[type=submit]")
        self.set_up_two_factor_if_asked(email, audit)
        assert "/login" not in self.page.url, f"sign-in failed for {email}"

    def set_up_two_factor_if_asked(self, email: str, audit: list | None = None) -> None:
        """Someone who sees attendee data sets up two-step sign-in at their first sign-in:
        read the key the page shows, as an authenticator app would, and give its code."""
        if "/account/two-factor" not in self.page.url:
            return
        import pyotp

        if audit is not None:
            audit += self.problems()
        secret = self.page.inner_text("code.secret").replace(" ", "")
        self.page.fill("input[name=setup-code]", pyotp.TOTP(secret).now())
        with self.page.expect_navigation():
            self.page.click("main form button.primary")
        codes = self.page.locator(".recovery-codes li").all_inner_texts()
        assert codes, "no recovery codes after setting up two-step sign-in"
        self.live.recovery[email] = codes
        if audit is not None:
            audit += self.problems()

    def resize(self, width: int) -> None:
        self.page.set_viewport_size({"width": width, "height": 800})

    def problems(self) -> list[str]:
        """Serious or critical axe violations and horizontal overflow on the current page."""
        found = []
        result = self.page.evaluate(
            "axe.configure({noHtml: true}) || axe.run(document, {resultTypes: ['violations']})"
        )
        width = self.page.viewport_size["width"]
        for violation in result["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
                found.append(
                    f"{self.page.url} @{width}px axe {violation['id']} ({violation['impact']}): "
                    f"{targets}"
                )
        overflow = self.page.evaluate(
            """() => {
              const doc = document.documentElement;
              if (doc.scrollWidth <= doc.clientWidth) return null;
              const wide = [...document.body.querySelectorAll('*')]
                .filter(el => el.getBoundingClientRect().right > doc.clientWidth + 1)
                .slice(0, 3)
                .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
              return [doc.scrollWidth, wide];
            }"""
        )
        if overflow:
            found.append(
                f"{self.page.url} @{width}px overflows: {overflow[0]} px wide ({overflow[1]})"
            )
        # Text squeezed into a column a few letters wide (a long label in a grid starving its
        # value, issue #22): a visible run of text broken into more lines than a third of its
        # letters. Axe does not see it and the page need not overflow.
        squeezed = self.page.evaluate(
            """() => {
              const found = [];
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              const range = document.createRange();
              for (let node; (node = walker.nextNode()) && found.length < 3;) {
                const text = node.textContent.trim();
                if (text.length < 9) continue;
                range.selectNodeContents(node);
                const lines = new Set([...range.getClientRects()]
                  .filter(r => r.width > 0).map(r => Math.round(r.top))).size;
                if (lines > text.length / 3) {
                  const box = node.parentElement.getBoundingClientRect();
                  found.push(`${node.parentElement.tagName.toLowerCase()} "${text.slice(0, 30)}"` +
                             ` in ${lines} lines, ${Math.round(box.width)} px wide`);
                }
              }
              return found;
            }"""
        )
        for where in squeezed:
            found.append(f"{self.page.url} @{width}px squeezes text: {where}")
        return found

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visitor(chromium, live):
    """A factory of fresh browser tabs (each its own cookies), closed after the test."""
    opened: list[Visitor] = []

    def open_tab(width: int = PHONE, locale: str = "en-US") -> Visitor:
        tab = Visitor(chromium, live, width, locale)
        opened.append(tab)
        return tab

    yield open_tab
    for tab in opened:
        tab.close()
