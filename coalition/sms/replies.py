"""What a reply text means: STOP and its kin, START, HELP (English and Spanish keywords)."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext

from coalition.sms import numbers

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
