"""Rate limits that hold behind a proxy, and per account whatever the address."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def app_overrides():
    return {
        "RATELIMIT_ENABLED": True,
        "TRUSTED_PROXIES": 1,
        "LOGIN_ACCOUNT_LIMIT": "3 per 15 minutes",
        "RATELIMIT_KEY_PREFIX": "instance-a",
    }


def _from(client, address: str):
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"  # the reverse proxy
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


def _login(client, email, password):
    return client.submit("/login", {"email": email, "password": password}, page="/login")


def test_sign_in_is_throttled_per_account_across_addresses(make_client, db):
    UserFactory(email="ana@example.org")
    for n in range(3):
        attacker = _from(make_client(), f"203.0.113.{n}")
        assert _login(attacker, "ana@example.org", f"guess number {n}").status_code == 400
    # The fourth try is refused, from a new address, even with the right password...
    late = _login(_from(make_client(), "203.0.113.99"), "ana@example.org", PASSWORD)
    assert late.status_code == 429
    assert "Too many attempts for this account" in late.get_data(as_text=True)
    # ...and an unknown account is answered the same way (no enumeration).
    for n in range(3):
        _login(_from(make_client(), f"198.51.100.{n}"), "ghost@example.org", f"guess {n}")
    ghost = _login(_from(make_client(), "198.51.100.99"), "ghost@example.org", "guess")
    assert ghost.status_code == 429
    # Other accounts are not affected.
    UserFactory(email="bea@example.org")
    assert _login(
        _from(make_client(), "203.0.113.50"), "bea@example.org", PASSWORD
    ).status_code == (302)


def test_behind_a_proxy_each_client_has_its_own_bucket(make_client, db):
    """Finding 4: behind a proxy every client had the proxy's address, so one bucket for all."""
    noisy = _from(make_client(), "203.0.113.7")
    statuses = [
        noisy.submit("/password/forgot", {"email": "a@example.org"}).status_code for _ in range(11)
    ]
    assert statuses[-1] == 429
    quiet = _from(make_client(), "198.51.100.8")
    assert quiet.submit("/password/forgot", {"email": "b@example.org"}).status_code == 302


def test_per_account_counters_live_under_the_key_prefix(app, make_client, db):
    """Two instances sharing one Redis keep apart by RATELIMIT_KEY_PREFIX: the per-account
    counters too, not only the per-address ones."""
    from coalition.extensions import limiter

    for n in range(2):
        _login(_from(make_client(), f"203.0.113.{n}"), "ana@example.org", f"guess {n}")
    keys = list(limiter.limiter.storage.storage)
    assert any("/login/" in key for key in keys)
    assert all(key.startswith("LIMITER/instance-a/") for key in keys), keys


def test_the_owners_browser_still_signs_in_while_strangers_are_locked_out(make_client, db):
    UserFactory(email="ana@example.org")
    owner = make_client()
    owner.login("ana@example.org")  # her laptop: a known device from now on
    owner.logout()
    cookie = owner.get_cookie("known_device")
    assert cookie.http_only and cookie.expires is not None  # kept after the browser closes
    payload = base64.urlsafe_b64decode(cookie.value.split(".")[0] + "==")
    # Signed, not encrypted: it names the account by a key only the app can compute.
    assert b"ana" not in payload
    assert hashlib.sha256(b"ana@example.org").hexdigest()[:32].encode() not in payload
    for n in range(4):
        _login(_from(make_client(), f"203.0.113.{n}"), "ana@example.org", f"guess {n}")
    stranger = _login(_from(make_client(), "203.0.113.99"), "ana@example.org", PASSWORD)
    assert stranger.status_code == 429
    assert _login(owner, "ana@example.org", PASSWORD).status_code == 302
