"""GET /metrics: off unless configured, refused without the token, figures that follow what is
stored and what happened, and never a secret or a person (issue 24)."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
import time_machine

from coalition import create_app
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.delivery import deliver_due
from coalition.mail.models import Channel, ChannelState, OutgoingEmail
from coalition.mail.operations import queue_email
from coalition.metrics.stored import QUERIES
from coalition.rapid import operations as rapid_ops
from coalition.sms.operations import queue_sms
from tests.factories import link_sent_to, make_event
from tests.metrics.conftest import PRICE, TOKEN
from tests.rapid.conftest import add_responder, alert_input, phone


def _queue_emails(*recipients):
    for to in recipients:
        queue_email(
            to=to, kind="test", subject="Hello", template="auth/password_reset", locale="en",
            user=type("U", (), {"name": "Ana"})(), reset_url="http://localhost/x", hours=2,
        )  # fmt: skip
    db.session.commit()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Who may read it ------------------------------------------------------------------------------


@pytest.mark.parametrize("app_overrides", [{}], indirect=False)
def test_without_a_token_or_an_allow_list_there_is_no_metrics_page(client):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert b"coalition_" not in response.data


def test_the_token_is_required_and_a_refusal_carries_no_figure(client, scrape):
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    for header in (f"Bearer {TOKEN}x", "Bearer " + TOKEN[:-1], f"Basic {TOKEN}", "Bearer"):
        response = client.get("/metrics", headers={"Authorization": header})
        assert response.status_code in (401, 403), header
        assert b"coalition_" not in response.data
        assert response.headers["Cache-Control"] == "no-store"
    good = client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert good.status_code == 200 and good.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in good.headers
    assert scrape().value("coalition_database_up") == 1


@pytest.mark.parametrize(
    "app_overrides", [{"METRICS_ALLOW": "10.1.2.0/24, 192.0.2.7"}], indirect=False
)
def test_an_allow_list_alone_lets_in_its_addresses_only(client):
    assert client.get("/metrics").status_code == 403  # from 127.0.0.1
    for address in ("10.1.2.9", "192.0.2.7"):
        response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200 and b"coalition_outbox_queued" in response.data
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 403


@pytest.mark.parametrize(
    "app_overrides", [{"METRICS_ALLOW": "10.1.2.0/24", "METRICS_TOKEN": TOKEN}], indirect=False
)
def test_with_both_the_address_and_the_token_are_needed(client):
    inside = {"REMOTE_ADDR": "10.1.2.9"}
    assert client.get("/metrics", environ_base=inside).status_code == 401
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", headers=headers).status_code == 403
    assert client.get("/metrics", headers=headers, environ_base=inside).status_code == 200


def test_a_short_token_or_several_workers_without_a_shared_folder_refuse_to_start(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with pytest.raises(RuntimeError, match="METRICS_TOKEN"):
        create_app({"CONFIG_NAME": "testing", "METRICS_TOKEN": "short"})
    with pytest.raises(RuntimeError, match="METRICS_ALLOW"):
        create_app({"CONFIG_NAME": "testing", "METRICS_ALLOW": "10.0.0.300"})
    with pytest.raises(RuntimeError, match="PROMETHEUS_MULTIPROC_DIR"):
        create_app(
            {"CONFIG_NAME": "testing", "ENV_NAME": "production", "WEB_CONCURRENCY": 3,
             "METRICS_TOKEN": TOKEN}
        )  # fmt: skip


# What is stored -------------------------------------------------------------------------------


def test_the_outbox_depth_and_age_follow_the_queue_and_sending_moves_the_counter(db, scrape, smtp):
    before = scrape()
    sent = before.value("coalition_outbox_messages_total", channel="email", status="sent")
    assert before.value("coalition_outbox_queued", channel="email") == 0
    _queue_emails("a@example.org", "b@example.org", "c@example.org")
    now = scrape()
    assert now.value("coalition_outbox_queued", channel="email", priority="routine") == 3
    assert now.value("coalition_outbox_due", channel="email", priority="routine") == 3
    with time_machine.travel(utcnow() + timedelta(minutes=5), tick=False):
        later = scrape()
        age = later.value("coalition_outbox_oldest_due_seconds", channel="email")
        assert 299 <= age <= 302
        assert deliver_due().sent == 3
        after = scrape()
    assert after.value("coalition_outbox_queued", channel="email") == 0
    assert after.value("coalition_outbox_oldest_due_seconds", channel="email") == 0
    assert (
        after.value("coalition_outbox_messages_total", channel="email", status="sent") == sent + 3
    )
    assert after.value("coalition_outbox_messages_total", channel="email", status="failed") == 0


def test_totals_stay_right_as_counted_rows_settle_and_a_late_row_is_counted_when_it_goes(
    db, scrape, smtp
):
    sent = {"channel": "email", "status": "sent"}
    start = utcnow()
    _queue_emails("a@example.org", "b@example.org")
    assert deliver_due().sent == 2
    _queue_emails("held@example.org")
    held = db.session.query(OutgoingEmail).order_by(OutgoingEmail.id.desc()).first()
    held.next_attempt_at = start + timedelta(hours=3)  # waits (a backoff, quiet hours)
    db.session.commit()
    assert scrape().value("coalition_outbox_messages_total", **sent) == 2
    # Hours later the sent rows are counted once and kept; the held one is still queued.
    for hours in (2, 3):
        with time_machine.travel(start + timedelta(hours=hours, minutes=1), tick=False):
            if hours == 3:
                assert deliver_due().sent == 1
            result = scrape()
            assert result.value("coalition_outbox_messages_total", **sent) == hours
            assert result.value("coalition_outbox_queued", channel="email") == 3 - hours
    with time_machine.travel(start + timedelta(hours=6), tick=False):
        _queue_emails("c@example.org")
        assert deliver_due().sent == 1
        assert scrape().value("coalition_outbox_messages_total", **sent) == 4
        assert scrape().value("coalition_outbox_messages_total", **sent) == 4


def test_a_paused_channel_shows_its_state_and_how_long_it_has_been_down(app, db, scrape, smtp):
    assert scrape().value("coalition_channel_state", channel="email", state="ok") == 1
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()
    _queue_emails("a@example.org")
    deliver_due()
    paused = scrape()
    assert paused.value("coalition_channel_state", channel="email", state="down") == 1
    assert paused.value("coalition_channel_state", channel="email", state="ok") == 0
    assert paused.value("coalition_channel_state", channel="sms", state="ok") == 1
    assert paused.value("coalition_channel_failures", channel="email") == 1
    with time_machine.travel(utcnow() + timedelta(minutes=6), tick=False):
        assert scrape().value("coalition_channel_down_seconds", channel="email") >= 360
        app.config["MAIL_PORT"] = real_port
        assert deliver_due().sent == 1
        back = scrape()
    assert back.value("coalition_channel_state", channel="email", state="ok") == 1
    assert back.value("coalition_channel_down_seconds", channel="email") == 0
    # A channel held without an outage (the daily cap) is "held", not "down".
    db.session.get(ChannelState, Channel.sms) or db.session.add(ChannelState(channel=Channel.sms))
    db.session.get(ChannelState, Channel.sms).paused_until = utcnow() + timedelta(hours=3)
    db.session.commit()
    assert scrape().value("coalition_channel_state", channel="sms", state="held") == 1


def test_texts_sent_count_their_segments_and_what_they_cost(db, scrape, provider):
    before = scrape()
    segments = before.value("coalition_sms_segments_total")
    spend = before.value("coalition_sms_spend_total")
    # One GSM-7 segment, and a long Portuguese one (UCS-2: "ã" is outside GSM-7) of several.
    queue_sms(to="+16175550101", kind="test", template="test", locale="en", text="Rally at 6")
    queue_sms(
        to="+16175550102", kind="test", template="test", locale="en", text="Manifestação " * 12
    )
    db.session.commit()
    assert scrape().value("coalition_outbox_queued", channel="sms") == 2
    assert deliver_due().sent == 2
    after = scrape()
    billed = after.value("coalition_sms_segments_total") - segments
    assert billed >= 3  # 1 + at least 2
    assert after.value("coalition_sms_spend_total") - spend == pytest.approx(billed * PRICE)
    assert after.value("coalition_outbox_messages_total", channel="sms", status="sent") == 2


def test_an_alert_shows_while_it_goes_out_and_its_time_to_the_last_recipient_stays(
    db, scrape, smtp, provider, org, dispatcher
):
    for n in range(3):
        add_responder(org, phone=phone(n), name=f"R{n}")
    add_responder(org, email="bea@example.org", use_sms=False, name="Bea")
    rapid_ops.open_alert(org, dispatcher, alert_input())
    db.session.commit()
    going = scrape()
    assert going.value("coalition_rapid_alerts_open", drill="false") == 1
    assert going.value("coalition_rapid_alerts_total", drill="false") == 1
    assert going.value("coalition_rapid_alert_latest_waiting", drill="false") == 4
    assert going.value("coalition_outbox_queued", channel="sms", priority="urgent") == 3
    start = utcnow()
    with time_machine.travel(start + timedelta(seconds=40), tick=False):
        waiting = scrape()
        assert 39 <= waiting.value("coalition_rapid_alert_last_recipient_seconds") <= 42
        assert waiting.value("coalition_outbox_oldest_due_seconds", priority="urgent") >= 39
        assert deliver_due().sent == 4
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        done = scrape()
    # The time the last one took, not the time since: it stays until the next alert.
    assert 39 <= done.value("coalition_rapid_alert_last_recipient_seconds", drill="false") <= 42
    assert done.value("coalition_rapid_alert_latest_waiting", drill="false") == 0
    assert done.value("coalition_outbox_messages_total", priority="urgent", status="sent") == 4
    assert not done.has("coalition_rapid_alert_last_recipient_seconds", drill="true")


# What happens in the process ------------------------------------------------------------------


def test_requests_are_timed_by_endpoint_and_no_link_secret_or_contact_appears(client, db, scrape):
    event = make_event(capacity=10)
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    data = {"name": "Lupe Quispe", "email": "lupe.quispe@example.org", "phone": "+16175550199",
            "language": "es", "party_size": "1", "consents_to_reminders": "y"}  # fmt: skip
    assert client.submit(url, data, page=url).status_code in (200, 302)
    manage = link_sent_to("lupe.quispe@example.org")
    count = "coalition_http_request_duration_seconds_count"
    page = {"endpoint": "rsvps.manage", "method": "GET", "status": "2xx"}
    before = scrape().value(count, default=0, **page)
    assert client.get(manage).status_code == 200
    assert client.get(manage + "nope").status_code == 404
    assert client.get("/no/such/page/" + manage.rsplit("/", 1)[1]).status_code == 404
    result = scrape()
    assert result.value(count, **page) == before + 1
    assert result.value(count, endpoint="none", status="4xx") >= 1
    secret = manage.rsplit("/", 1)[1]
    private_words = (secret, "Lupe", "lupe", "Quispe", "5550199", "example.org", "/rsvp/")
    for private in (*private_words, "/events/"):
        assert private not in result.text, private
    # Digits of the phone never stand alone (a float's digits may contain them by chance).
    assert not re.search(r"(?<![\d.])0199(?!\d)", result.text)
    endpoints = {s.labels.get("endpoint") for s in result.samples} - {None}
    assert endpoints <= set(client.application.view_functions) | {"none"}


def test_feed_builds_and_cache_lookups_are_counted(client, db, scrape):
    make_event()
    before = scrape()
    builds = before.value("coalition_feed_builds_total", mode="inline")
    lookups = {
        result: before.value("coalition_cache_lookups_total", cache="feed", result=result)
        for result in ("hit", "miss", "not_modified")
    }
    first = client.get("/calendar.ics")
    client.get("/calendar.ics")
    client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    after = scrape()
    assert after.value("coalition_feed_builds_total", mode="inline") == builds + 1
    assert after.value("coalition_feed_build_duration_seconds_count", mode="inline") >= 1
    for result in ("hit", "miss", "not_modified"):
        delta = after.value("coalition_cache_lookups_total", cache="feed", result=result)
        assert delta - lookups[result] == 1, result


@pytest.mark.parametrize("app_overrides", [{"RENDER_CACHE": True, "METRICS_TOKEN": TOKEN}])
def test_the_render_cache_counts_hits_and_misses(client, db, scrape):
    before = scrape()
    hits = before.value("coalition_cache_lookups_total", cache="page", result="hit")
    misses = before.value("coalition_cache_lookups_total", cache="page", result="miss")
    client.get("/")
    client.get("/")
    after = scrape()
    assert after.value("coalition_cache_lookups_total", cache="page", result="miss") == misses + 1
    assert after.value("coalition_cache_lookups_total", cache="page", result="hit") == hits + 1


# Cost of a scrape -----------------------------------------------------------------------------


def test_a_scrape_runs_the_same_few_queries_however_much_is_stored(
    client, db, queries, smtp, org, dispatcher
):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    client.get("/metrics", headers=headers)  # the first request of an app reads settings etc.
    with queries() as empty:
        assert client.get("/metrics", headers=headers).status_code == 200
    _queue_emails(*[f"p{n}@example.org" for n in range(40)])
    for n in range(5):
        add_responder(org, phone=phone(n), name=f"R{n}")
    for drill in (False, False, True):
        rapid_ops.open_alert(org, dispatcher, alert_input(is_drill=drill))
    db.session.commit()
    deliver_due(limit=10)
    with queries() as full:
        assert client.get("/metrics", headers=headers).status_code == 200
    assert len(full) == len(empty) == QUERIES, full
