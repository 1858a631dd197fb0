"""Issue #10's numbered findings, each reproduced as an attacker would and now refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa

from coalition import create_app
from coalition.delegations.models import Delegation
from coalition.events.models import EventVisibility
from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import Membership, OrgRole
from coalition.rsvps.models import RSVP
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, make_event, member_of

RESET_LINK = re.compile(r"http://localhost(/password/reset/\S+)")


def _remember_cookie(response) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("remember_token="):
            return header
    raise AssertionError("no remember-me cookie")


# 1. Sessions end on a password reset; remember-me is at most 30 days -----------------------


def test_1_password_reset_ends_old_sessions_and_remember_me_cookies(client, make_client, db):
    UserFactory(email="ana@example.org")
    response = client.submit(
        "/login", {"email": "ana@example.org", "password": PASSWORD, "remember": "y"}, page="/login"
    )
    cookie = _remember_cookie(response)
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    remember_value = cookie.split(";")[0].split("=", 1)[1]
    assert client.get("/account").status_code == 200

    # Someone (the owner, or whoever reads their mail) resets the password elsewhere.
    other = make_client()
    other.submit("/password/forgot", {"email": "ana@example.org"}, page="/password/forgot")
    message = db.session.scalars(sa.select(OutgoingEmail)).one()
    link = RESET_LINK.search(message.body_text).group(1)
    other.submit(link, {"password": "a brand new one", "confirm": "a brand new one"}, page=link)

    assert client.get("/account").status_code == 302  # the old session has ended
    thief = make_client()
    thief.set_cookie("remember_token", remember_value, domain="localhost")
    assert thief.get("/account").status_code == 302  # and so has the remember-me cookie


def test_1_password_change_and_sign_out_everywhere_end_other_sessions(client, make_client):
    UserFactory(email="ana@example.org")
    laptop, phone = client, make_client()
    laptop.login("ana@example.org")
    phone.login("ana@example.org")
    new = "another passphrase"
    response = laptop.submit(
        "/account",
        {"form_name": "password", "pw-current": PASSWORD, "pw-password": new, "pw-confirm": new},
        page="/account",
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200  # the one who changed it stays in
    assert phone.get("/account").status_code == 302

    phone.login("ana@example.org", new)
    assert laptop.submit("/account/sign-out-everywhere", page="/account").status_code == 302
    assert laptop.get("/account").status_code == 302
    assert phone.get("/account").status_code == 302


# 2. Invitations only for the invited email ----------------------------------------------------


def test_2_invitation_link_cannot_be_used_by_another_account(client, db, smtp, deliver):
    target = OrganizationFactory()
    member_of(target, OrgRole.owner, email="owner@example.org")
    client.login("owner@example.org")
    client.submit(
        f"/orgs/{target.slug}/people",
        {"email": "invited@example.org", "role": "organizer"},
        page=f"/orgs/{target.slug}/people",
    )
    deliver()
    text = smtp.messages[-1][1].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://localhost(/invitations/\S+)", text).group(1)
    client.logout()

    # A member of another organization who got hold of the link.
    elsewhere = OrganizationFactory()
    intruder = member_of(elsewhere, OrgRole.member, email="intruder@example.org")
    client.login("intruder@example.org")
    page = client.get(link)
    assert page.status_code == 403
    assert "invited@example.org" in page.get_data(as_text=True)
    assert client.submit(link, {}, page="/").status_code == 403
    assert (
        db.session.scalar(
            sa.select(Membership).where(
                Membership.user_id == intruder.id, Membership.org_id == target.id
            )
        )
        is None
    )
    assert client.get(f"/orgs/{target.slug}/people").status_code == 403

    # The invited person still can.
    client.logout()
    response = client.submit(link, {"name": "Invited", "password": PASSWORD}, page=link)
    assert response.status_code == 302


# 3. Security headers -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/calendar", "/orgs", "/api/v1/events", "/nope"])
def test_3_every_response_forbids_framing_and_inline_code(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "style-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain http here


def test_3_pages_carry_no_inline_script_or_style(client, db):
    org = OrganizationFactory(color="#aa3300")
    event = make_event(org)
    member_of(org, OrgRole.owner, email="owner@example.org")
    client.login("owner@example.org")
    pages = ["/", "/orgs", f"/orgs/{org.slug}", "/calendar", f"/events/{event.id}", "/account"]
    occurrence = event.occurrences[0]
    pages.append(f"/events/{event.id}/occurrences/{occurrence.id}/rsvp")
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert " style=" not in body and "<style" not in body, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), path
        assert not re.search(r"\son[a-z]+=", body), path
    css = client.get("/orgs/colors.css")
    assert css.mimetype == "text/css"
    assert f".org-{org.id}{{--org-color:#aa3300}}" in css.get_data(as_text=True)


def test_3_hsts_when_served_over_https(app, smtp_server):
    secure = create_app(
        {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PREFERRED_URL_SCHEME": "https",
        }
    )
    response = secure.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# 4. Rate limits that hold ------------------------------------------------------------------


#: Production refuses to start without contact keys; give valid ones (tests/core/test_crypto.py).
KEYS = {
    "CONTACT_KEYS": "bm90LWEtc2VjcmV0LWNvbnRhY3Qta2V5LWRldi10ZXM=",
    "CONTACT_HASH_KEY": "not-a-secret-contact-hash-key-for-the-tests",
}


def test_4_production_refuses_memory_rate_limits_with_several_workers():
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app(
            {
                "CONFIG_NAME": "production",
                "SECRET_KEY": "x" * 32,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "WEB_CONCURRENCY": 3,
                "RATELIMIT_STORAGE_URI": "memory://",
                **KEYS,
            }
        )
    app = create_app(
        {
            "CONFIG_NAME": "production",
            "SECRET_KEY": "x" * 32,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "WEB_CONCURRENCY": 3,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/11",
            **KEYS,
        }
    )
    assert app.config["WEB_CONCURRENCY"] == 3


# 5 is in tests/auth (registration and reset answer alike). ------------------------------------


# 6. No 500s on out-of-range ids, NUL bytes, invalid UTF-8, absurd dates ------------------------


def test_6_out_of_range_ids_and_pages_answer_4xx(client, db):
    make_event()
    assert client.get("/events/2147483648").status_code == 404
    assert client.get("/api/v1/events/99999999999999999999").status_code == 404
    response = client.post("/api/v1/events/217496170030/rsvps", json={"name": "A"})
    assert response.status_code == 404
    for cursor in ("88162649023781404672", "20270101T000000000000-88162649023781404672",
                   "20270101T000000000000-2147483648", "99999999T999999999999-1"):  # fmt: skip
        assert client.get(f"/api/v1/events?after={cursor}").status_code == 400
        assert client.get(f"/calendar?after={cursor}").status_code == 400
        assert client.get(f"/calendar/past?before={cursor}").status_code == 400
    assert client.get("/calendar?after=20270101T000000000000-2147483647").status_code == 200
    assert client.get("/events/2147483647").status_code == 404  # in range, just not there


def test_6_nul_bytes_and_invalid_utf8_answer_400(client, db):
    assert client.get("/orgs/%00").status_code == 400
    assert client.get("/orgs/%ff%fe").status_code == 400
    assert client.get("/calendar?q=%00").status_code == 400
    assert client.get("/api/v1/events?q=%c3%28").status_code == 400
    token = client.csrf_token("/login")
    response = client.post(
        "/login", data={"email": "a\x00@example.org", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400
    event = make_event()
    response = client.post(
        f"/api/v1/events/{event.id}/rsvps",
        data=b'{"name": "A\\u0000", "email": "a@example.org"}',
        content_type="application/json",
    )
    assert response.status_code == 400


def test_6_a_departure_in_the_year_9999_is_refused_with_a_message(client, db):
    event = make_event()
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/delegations/new"
    data = {"name": "Worcester delegation", "town": "Worcester", "sponsor_org": "",
            "lead_name": "Rosa", "lead_email": "rosa@example.org", "lead_phone": "",
            "lead_language": "es", "expected_headcount": "20", "travel_mode": "bus",
            "meeting_point": "Union Station", "seat_limit": "",
            "departure": "9999-12-31T23:59"}  # fmt: skip
    response = client.submit(url, data, page=url)
    assert response.status_code == 400
    assert "between the years" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delegation)) == 0


# 7. Control characters in one-line fields ---------------------------------------------------


def test_7_a_name_with_cr_lf_is_refused_and_nothing_is_stored(client, db):
    event = make_event()
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    data = {"name": "Ana\r\nBcc: everyone@example.org", "email": "ana@example.org", "phone": "",
            "language": "en", "party_size": "1", "consents_to_reminders": "y"}  # fmt: skip
    response = client.submit(url, data, page=url)
    assert response.status_code == 400
    assert "one line of text" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0


# 8. Members-only calendars are never cached publicly --------------------------------------------


def test_8_members_only_ics_is_private_no_store(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.member, email="member@example.org")
    event = make_event(org, title="Members meeting", visibility=EventVisibility.members)
    client.login("member@example.org")
    response = client.get(f"/events/{event.id}.ics")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    occurrence = event.occurrences[0]
    one = client.get(f"/events/{event.id}/occurrences/{occurrence.id}.ics")
    assert one.headers["Cache-Control"] == "private, no-store"
    account = client.get("/account")
    assert account.headers["Cache-Control"] == "private, no-store"
    client.logout()
    public_event = make_event(org, title="Rally")
    assert "public" in client.get(f"/events/{public_event.id}.ics").headers["Cache-Control"]


def test_7_the_api_refuses_cr_lf_in_a_name_too(client, db):
    event = make_event()
    response = client.post(
        f"/api/v1/events/{event.id}/rsvps",
        json={"name": "Ana\r\nBcc: x@example.org", "email": "ana@example.org"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "name"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0


def test_3_a_view_made_for_embedding_may_be_framed_and_no_other(smtp_server):
    from coalition.access import access, public
    from coalition.core.http import embeddable

    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @access(public)
    @embeddable()
    def widget():
        return "a calendar widget"

    app.add_url_rule("/embed/widget", "widget", widget)
    client = app.test_client()
    framed = client.get("/embed/widget")
    assert "frame-ancestors *" in framed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in framed.headers
    assert "frame-ancestors 'none'" in client.get("/healthz").headers["Content-Security-Policy"]
