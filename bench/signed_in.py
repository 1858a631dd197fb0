"""The signed-in side of the calendar benchmark (issue 26): people, data, and signing in.

Seeds, in the organization `bench-0` of bench/calendar_bench.py's data set:

- a member, and 5 of the organization's one-off events coming soonest made members-only (the
  member's /calendar lists them on its first page);
- an organizer with two-step sign-in set up through the app's own `two_factor.enable`, with a
  TOTP secret this module knows (`TOTP_SECRET`), as production requires for anyone who sees
  attendee data;
- one upcoming date of one of its events with 1,000 RSVPs (contacts encrypted by the app's
  column type, hashed with its keys) of which 200 in a delegation led by a signed-in lead;
- a dispatcher and an open rapid-response alert to 800 responders, with their answers.

`sign_in(...)` goes through the real forms (`/login`, then `/login/two-factor` with a code
computed by pyotp from `TOTP_SECRET`): against gunicorn over HTTP (`http_sign_in`) or with the
app's test client (`client_sign_in`, for counting SQL statements in process). No shortcut is
added to the app: a session is what the sign-in form hands out.
"""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import pyotp
import sqlalchemy as sa

from coalition.auth import two_factor
from coalition.auth.models import User
from coalition.delegations.models import Delegation
from coalition.events.models import Event, EventStatus, EventVisibility, Occurrence
from coalition.extensions import db
from coalition.orgs.models import Membership, Organization, OrgRole, OrgStatus
from coalition.rapid import operations as rapid_ops
from coalition.rapid.models import Alert, Answer, AnswerState, Responder
from coalition.rsvps.models import RSVP, RSVPStatus

ORG_SLUG = "bench-0"
PASSWORD = "bench-only-password-not-secret"
#: The organizer's authenticator app, as far as the bench is concerned (base32, not secret).
TOTP_SECRET = "JBSWY3DPEHPK3PXPBENCH2NLYN2TSECR"
RSVPS = 1000
DELEGATES = 200
RESPONDERS = 800
MEMBERS_ONLY = 5

EMAILS = {
    "member": "bench-member@example.org",
    "organizer": "bench-organizer@example.org",
    "lead": "bench-lead@example.org",
    "dispatcher": "bench-dispatcher@example.org",
}


@dataclass
class SignedInData:
    org_slug: str
    event_id: int
    occurrence_id: int
    delegation_id: int
    alert_id: int


def seeded() -> bool:
    return (
        db.session.scalar(sa.select(User.id).where(User.email == EMAILS["organizer"])) is not None
    )


def _user(key: str, name: str) -> User:
    user = User(email=EMAILS[key], name=name, language="en")
    user.set_password(PASSWORD)
    db.session.add(user)
    return user


