"""Twilio webhooks: signed requests only, each acting once; STOP, START and HELP in English and
Spanish, answered a few times per number at most."""

import threading
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa
import time_machine
from twilio.request_validator import RequestValidator

from coalition.erasure import purge_expired
from coalition.extensions import db as database
from coalition.mail.delivery import deliver_due
from coalition.mail.models import EmailStatus, OutgoingEmail
from coalition.sms import numbers
from coalition.sms.models import WebhookReceipt
from coalition.sms.operations import queue_sms
from coalition.sms.replies import RECEIPT_DAYS, first_time
from tests.sms.fake_provider import AUTH_TOKEN

ANA = "+16175550101"


def _signed_post(client, path, form, token=AUTH_TOKEN):
    signature = RequestValidator(token).compute_signature(f"http://localhost{path}", form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def _reply(client, body, phone=ANA, sid=None):
    form = {"From": phone, "To": "+16175550000", "Body": body, "MessageSid": sid or _sid()}
    return _signed_post(client, "/sms/inbound", form)


def _sid() -> str:
    return f"SM{uuid4().hex}"


def _queue(db, to=ANA):
    row = queue_sms(to=to, kind="test", template="test", locale="en", text="Rally at 6")
    db.session.commit()
    return row


def test_unsigned_or_wrongly_signed_requests_are_refused(client, db):
    form = {"From": ANA, "Body": "STOP", "MessageSid": _sid()}
    assert client.post("/sms/inbound", data=form).status_code == 403
    assert _signed_post(client, "/sms/inbound", form, token="not-our-token").status_code == 403
    forged = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
    assert client.post("/sms/status", data={"MessageSid": "SM1"}, headers=forged).status_code == 403
    assert numbers.can_text(ANA)  # nothing was recorded


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("STOP", "no more texts"),
        ("stop please", "no more texts"),
        ("Unsubscribe", "no more texts"),
        ("STOPALL", "no more texts"),
        ("CANCEL", "no more texts"),
        ("END", "no more texts"),
        ("QUIT", "no more texts"),
        ("Parar", "no recibirá más mensajes"),
        ("ALTO", "no recibirá más mensajes"),
    ],
)
def test_stop_words_stop_every_later_text(client, db, provider, word, expected):
    response = _reply(client, word)
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)
    assert not numbers.can_text(ANA)
    assert _queue(db) is None  # honoured by every later send
    assert provider.requests == []


def test_start_resumes_and_a_text_queued_before_stop_is_not_sent(client, db, provider):
    _queue(db)
    _reply(client, "STOP")
    report = deliver_due()
    assert report.suppressed == 1 and provider.requests == []
    response = _reply(client, "START")
    assert "texts are on again" in response.get_data(as_text=True)
    assert numbers.can_text(ANA)
    _queue(db)
    assert deliver_due().sent == 1


@pytest.mark.parametrize(
    ("word", "expected"), [("HELP", "Reply STOP"), ("ayuda", "Responda PARAR")]
)
def test_help_says_who_we_are_and_how_to_stop(client, app, word, expected):
    text = _reply(client, word).get_data(as_text=True)
    assert app.config["COALITION_NAME"] in text
    assert expected in text
    assert numbers.can_text(ANA)


def test_other_replies_get_no_answer(client):
    text = _reply(client, "See you there!").get_data(as_text=True)
    assert "<Message>" not in text


def test_delivery_reports_are_recorded_and_undeliverable_numbers_remembered(client, db, provider):
    _queue(db)
    _queue(db, "+16175550102")
    deliver_due()
    first, second = db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id))
    status = {"MessageSid": first.provider_id, "MessageStatus": "delivered", "To": ANA}
    assert _signed_post(client, "/sms/status", status).status_code == 204
    undelivered = {
        "MessageSid": second.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
        "To": "+16175550102",
    }
    assert _signed_post(client, "/sms/status", undelivered).status_code == 204
    db.session.expire_all()
    assert (first.delivery_status, second.delivery_status) == ("delivered", "undelivered")
    assert second.delivery_error == "30003" and second.status == EmailStatus.sent
    assert numbers.unreachable([ANA, "+16175550102"]) == {"+16175550102"}


