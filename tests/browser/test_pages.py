"""Every page of every role, in every language, on a 360 px phone (and in English at 1280 px too):
no serious or critical axe violation, no horizontal overflow, no text squeezed to a few letters
a line, no console error.

The pages are a registry: `PUBLIC` and `ROLES` below, one line per page. A page added to the app
and not to these lists fails `test_the_sweep_covers_every_page`. Each role signs in once (one
browser, one tab per role for the whole module) and switches language with the header's
switcher, as a person would.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from tests.browser.conftest import DESKTOP, PHONE, Visitor

LANGUAGES = ("en", "es", "ht", "pt")

VALLEY = "/orgs/valley-workers-center"
TRAINING = "/events/{training}/occurrences/{training_occ}"
MARCH = "/events/{march}/occurrences/{march_occ}"

PUBLIC = [
    "/",
    "/calendar",
    "/calendar/month",
    "/calendar/past",
    "/orgs",
    VALLEY,
    "/events/{march}",
    "/events/{meeting}",
    "/events/{court}",
    MARCH,
    TRAINING + "/rsvp",
    MARCH + "/delegations/new",
    "/delegations/{bus}",
    MARCH + "/flyer?lang=en&lang2=es",
    "/embed/calendar",
    "/embed/orgs/valley-workers-center/calendar",
    "/events/{meeting}/series/register",
    # A date of a recurring event: the box "count my attendance across this series".
    "/events/{meeting}/occurrences/{meeting_occ}/rsvp",
    TRAINING + "/help",
]

#: role → (email or None, the pages that role sees beyond the public ones).
ROLES = {
    "anonymous": (
        None,
        [
            "/login",
            "/register",
            "/password/forgot",
            "/password/reset/{reset_token}",
            "/invitations/{invitation_token}",
            "/rsvp/{rsvp_token}",
            "/rsvp/{waitlisted_token}",
            "/rsvp/{rsvp_token}/cancel",
            "/rsvp/{rsvp_token}/reminders-off",
            "/delegations/lead/{bus_lead_token}",
            "/delegations/lead/{bus_lead_token}/edit",
            "/delegations/{bus}/join/{bus_join_secret}",
            "/series/{series_token}",
            "/help/{helper_token}",
            "/help/{helper_token}/reminders-off",
            "/rapid/join/{rapid_join}",
            "/rapid/join/{rapid_training_join}",
            "/rapid/join/{rapid_training_join}/no",
            "/rapid/me/{rapid_me}",
            "/rapid/a/{rapid_answer}",
        ],
    ),
    "member": (
        "member@example.org",
        ["/account", "/calendar/subscribe", "/delegations/{vans}/roster"],
    ),
    "owner": (
        "owner@example.org",
        [
            "/account",
            "/events/{training}",
            VALLEY + "/events",
            VALLEY + "/events/new",
            VALLEY + "/edit",
            VALLEY + "/people",
            VALLEY + "/audit",
            VALLEY + "/cosponsorships",
            VALLEY + "/embed",
            "/events/{training}/image",
            "/events/{training}/edit",
            "/events/{training}/cosponsors",
            TRAINING + "/edit",
            TRAINING + "/attendees",
            TRAINING + "/checkin",
            TRAINING + "/message",
            TRAINING + "/sessions",
            TRAINING + "/sessions/{session}/edit",
            TRAINING + "/sessions/{session}/people",
            TRAINING + "/roles",
            TRAINING + "/roles/{role}",
            TRAINING + "/roles/{role}/message",
            TRAINING + "/helpers",
            "/events/{meeting}/series",
            "/rapid",
            VALLEY + "/rapid/roster",
            VALLEY + "/rapid/roster?trained_from=2020-01-01&sort=trained_newest",
            VALLEY + "/rapid/invite",
            VALLEY + "/rapid/dispatchers",
            VALLEY + "/rapid/alerts",
            VALLEY + "/rapid/alerts/new",
            VALLEY + "/rapid/alerts/{rapid_alert}",
            VALLEY + "/reports",
            VALLEY + "/reports?from=2020-01-01&language=es",
            "/events/{past}/occurrences/{past_occ}/report",
            VALLEY + "/calendars",
            VALLEY + "/calendars/new",
            VALLEY + "/calendars/{source}",
            VALLEY + "/calendars/{source}/edit",
            VALLEY + "/calendars/{source}/delete",
        ],
    ),
    "organizer": (
        "organizer@example.org",
        [
            "/events/{march}",
            "/orgs/local-615-janitors/events",
            "/orgs/local-615-janitors/people",
            MARCH + "/attendees",
            "/orgs/haitian-community-partners/cosponsorships",
        ],
    ),
    "admin": (
        "admin@example.org",
        [
            "/events/{march}",
            "/admin/",
            "/admin/partners",
            VALLEY + "/calendars/{partner}",
            VALLEY + "/calendars/{partner}/edit",
            "/admin/applications",
            "/admin/orgs",
            "/admin/users",
            "/admin/events/pending",
            "/admin/events/settings",
            "/admin/events/types",
            "/admin/sms",
            "/admin/rapid",
            "/admin/reports",
            "/account",  # an admin's: API tokens
        ],
    ),
    "applicant": ("applicant@example.org", ["/account", "/orgs/apply"]),
    "dispatcher": (
        "dispatcher@example.org",
        [
            "/rapid",
            VALLEY + "/rapid/alerts",
            VALLEY + "/rapid/alerts/new",
            VALLEY + "/rapid/alerts/{rapid_alert}",
        ],
    ),
}

#: Endpoints that answer something other than an HTML page for people (feeds, JSON, CSV).
#: `shortlinks.follow` only redirects to the long private link (its page is swept as such).
NOT_PAGES = {"static", "health.healthz", "core.theme", "orgs.org_colors", "dashboard.export_csv",
             "shortlinks.follow", "reach.media", "reach.flyer_pdf",
             "rapid.alert_answers", "metrics.metrics",
             "reports_api.coalition", "reports_api.organization"}  # fmt: skip
#: Pages audited on the way rather than by address: the second sign-in step and the setup of
#: two-step sign-in (by `sign_in` above), the confirmation of a new account (the admin journey).
AUDITED_ON_THE_WAY = {"two_factor.verify", "two_factor.setup", "auth.confirm_registration"}


#: Signed in, the public pages differ only by the header (and, for hosts and admins, the
#: event page's manage box, listed with their pages).
SIGNED_IN_PUBLIC = ["/"]


def _paths(live, role: str) -> list[str]:
    public = PUBLIC if role == "anonymous" else SIGNED_IN_PUBLIC
    return [path.format(**live.ids) for path in public + ROLES[role][1]]


@pytest.fixture(scope="module")
def tabs(chromium, live):
    """One tab per role, signed in at first use and reused in every language; the accounts'
    languages are put back afterwards (other tests expect the demo's)."""
    from coalition.auth.models import User
    from coalition.extensions import db

    with live.context():
        languages = dict(db.session.execute(sa.select(User.email, User.language)).all())
    opened: dict[str, tuple[Visitor, list[str]]] = {}

    def tab(role: str) -> tuple[Visitor, list[str]]:
        if role not in opened:
            visitor = Visitor(chromium, live, PHONE)
            audit: list[str] = []
            if ROLES[role][0]:
                visitor.sign_in(ROLES[role][0], audit=audit)
            opened[role] = (visitor, audit)
        return opened[role]

    yield tab
    for visitor, _audit in opened.values():
        visitor.close()
    with live.context():
        for email, language in languages.items():
            db.session.execute(sa.update(User).where(User.email == email).values(language=language))
        db.session.commit()


def switch_language(tab: Visitor, language: str) -> None:
    """Choose the language in the header's switcher (a cookie; the account's too when signed
    in)."""
    tab.goto("/")
    if tab.page.evaluate("document.documentElement.lang") != language:
        with tab.page.expect_navigation():  # enhance.js submits the switcher on change
            tab.page.select_option("#language-switch", language)
    assert tab.page.evaluate("document.documentElement.lang") == language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_is_accessible_and_fits_a_phone(role, language, live, tabs):
    tab, audit = tabs(role)
    problems, audit[:] = list(audit), []
    switch_language(tab, language)
    for path in _paths(live, role):
        tab.resize(PHONE)
        tab.goto(path)
        problems += tab.problems()
        if language == "en":
            tab.resize(DESKTOP)
            problems += tab.problems()
    tab.resize(PHONE)
    problems += tab.console_errors
    tab.console_errors.clear()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_pages_are_accessible(language, live, visitor):
    tab = visitor(PHONE, locale=language)
    tab.goto("/no-such-page", status=404)
    assert not tab.problems()
    tab.goto("/events/999999", status=404)
    assert not tab.problems()


def test_the_sweep_covers_every_page(live):
    """A new page joins the sweep above, or this fails."""
    adapter = live.app.url_map.bind("localhost")
    visited = set(AUDITED_ON_THE_WAY)
    for role in ROLES:
        for path in PUBLIC + ROLES[role][1]:
            path = path.format(**live.ids)
            try:
                visited.add(adapter.match(path.split("?")[0], method="GET")[0])
            except NotFound:  # pragma: no cover - a typo in the lists above
                pytest.fail(f"{path} matches no route")
    pages = {
        rule.endpoint
        for rule in live.app.url_map.iter_rules()
        if (
            "GET" in rule.methods
            and rule.endpoint not in NOT_PAGES
            and not rule.endpoint.startswith(("api.", "feeds."))
        )
        or rule.endpoint == "feeds.subscribe"
    }
    assert pages - visited == set()
