"""What a reply text means: STOP and its kin, START, HELP (English and Spanish keywords)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from limits import parse_many

from coalition.breaker import count_with_fallback, limit_identifiers
from coalition.extensions import db, limiter
from coalition.sms import numbers
from coalition.sms.models import RECEIPT_DAYS as RECEIPT_DAYS
from coalition.sms.models import WebhookReceipt

#: Carrier-standard opt-out words, and the Spanish ones.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "PARAR", "ALTO"}
START_WORDS = {"START", "UNSTOP", "YES"}
HELP_WORDS = {"HELP", "INFO", "AYUDA"}
SPANISH_WORDS = {"PARAR", "ALTO", "AYUDA"}


def keyword(body: str) -> str:
    words = (body or "").strip().upper().split()
    return words[0].strip(".!¡¿?") if words else ""


def handle_reply(phone: str, body: str) -> str | None:
    """Record what the reply asks and return the answer to text back (None: no answer)."""
    word = keyword(body)
    locale = "es" if word in SPANISH_WORDS else "en"
    name = current_app.config["COALITION_NAME"]
    with force_locale(locale):
        if word in STOP_WORDS:
            numbers.opt_out(phone)
            return gettext(
                "%(name)s: you will get no more texts from us. Reply START to get them again.",
                name=name,
            )
        if word in START_WORDS:
            numbers.opt_in(phone)
            return gettext("%(name)s: texts are on again. Reply STOP to stop them.", name=name)
        if word in HELP_WORDS:
            return gettext(
                "%(name)s: texts about the events you signed up for (confirmations, reminders, "
                "changes). Reply STOP to stop them. %(url)s",
                name=name,
                url=current_app.config["BASE_URL"],
            )
    return None


def first_time(key: str) -> bool:
    """Record that the webhook request `key` was acted on; False when it already was (a
    replayed or retried request, which must change nothing and answer nothing)."""
    if db.session.get(WebhookReceipt, key) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(WebhookReceipt(key=key))
    except sa.exc.IntegrityError:
        return False  # the same request, acted on by a concurrent worker
    return True


def may_answer(phone: str, about: str = "keyword") -> bool:
    """Each answer costs money: a number gets at most SMS_AUTO_REPLY_LIMIT answers of each kind
    (`about`: "keyword" for STOP, START and HELP; "alert" for a responder's answer to an alert,
    so that keywords sent in a loop never use up the answers that carry an alert's link). What
    the number asked (STOP included) is recorded all the same. Counted in the rate limiter's
    storage, in this process's memory while Redis does not answer."""
    if not limiter.enabled:
        return True
    items = parse_many(current_app.config["SMS_AUTO_REPLY_LIMIT"])
    args = limit_identifiers("sms-answer", about, numbers.number_key(phone))

    def _take(counters) -> bool:
        if not all(counters.test(item, *args) for item in items):
            return False
        for item in items:
            counters.hit(item, *args)
        return True

    return count_with_fallback(_take)