def test_a_replayed_reply_changes_nothing_and_is_not_answered(client, db, provider):
    """Twilio's signature carries no time: a captured, validly signed START sent again after the
    person's STOP must not turn their texts back on, nor cost a second answer."""
    start_sid = _sid()
    assert "texts are on again" in _reply(client, "START", sid=start_sid).get_data(as_text=True)
    _reply(client, "STOP")
    assert not numbers.can_text(ANA)
    replay = _reply(client, "START", sid=start_sid)
    assert replay.status_code == 200
    assert "<Message>" not in replay.get_data(as_text=True)
    assert not numbers.can_text(ANA)
    help_sid = _sid()
    assert "<Message>" in _reply(client, "HELP", sid=help_sid).get_data(as_text=True)
    assert "<Message>" not in _reply(client, "HELP", sid=help_sid).get_data(as_text=True)
    # A request without the provider's message id is not one of the provider's.
    without_sid = {"From": ANA, "To": "+16175550000", "Body": "START"}
    assert _signed_post(client, "/sms/inbound", without_sid).status_code == 400
    assert not numbers.can_text(ANA)


def test_a_replayed_delivery_report_changes_nothing(client, db, provider):
    _queue(db)
    deliver_due()
    row = db.session.scalars(sa.select(OutgoingEmail)).one()
    failed = {"MessageSid": row.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    delivered = {"MessageSid": row.provider_id, "MessageStatus": "delivered"}
    assert _signed_post(client, "/sms/status", failed).status_code == 204
    assert _signed_post(client, "/sms/status", delivered).status_code == 204
    assert numbers.can_text(ANA)
    # The old "undelivered" report, sent again, does not mark the number undeliverable again.
    assert _signed_post(client, "/sms/status", failed).status_code == 204
    db.session.expire_all()
    assert row.delivery_status == "delivered"
    assert numbers.unreachable([ANA]) == set()


def test_receipts_are_purged_and_a_report_older_than_them_changes_nothing(client, db, provider):
    """The receipts do not grow forever (the daily retention purge forgets them after
    RECEIPT_DAYS); a report about a text sent before that, which would no longer be recognized
    as a replay, is ignored whatever its id."""
    sent_at = datetime(2027, 1, 10, 15, 0, tzinfo=UTC)
    with time_machine.travel(sent_at, tick=False):
        _queue(db)
        deliver_due()
        row = db.session.scalars(sa.select(OutgoingEmail)).one()
        delivered = {"MessageSid": row.provider_id, "MessageStatus": "delivered"}
        assert _signed_post(client, "/sms/status", delivered).status_code == 204
        _reply(client, "HELP")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookReceipt)) == 2
    later = sent_at + timedelta(days=RECEIPT_DAYS + 1)
    with time_machine.travel(later, tick=False):
        _reply(client, "HELP")  # a recent one, kept
        purge_expired()
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookReceipt)) == 1
        failed = {"MessageSid": row.provider_id, "MessageStatus": "undelivered"}
        assert _signed_post(client, "/sms/status", failed).status_code == 204
    db.session.expire_all()
    assert row.delivery_status == "delivered"
    assert numbers.unreachable([ANA]) == set()


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_ENABLED": True}], indirect=True)
def test_help_is_answered_a_few_times_an_hour_at_most(client, db, provider):
    """Each answer is a text we pay for: a phone sending HELP in a loop gets three answers an
    hour (SMS_AUTO_REPLY_LIMIT); a STOP after them is still honoured, unanswered."""
    answered = [("<Message>" in _reply(client, "HELP").get_data(as_text=True)) for _ in range(5)]
    assert answered == [True, True, True, False, False]
    stop = _reply(client, "STOP")
    assert stop.status_code == 200 and "<Message>" not in stop.get_data(as_text=True)
    assert not numbers.can_text(ANA)
    # Another number has its own answers.
    other = _reply(client, "HELP", phone="+16175550102").get_data(as_text=True)
    assert "<Message>" in other


def test_a_replay_racing_the_original_acts_once(pg_app, db):
    """Sent twice at once (a replay racing the original, or the provider's retry), a request
    acts once: the second waits for the first's receipt and then finds it taken."""
    seen = {}

    def second():
        with pg_app.app_context():
            seen["second"] = first_time("SMraced")
            database.session.commit()

    with pg_app.app_context():
        assert first_time("SMraced")  # the original, not committed yet
        thread = threading.Thread(target=second)
        thread.start()
        with database.engine.connect() as watcher:
            for _ in range(200):  # until the second waits on the first's row
                waiting = watcher.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND datname = current_database()"
                    )
                )
                if waiting or not thread.is_alive():
                    break
                time.sleep(0.05)
        database.session.commit()
        thread.join(timeout=30)
    assert seen == {"second": False}
