"""Password reset by an emailed, expiring, single-use signed link, delivered over real SMTP."""

import re

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from coalition.mail.models import OutgoingEmail
from tests.factories import PASSWORD, UserFactory

LINK = re.compile(r"http://localhost/password/reset/\S+")


def _request_reset(client, email):
    return client.submit("/password/forgot", {"email": email}, page="/password/forgot")


def _reset_link(smtp) -> str:
    assert len(smtp.messages) == 1
    _recipients, message = smtp.messages[0]
    text = message.get_body(preferencelist=("plain",)).get_content()
    return LINK.search(text).group(0).removeprefix("http://localhost")


def test_reset_flow_over_smtp(client, smtp, deliver):
    UserFactory(email="ana@example.org", language="es")
    response = _request_reset(client, "ana@example.org")
    assert response.status_code == 302
    assert smtp.messages == []  # queued, not sent inside the request
    report = deliver()
    assert report.sent == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["ana@example.org"]
    assert message.get_body(preferencelist=("html",)) is not None
    link = _reset_link(smtp)

    assert client.get(link).status_code == 200
    new = "brand new passphrase"
    response = client.submit(link, {"password": new, "confirm": new}, page=link)
    assert response.status_code == 302
    client.login("ana@example.org", new)

    # Single use: the same link no longer works.
    client.logout()
    reused = client.get(link)
    assert reused.status_code == 400
    assert "not valid or has been used" in reused.get_data(as_text=True)


def test_unknown_address_gets_the_same_answer_and_the_same_work(client, db):
    """Finding 5: a known address queued a message and an unknown one did not (timing)."""
    UserFactory(email="ana@example.org")
    known = _request_reset(client, "ana@example.org")
    unknown = _request_reset(client, "nobody@example.org")
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    messages = db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
    assert [m.recipient for m in messages] == ["ana@example.org", "nobody@example.org"]
    assert "/password/reset/" in messages[0].body_text
    assert "/password/reset/" not in messages[1].body_text
    assert "no account uses it" in messages[1].body_text


def test_tampered_link_is_refused(client, smtp, deliver):
    UserFactory(email="ana@example.org")
    _request_reset(client, "ana@example.org")
    deliver()
    link = _reset_link(smtp)
    response = client.get(link[:-3] + "abc")
    assert response.status_code == 400


def test_expired_link_is_refused(app, client, smtp, deliver):
    UserFactory(email="ana@example.org")
    _request_reset(client, "ana@example.org")
    deliver()
    link = _reset_link(smtp)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    response = client.submit(link, {"password": "x" * 12, "confirm": "x" * 12}, page="/")
    assert response.status_code == 400
    client.login("ana@example.org", PASSWORD)


def test_reset_email_is_in_the_account_language(client, smtp, deliver):
    UserFactory(email="ana@example.org", language="es")
    _request_reset(client, "ana@example.org")
    deliver()
    _recipients, message = smtp.messages[0]
    with force_locale("es"):
        expected = gettext("Reset your password")
    assert expected != "Reset your password"
    assert message["Subject"] == expected
