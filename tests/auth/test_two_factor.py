"""Two-factor sign-in (TOTP and recovery codes), required for accounts that see attendee data."""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from coalition.auth.models import AccountEvent, RecoveryCode, User
from coalition.orgs.models import OrgRole
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member_of

SECRET = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')
CODES = re.compile(r"<li><code>([a-z0-9-]{14})</code></li>")


def _set_up(client) -> tuple[str, list[str]]:
    """Set up two-factor on the signed-in account; returns the secret and the recovery codes."""
    page = client.get("/account/two-factor")
    body = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    assert 'src="data:image/svg+xml;base64,' in body  # the QR code is drawn here
    secret = SECRET.search(body).group(1)
    response = client.submit(
        "/account/two-factor",
        {"form_name": "enable", "setup-code": pyotp.TOTP(secret).now()},
        page="/account/two-factor",
    )
    assert response.status_code == 200
    codes = CODES.findall(response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def _password_step(client, email="ana@example.org"):
    return client.submit("/login", {"email": email, "password": PASSWORD}, page="/login")


def _code_step(client, code):
    return client.submit("/login/two-factor", {"code": code}, page="/login/two-factor")


def test_sign_in_needs_the_code_after_the_password(client, db):
    UserFactory(email="ana@example.org")
    client.login("ana@example.org")
    secret, _codes = _set_up(client)
    client.logout()

    raw = db.session.execute(sa.text("SELECT totp_secret FROM users")).scalar()
    assert secret not in raw  # encrypted at rest under CONTACT_KEYS

    response = _password_step(client)
    assert response.headers["Location"].endswith("/login/two-factor")
    assert client.get("/account").status_code == 302  # not signed in yet
    wrong = _code_step(client, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    assert wrong.status_code == 400
    assert "not valid" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).now()
    assert _code_step(client, code).status_code == 302
    assert client.get("/account").status_code == 200

    # The same code cannot be used twice (a shoulder-surfed code is worth nothing).
    client.logout()
    _password_step(client)
    assert _code_step(client, code).status_code == 400


def test_recovery_codes_work_once_and_are_stored_hashed(client, db):
    user = UserFactory(email="ana@example.org")
    client.login("ana@example.org")
    _secret, codes = _set_up(client)
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    client.logout()
    _password_step(client)
    assert _code_step(client, codes[0].upper()).status_code == 302
    client.logout()
    _password_step(client)
    assert _code_step(client, codes[0]).status_code == 400
    assert _code_step(client, codes[1]).status_code == 302
    db.session.refresh(user)
    assert user.has_two_factor


@pytest.fixture
def app_overrides(request):
    if "rate" in request.node.name:
        return {"RATELIMIT_ENABLED": True, "TWO_FACTOR_LIMIT": "3 per 5 minutes"}
    if "required" in request.node.name:
        return {"REQUIRE_TWO_FACTOR": True}
    return {}


def test_code_guessing_is_rate_limited_per_account(client, make_client, db):
    UserFactory(email="ana@example.org")
    client.login("ana@example.org")
    secret, _codes = _set_up(client)
    client.logout()
    guesser = make_client()  # a browser that never completed a sign-in to the account
    _password_step(guesser)
    for guess in ("000001", "000002", "000003"):
        assert _code_step(guesser, guess).status_code == 400
    # Even the right code waits now, from this browser or any other unknown one.
    assert _code_step(guesser, pyotp.TOTP(secret).now()).status_code == 429
    other = make_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    _password_step(other)
    assert _code_step(other, pyotp.TOTP(secret).now()).status_code == 429


def test_rate_a_stranger_who_knows_the_password_cannot_lock_the_owner_out(client, make_client, db):
    """Whoever knows the password uses up the code attempts of unknown browsers only: the
    owner's own browser, where she has signed in before, still completes the second step."""
    UserFactory(email="ana@example.org")
    client.login("ana@example.org")
    secret, codes = _set_up(client)
    client.logout()
    _password_step(client)
    assert _code_step(client, pyotp.TOTP(secret).now()).status_code == 302  # a known device now
    client.logout()
    stranger = make_client()
    stranger.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    for guess in ("000001", "000002", "000003"):
        _password_step(stranger)
        assert _code_step(stranger, guess).status_code == 400
    _password_step(stranger)
    assert _code_step(stranger, pyotp.TOTP(secret).now()).status_code == 429
    # The owner, on her own phone, is not locked out by the stranger's guesses (a recovery
    # code: the current one was used already).
    _password_step(client)
    assert _code_step(client, codes[0]).status_code == 302
    # A forged device cookie is only an unknown browser.
    forger = make_client()
    forger.set_cookie("known_device", "eyJmb3JnZWQiOnRydWV9.forged.sig")
    _password_step(forger)
    assert _code_step(forger, codes[1]).status_code == 429


def test_organizers_are_required_to_set_it_up_before_attendee_data(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="ana@example.org")
    plain = UserFactory(email="plain@example.org")
    client.login("ana@example.org")
    for path in ("/", f"/orgs/{org.slug}/events", "/account"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/account/two-factor" in response.headers["Location"]
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "needs a second step" in page
    assert "Turn two-step sign-in off" not in page
    _set_up(client)
    assert client.get(f"/orgs/{org.slug}/events").status_code == 200
    # An organizer cannot turn it off while it is required.
    response = client.submit(
        "/account/two-factor",
        {"form_name": "disable", "pw-password": PASSWORD},
        page="/account/two-factor",
    )
    assert db.session.get(User, 1).has_two_factor
    assert response.status_code == 200
    # A plain member is not asked.
    client.logout()
    client.login(plain.email)
    assert client.get("/account").status_code == 200


def test_an_admin_resets_a_lost_second_factor_and_it_is_audited(client, make_client, db):
    admin = UserFactory(email="admin@example.org", is_admin=True)
    ana = UserFactory(email="ana@example.org")
    phone = make_client()
    phone.login("ana@example.org")
    _set_up(phone)
    client.login("admin@example.org")
    response = client.submit(f"/admin/users/{ana.id}/reset-two-factor", page="/admin/users")
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, ana.id).has_two_factor
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    event = db.session.scalars(sa.select(AccountEvent)).one()
    assert (event.user_id, event.actor_id, event.action) == (ana.id, admin.id, "two_factor_reset")
    assert phone.get("/account").status_code == 302  # her sessions ended too
    phone.login("ana@example.org")
    assert "reset your two-step sign-in" in phone.get("/account").get_data(as_text=True)
    phone.logout()
    # Someone who is not an admin cannot.
    assert phone.login("ana@example.org").status_code == 302
    assert phone.submit(f"/admin/users/{admin.id}/reset-two-factor").status_code == 403


def test_a_half_signed_in_session_expires(app, client, db):
    UserFactory(email="ana@example.org")
    client.login("ana@example.org")
    _set_up(client)
    client.logout()
    app.config["TWO_FACTOR_PENDING_SECONDS"] = -1  # the code comes too late
    _password_step(client)
    response = client.get("/login/two-factor")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/account").status_code == 302
