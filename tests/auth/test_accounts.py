"""Registering, signing in and out, the profile."""

import re

import sqlalchemy as sa

from coalition.auth.models import User
from coalition.mail.models import OutgoingEmail
from tests.factories import PASSWORD, UserFactory


def _register(client, **fields):
    data = {
        "name": "Lucía",
        "email": "lucia@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "language": "es",
    }
    data.update(fields)
    return client.submit("/register", data, page="/register")


def _confirm_link(db) -> str:
    message = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "confirm_account")
    ).one()
    return re.search(r"http://localhost(/register/confirm/\S+)", message.body_text).group(1)


def test_register_emails_a_link_that_creates_the_account_and_signs_in(client, db):
    response = _register(client)
    assert response.status_code == 302
    assert db.session.scalar(sa.select(User)) is None  # nothing until the address is confirmed
    link = _confirm_link(db)
    assert client.get(link).status_code == 200  # a page with a button: GET changes nothing
    assert db.session.scalar(sa.select(User)) is None
    response = client.submit(link, {}, page=link)
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User))
    assert user.email == "lucia@example.org"
    assert user.language == "es"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    page = client.get("/account").get_data(as_text=True)
    assert "lucia@example.org" in page
    client.logout()
    assert client.submit(link, {}, page=link).status_code == 400  # the link works once


def test_registering_a_known_email_answers_like_a_new_one_and_tells_the_owner(client, db):
    """Finding 5: "An account with this email exists already" told anyone who has an account."""
    UserFactory(email="lucia@example.org")
    known = _register(client, email="Lucia@Example.org")
    fresh = _register(client, email="nueva@example.org")
    assert known.status_code == fresh.status_code == 302
    assert known.headers["Location"] == fresh.headers["Location"]
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    assert "exists already" not in known_page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    messages = db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
    assert [(m.recipient, m.kind) for m in messages] == [
        ("lucia@example.org", "account_exists"),
        ("nueva@example.org", "confirm_account"),
    ]


def test_short_password_and_mismatched_confirmation_are_shown_next_to_the_fields(client, db):
    response = _register(client, password="short", confirm="other")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="password-error"' in body
    assert 'id="confirm-error"' in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_over_long_name_is_refused(client, db):
    response = _register(client, name="x" * 121)
    assert response.status_code == 400
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_login_with_a_wrong_password_fails_without_saying_which_part(client):
    UserFactory(email="ana@example.org")
    response = client.submit(
        "/login", {"email": "ana@example.org", "password": "wrong password!"}, page="/login"
    )
    assert response.status_code == 400
    assert "do not match an account" in response.get_data(as_text=True)
    unknown = client.submit(
        "/login", {"email": "nobody@example.org", "password": "wrong password!"}, page="/login"
    )
    assert "do not match an account" in unknown.get_data(as_text=True)


def test_login_logout_and_remember_me(client):
    UserFactory(email="ana@example.org")
    response = client.submit(
        "/login",
        {"email": "ANA@example.org", "password": PASSWORD, "remember": "y"},
        page="/login",
    )
    assert response.status_code == 302
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in h for h in response.headers.getlist("Set-Cookie")
    )
    assert client.get("/account").status_code == 200
    client.logout()
    assert client.get("/account").status_code == 302


def test_disabled_account_cannot_sign_in(client):
    UserFactory(email="ana@example.org", is_disabled=True)
    response = client.submit(
        "/login", {"email": "ana@example.org", "password": PASSWORD}, page="/login"
    )
    assert response.status_code == 400


def test_login_redirects_only_to_this_site(client):
    UserFactory(email="ana@example.org")
    token = client.csrf_token("/login")
    response = client.post(
        "/login?next=https://evil.example.com/",
        data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
    client.logout()
    token = client.csrf_token("/login")
    response = client.post(
        "/login?next=/orgs",
        data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/orgs")


def test_profile_changes_name_language_and_password(client, db):
    user = UserFactory(email="ana@example.org")
    client.login("ana@example.org")
    response = client.submit(
        "/account",
        {"form_name": "profile", "profile-name": "Ana María", "profile-language": "es"},
        page="/account",
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.language) == ("Ana María", "es")
    wrong = client.submit(
        "/account",
        {
            "form_name": "password",
            "pw-current": "not it at all",
            "pw-password": "a new passphrase",
            "pw-confirm": "a new passphrase",
        },
        page="/account",
    )
    assert wrong.status_code == 400
    ok = client.submit(
        "/account",
        {
            "form_name": "password",
            "pw-current": PASSWORD,
            "pw-password": "a new passphrase",
            "pw-confirm": "a new passphrase",
        },
        page="/account",
    )
    assert ok.status_code == 302
    client.logout()
    client.login("ana@example.org", "a new passphrase")


def test_forged_csrf_token_is_refused_and_nothing_is_written(client, db):
    response = client.post(
        "/register",
        data={
            "name": "Eve",
            "email": "eve@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "language": "en",
            "csrf_token": "forged",
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
