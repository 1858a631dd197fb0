"""Look up and record what we know about a number (opted out, invalid, undeliverable)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from coalition.crypto import phone_hash
from coalition.db import utcnow
from coalition.extensions import db
from coalition.sms.models import SmsNumber


def number_key(phone: str) -> str:
    """The keyed hash by which contacts are found (`coalition.crypto`, CONTACT_HASH_KEY)."""
    return phone_hash(phone)


def get_number(phone: str) -> SmsNumber | None:
    return db.session.get(SmsNumber, number_key(phone))


def _number(phone: str) -> SmsNumber:
    number = get_number(phone)
    if number is None:
        number = SmsNumber(number_key=number_key(phone))
        db.session.add(number)
    return number


def can_text(phone: str | None) -> bool:
    """A text may go to `phone`: texts are configured and it did not stop or prove invalid."""
    if not phone or current_app.config["SMS_BACKEND"] == "none":
        return False
    number = get_number(phone)
    return number is None or number.can_receive


def opt_out(phone: str) -> None:
    number = _number(phone)
    if number.opted_out_at is None:
        number.opted_out_at = utcnow()


def opt_in(phone: str) -> None:
    number = _number(phone)
    number.opted_out_at = None


def mark_invalid(phone: str, code: str | None) -> None:
    number = _number(phone)
    number.invalid_at = utcnow()
    number.invalid_code = code


def mark_undeliverable(phone: str, code: str | None) -> None:
    number = _number(phone)
    number.undeliverable_at = utcnow()
    number.undeliverable_code = code


def mark_delivered(phone: str) -> None:
    """A text reached the number: an earlier "undelivered" no longer holds."""
    number = get_number(phone)
    if number is not None and number.undeliverable_at is not None:
        number.undeliverable_at = None
        number.undeliverable_code = None


#: Why texts do not reach a number, in the order they are told.
OPTED_OUT, INVALID, UNDELIVERABLE = "opted_out", "invalid", "undeliverable"


def problems(phones) -> dict[str, tuple[str, str | None]]:
    """For those of `phones` texts do not reach: (why, the provider's or carrier's code), in one
    query. Why: OPTED_OUT (replied STOP), INVALID (refused by the provider), UNDELIVERABLE (a
    text was reported undelivered, and none delivered since)."""
    keys = {number_key(p): p for p in phones if p}
    return {keys[key]: found for key, found in problems_by_key(keys).items()}


def problems_by_key(keys) -> dict[str, tuple[str, str | None]]:
    """`problems` for numbers known by their keyed hash (a contact's `phone_hash` column), so
    that a list of people is checked without decrypting their numbers."""
    keys = {key for key in keys if key}
    if not keys:
        return {}
    found = {}
    for row in db.session.scalars(sa.select(SmsNumber).where(SmsNumber.number_key.in_(keys))):
        if row.opted_out_at is not None:
            found[row.number_key] = (OPTED_OUT, None)
        elif row.invalid_at is not None:
            found[row.number_key] = (INVALID, row.invalid_code)
        elif row.undeliverable_at is not None:
            found[row.number_key] = (UNDELIVERABLE, row.undeliverable_code)
    return found


def unreachable(phones: list[str]) -> set[str]:
    """Those of `phones` that opted out, are invalid, or had a text undelivered."""
    return set(problems(phones))


def sms_available() -> bool:
    """Texts are configured (SMS_BACKEND is not "none")."""
    return (current_app.config.get("SMS_BACKEND") or "none") != "none"
