"""The app factory, configuration and health check."""

from datetime import UTC, datetime, timedelta

import pytest

from coalition import create_app
from coalition.mail.models import Channel, OutgoingEmail
from coalition.mail.operations import oldest_due_seconds


def test_healthz_answers_200_with_the_database_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "off", "outbox": "ok",
                             "outbox_seconds": 0}  # fmt: skip
    assert response.headers["Cache-Control"] == "no-store"


def _queued(db, due: datetime, channel=Channel.email):
    db.session.add(OutgoingEmail(kind="test", recipient="a@example.org", subject="Hello",
                                 body_text="Hi", channel=channel, next_attempt_at=due))  # fmt: skip
    db.session.commit()


def test_healthz_is_degraded_while_a_due_message_waits_too_long(client, db):
    """The worker is down (or a channel paused): the site works, but mail and texts wait."""
    _queued(db, datetime(2100, 1, 1, tzinfo=UTC))  # not due yet: not waiting
    assert client.get("/healthz").json["status"] == "ok"
    _queued(db, datetime(2026, 1, 1, tzinfo=UTC), channel=Channel.sms)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "degraded" and response.json["outbox"] == "late"
    assert response.json["database"] == "ok"


def test_the_outbox_age_is_that_of_the_oldest_due_message(db):
    now = datetime(2027, 3, 4, 12, 0, tzinfo=UTC)
    assert oldest_due_seconds(now) == 0
    _queued(db, now - timedelta(seconds=90))
    _queued(db, now - timedelta(seconds=30), channel=Channel.sms)
    _queued(db, now + timedelta(hours=1))  # a retry later, or quiet hours
    assert oldest_due_seconds(now) == 90


def test_healthz_answers_503_when_the_database_is_down():
    app = create_app(
        {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "down", "database": "down"}


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"CONFIG_NAME": "production", "SECRET_KEY": None})


def test_postgres_urls_use_the_psycopg_driver():
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "postgres://u@h:5432/d"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h:5432/d"


def test_every_view_declares_an_access_rule(app):
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "access_rule")
    ]
    assert missing == []


def test_unknown_page_is_a_404_page_in_the_visitors_language(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "es"})
    assert response.status_code == 404
    assert 'lang="es"' in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404