def seed_people(now: datetime | None = None) -> float:
    """Seed the people, RSVPs, delegation and alert (in an app context); returns seconds."""
    began = time.perf_counter()
    now = now or datetime.now(UTC)
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == ORG_SLUG))
    member = _user("member", "Bench Member")
    organizer = _user("organizer", "Bench Organizer")
    lead = _user("lead", "Bench Lead")
    dispatcher = _user("dispatcher", "Bench Dispatcher")
    db.session.add_all(
        [
            Membership(user=member, org=org, role=OrgRole.member),
            Membership(user=organizer, org=org, role=OrgRole.organizer),
            Membership(user=dispatcher, org=org, role=OrgRole.member, is_dispatcher=True),
        ]
    )
    db.session.flush()
    two_factor.enable(organizer, TOTP_SECRET)  # as the setup page does once the code matches

    # The date with 1,000 RSVPs: the first date a week or more ahead of a published public
    # event of the org (of another active org's, then hosted by this one, in a tiny data set).
    occurrence = db.session.scalars(
        sa.select(Occurrence)
        .join(Occurrence.event)
        .join(Event.host_org)
        .where(
            Organization.status == OrgStatus.active,
            Event.status == EventStatus.published,
            Event.visibility == EventVisibility.public,
            Occurrence.start_at > now + timedelta(days=7),
            Occurrence.is_cancelled.is_(False),
        )
        .order_by(Event.host_org_id != org.id, Occurrence.start_at, Occurrence.id)
        .limit(1)
    ).one()
    event = occurrence.event
    event.host_org_id = org.id
    event.capacity = None  # every RSVP confirmed

    # Members-only events the member's calendar lists on its first page: the org's 5 one-off
    # public events coming soonest (other than the one above) become members-only.
    soonest = db.session.scalars(
        sa.select(Event)
        .join(Occurrence, Occurrence.event_id == Event.id)
        .where(
            Event.host_org_id == org.id,
            Event.id != event.id,
            Event.status == EventStatus.published,
            Event.visibility == EventVisibility.public,
            Event.rrule.is_(None),
            Occurrence.start_at > now,
            Occurrence.is_cancelled.is_(False),
        )
        .order_by(Occurrence.start_at)
        .limit(MEMBERS_ONLY)
    ).all()
    for members_event in soonest:
        members_event.visibility = EventVisibility.members
    delegation = Delegation(
        occurrence_id=occurrence.id, name="Bench Bus", town="Worcester",
        lead_name="Bench Lead", lead_email=EMAILS["lead"], lead_user_id=lead.id,
        lead_language="en", expected_headcount=DELEGATES, meeting_point="City Hall",
        departure_at=occurrence.start_at - timedelta(hours=2),
    )  # fmt: skip
    db.session.add(delegation)
    db.session.flush()
    languages = ("en", "es", "ht", "pt")
    rsvps = []
    for n in range(RSVPS):
        by_phone = n % 3 == 0
        rsvps.append(
            RSVP(
                occurrence_id=occurrence.id,
                delegation_id=delegation.id if n < DELEGATES else None,
                name=f"Attendee {n}",
                email=None if by_phone else f"attendee{n}@example.org",
                phone=f"+1617555{n:04d}" if by_phone else None,
                language=languages[n % 4],
                party_size=1 + (n % 7 == 0),
                needs_interpretation=n % 5 == 0,
                needs_childcare=n % 11 == 0,
                needs_ride=n % 13 == 0,
                status=RSVPStatus.confirmed,
                confirmed_at=now - timedelta(minutes=n),
                created_at=now - timedelta(minutes=n),
                updated_at=now - timedelta(minutes=n),
            )
        )
    db.session.add_all(rsvps)

    # The rapid-response alert: 800 responders alerted, answers at every stage.
    responders = []
    for n in range(RESPONDERS):
        responder = Responder(org_id=org.id, manage_secret=f"bench-secret-{n}")
        email = n % 2 == 0
        rapid_ops._apply(
            responder,
            rapid_ops.ResponderInput(
                name=f"Responder {n}", email=f"r{n}@example.org" if email else None,
                phone=None if email else f"+1508555{n:04d}", use_sms=not email,
                use_email=email, locale=languages[n % 4], towns=["Springfield"],
                languages=["en", "es"], roles=["responder"], training="Rapid response 101",
                trained_on=None, is_always=True, zone="America/New_York",
            ),
        )  # fmt: skip
        responders.append(responder)
    db.session.add_all(responders)
    alert = Alert(
        org_id=org.id, created_by_id=dispatcher.id, kind="raid", town="springfield",
        place="Main St & 5th", note=None, happens_at=now - timedelta(minutes=20),
        zone="America/New_York", needed=20, roles=[], language="", created_at=now - timedelta(
            minutes=20),
    )  # fmt: skip
    db.session.add(alert)
    db.session.flush()
    states = (
        [AnswerState.alerted] * 5
        + [AnswerState.going] * 2
        + [AnswerState.cant] * 2
        + [AnswerState.arrived]
    )
    answers = []
    for n, responder in enumerate(responders):
        state = states[n % len(states)]
        answered = alert.created_at + timedelta(seconds=30 + n)
        answers.append(
            Answer(
                alert_id=alert.id, responder_id=responder.id,
                phone_hash=responder.phone_hash if responder.use_sms else None, ring=1,
                secret=f"bench-answer-{n}", state=state.value,
                eta_minutes=15 if state == AnswerState.going else None,
                alerted_at=alert.created_at,
                answered_at=None if state == AnswerState.alerted else answered,
                going_at=answered if state in (AnswerState.going, AnswerState.arrived) else None,
                arrived_at=answered + timedelta(minutes=10)
                if state == AnswerState.arrived else None,
            )
        )  # fmt: skip
    db.session.add_all(answers)
    db.session.commit()
    return time.perf_counter() - began


