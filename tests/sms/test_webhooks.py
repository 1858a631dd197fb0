"""Twilio webhooks: signed requests only; STOP, START and HELP in English and Spanish."""

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from coalition.mail.delivery import deliver_due
from coalition.mail.models import EmailStatus, OutgoingEmail
from coalition.sms import numbers
from coalition.sms.operations import queue_sms
from tests.sms.fake_provider import AUTH_TOKEN

ANA = "+16175550101"


def _signed_post(client, path, form, token=AUTH_TOKEN):
    signature = RequestValidator(token).compute_signature(f"http://localhost{path}", form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def _reply(client, body, phone=ANA):
    return _signed_post(client, "/sms/inbound", {"From": phone, "To": "+16175550000", "Body": body})


def _queue(db, to=ANA):
    row = queue_sms(to=to, kind="test", template="test", locale="en", text="Rally at 6")
    db.session.commit()
    return row


def test_unsigned_or_wrongly_signed_requests_are_refused(client, db):
    form = {"From": ANA, "Body": "STOP"}
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
