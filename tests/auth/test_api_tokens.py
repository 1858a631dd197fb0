"""Personal API tokens: a coalition admin makes one on the account page, sees it once, and a
program reads the reports API with it until it is revoked, expires, or the account signs out
everywhere. Only its hash is stored; it opens nothing but the reports API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from coalition.auth.models import ApiToken
from tests.factories import UserFactory

NOW = datetime(2027, 1, 10, 12, tzinfo=UTC)
TOKEN = re.compile(r'id="new-api-token">(coal_[A-Za-z0-9_-]+)<')


def _make_token(client, name="Funders' dashboard", days="90") -> str:
    page = client.submit("/account/api-tokens", {"token-name": name, "token-days": days},
                         page="/account")  # fmt: skip
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_reads_the_reports_api_and_is_shown_once(client, make_client, db):
    admin = UserFactory(is_admin=True)
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        client.login(admin.email)
        secret = _make_token(client)
        again = client.get("/account").get_data(as_text=True)
        program = make_client()
        answer = program.get("/api/v1/reports/coalition", headers=_bearer(secret))
        refused = program.get("/api/v1/reports/coalition", headers=_bearer(secret + "x"))
        anonymous = program.get("/api/v1/reports/coalition")
        # Nothing but the reports API: the admin pages still want a signed-in session.
        admin_page = program.get("/admin/reports", headers=_bearer(secret))
    assert secret not in again and "Funders&#39; dashboard" in again and secret[:9] in again
    assert answer.status_code == 200 and "totals" in answer.get_json()
    assert refused.status_code == anonymous.status_code == 401
    assert admin_page.status_code == 302 and "/login" in admin_page.headers["Location"]
    row = db.session.scalar(sa.select(ApiToken))
    stored = repr([getattr(row, c.name) for c in ApiToken.__table__.columns])
    assert secret not in stored and row.last_used_at is not None


def test_a_token_stops_working_when_revoked_expired_or_signed_out(client, make_client, db):
    admin = UserFactory(is_admin=True)
    db.session.commit()
    program = make_client()
    url = "/api/v1/reports/coalition"
    with time_machine.travel(NOW, tick=False):
        client.login(admin.email)
        revoked = _make_token(client, "revoked")
        expiring = _make_token(client, "monthly", days="30")
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "revoked"))
        client.submit(f"/account/api-tokens/{row.id}/revoke", page="/account")
        assert program.get(url, headers=_bearer(revoked)).status_code == 401
        assert program.get(url, headers=_bearer(expiring)).status_code == 200
    with time_machine.travel(NOW + timedelta(days=31), tick=False):
        assert program.get(url, headers=_bearer(expiring)).status_code == 401
        lasting = _make_token(client, "lasting", days="365")
        assert program.get(url, headers=_bearer(lasting)).status_code == 200
        client.submit("/account/sign-out-everywhere", page="/account")
        assert program.get(url, headers=_bearer(lasting)).status_code == 401


def test_only_admins_make_tokens_and_a_members_token_would_open_nothing(client, db):
    member = UserFactory()
    db.session.commit()
    client.login(member.email)
    assert "API tokens" not in client.get("/account").get_data(as_text=True)
    made = client.submit("/account/api-tokens", {"token-name": "x", "token-days": "30"},
                         page="/account")  # fmt: skip
    assert made.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_a_token_without_a_name_is_refused_in_the_users_language(client, db):
    admin = UserFactory(is_admin=True, language="es")
    db.session.commit()
    client.login(admin.email)
    page = client.submit("/account/api-tokens", {"token-name": " ", "token-days": "30"},
                         page="/account", headers={"Accept-Language": "es"})  # fmt: skip
    assert page.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