def data() -> SignedInData:
    """Where the seeded pages are (in an app context)."""
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == ORG_SLUG))
    lead_id = db.session.scalar(sa.select(User.id).where(User.email == EMAILS["lead"]))
    delegation = db.session.scalars(
        sa.select(Delegation).where(Delegation.lead_user_id == lead_id)
    ).one()
    alert_id = db.session.scalar(sa.select(Alert.id).where(Alert.org_id == org.id))
    return SignedInData(
        org_slug=org.slug,
        event_id=delegation.occurrence.event_id,
        occurrence_id=delegation.occurrence_id,
        delegation_id=delegation.id,
        alert_id=alert_id,
    )


def pages(found: SignedInData, lead_token: str) -> list[tuple[str, str, str]]:
    """(path, label, who) of every signed-in page measured."""
    date = f"/events/{found.event_id}/occurrences/{found.occurrence_id}"
    return [
        ("/calendar", "member calendar", "member"),
        (f"/orgs/{found.org_slug}/events", "organizer dashboard", "organizer"),
        (f"{date}/attendees", f"attendee list ({RSVPS} RSVPs)", "organizer"),
        (f"/delegations/lead/{lead_token}", f"delegation roster ({DELEGATES})", "lead"),
        (
            f"/orgs/{found.org_slug}/rapid/alerts/{found.alert_id}",
            f"live alert ({RESPONDERS} responders)",
            "dispatcher",
        ),
    ]


# Signing in -------------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    if found is None:
        raise RuntimeError("no CSRF token in the sign-in form")
    return found.group(1) or found.group(2)


def _totp_code(user_email: str) -> str:
    """A code for a time step the app has not seen used yet (it refuses a code used before):
    the current step, or the next one (the app accepts one step of drift either way), else
    wait for the next step. Reads the user's last used step (in an app context)."""
    totp = pyotp.TOTP(TOTP_SECRET)
    while True:
        last = db.session.scalar(sa.select(User.totp_last_step).where(User.email == user_email))
        db.session.rollback()
        step = int(time.time()) // totp.interval
        for candidate in (step, step + 1):
            if last is None or candidate > last:
                return totp.at(candidate * totp.interval)
        time.sleep(1)


class _Http:
    """Just enough of a browser for the sign-in forms: one cookie (the session), no redirects
    followed, the same headers as the load generator (the session is bound to them)."""

    def __init__(self, port: int):
        self.port = port
        self.cookie: str | None = None

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Accept-Language": "en"}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0].split("=", 1)[1] or None
            return response.status, response.getheader("Location") or "", text
        finally:
            connection.close()


def http_sign_in(port: int, who: str, app) -> str:
    """Sign `who` in through the forms of the server on `port`; returns the session cookie's
    value. `app` (same database) reads the last TOTP step used."""
    browser = _Http(port)
    status, _location, html = browser.request("GET", "/login")
    status, location, html = browser.request(
        "POST",
        "/login",
        {"email": EMAILS[who], "password": PASSWORD, "csrf_token": _csrf(html)},
    )
    if status != 302:
        raise RuntimeError(f"sign-in of {who} answered {status}")
    if urlsplit(location).path == "/login/two-factor":
        status, _location, html = browser.request("GET", "/login/two-factor")
        with app.app_context():
            code = _totp_code(EMAILS[who])
        status, location, html = browser.request(
            "POST", "/login/two-factor", {"code": code, "csrf_token": _csrf(html)}
        )
        if status != 302 or urlsplit(location).path.startswith("/login"):
            raise RuntimeError(f"second step of {who} answered {status} to {location}")
    if not browser.cookie:
        raise RuntimeError(f"no session cookie for {who}")
    return browser.cookie


def client_sign_in(app, client, who: str) -> None:
    """The same, with the app's test client (in process)."""
    response = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": EMAILS[who],
            "password": PASSWORD,
            "csrf_token": _csrf(response.get_data(as_text=True)),
        },
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in of {who} answered {response.status_code}")
    if urlsplit(response.headers["Location"]).path == "/login/two-factor":
        form = client.get("/login/two-factor").get_data(as_text=True)
        with app.app_context():
            code = _totp_code(EMAILS[who])
        response = client.post("/login/two-factor", data={"code": code, "csrf_token": _csrf(form)})
        if response.status_code != 302:
            raise RuntimeError(f"second step of {who} answered {response.status_code}")
