"""Twilio's webhooks: replies (`POST /sms/inbound`) and delivery reports (`POST /sms/status`).

Both answer only requests signed by Twilio with our auth token (`X-Twilio-Signature`, checked
with the client's `RequestValidator` against the URL under BASE_URL); anything else is 403.

Twilio's signature carries no time, so a captured request stays valid: each acts once. A reply
is recorded by its MessageSid (required), a delivery report by its MessageSid and state
(`sms_webhook_receipts`, kept RECEIPT_DAYS); a request seen before changes nothing and is
answered with nothing. Automatic answers are capped per number (`replies.may_answer`).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, render_template, request

from coalition import signals
from coalition.access import access, admin, public
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.models import Channel, OutgoingEmail
from coalition.sms import numbers
from coalition.sms.replies import RECEIPT_DAYS, first_time, handle_reply, may_answer
from coalition.urls import external_url
from coalition.validators import normalize_phone

bp = Blueprint("sms", __name__)

#: Delivery states after which nothing more happens.
_UNDELIVERED = {"undelivered", "failed"}


def _check_signature(endpoint: str) -> None:
    from twilio.request_validator import RequestValidator

    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        abort(403)
    validator = RequestValidator(token)
    if not validator.validate(external_url(endpoint), request.form.to_dict(), signature):
        abort(403)


def _recent(row: OutgoingEmail) -> bool:
    """A report about a text sent within RECEIPT_DAYS: older ones (whose receipts are purged,
    so a replay would not be recognized) change nothing."""
    sent = row.sent_at or row.created_at
    return sent is None or sent >= utcnow() - timedelta(days=RECEIPT_DAYS)


@bp.route("/sms/inbound", methods=["POST"])
@access(public)  # the provider's signature is the check, in the view
def inbound():
    """A reply from a phone: STOP/START/HELP are honoured and answered."""
    from twilio.twiml.messaging_response import MessagingResponse

    _check_signature("sms.inbound")
    sid = request.form.get("MessageSid", "")[:60]
    if not sid:
        abort(400)
    phone = normalize_phone(request.form.get("From", ""))
    answer = MessagingResponse()
    if phone and first_time(sid):
        body = request.form.get("Body", "")
        # A feature may take the text as its own answer (1/SI/YES or 2/NO from a phone with an
        # open rapid-response alert answers that alert).
        taken = signals.answers(signals.text_received, phone, body=body)
        text, about = (taken[0] if taken else None), "alert"
        if text is None:
            text, about = handle_reply(phone, body), "keyword"
        # What was asked is recorded above whatever the cap: a STOP always stops the texts.
        if text and may_answer(phone, about):
            answer.message(text)
    db.session.commit()
    return Response(str(answer), mimetype="application/xml")


@bp.route("/sms/status", methods=["POST"])
@access(public)  # the provider's signature is the check, in the view
def status():
    """A delivery report: delivered, or undelivered with the carrier's error code."""
    _check_signature("sms.status")
    sid = request.form.get("MessageSid", "")
    state = request.form.get("MessageStatus", "")[:20]
    row = db.session.scalar(
        sa.select(OutgoingEmail).where(
            OutgoingEmail.channel == Channel.sms, OutgoingEmail.provider_id == sid
        )
    )
    if row is not None and state and _recent(row) and first_time(f"{sid[:59]}:{state}"):
        row.delivery_status = state
        if state in _UNDELIVERED:
            code = request.form.get("ErrorCode") or None
            row.delivery_error = code[:20] if code else None
            numbers.mark_undeliverable(row.recipient, row.delivery_error)
        elif state == "delivered":
            numbers.mark_delivered(row.recipient)
        db.session.commit()
    return Response(status=204)


@bp.route("/admin/sms")
@access(admin)
def costs():
    """Texts and segments per day and organization, the daily cap, and the provider's state."""
    from coalition.mail.models import channel_state
    from coalition.settings.operations import get_setting
    from coalition.sms.costs import stats

    state = channel_state(Channel.sms)
    db.session.commit()
    return render_template(
        "admin/sms.html",
        rows=stats(days=30),
        cap=get_setting("sms_daily_cap"),
        state=state,
        backend=current_app.config["SMS_BACKEND"],
    )
