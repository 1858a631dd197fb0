"""WTForms validators for things a library knows better than we do."""

from __future__ import annotations

import re

import phonenumbers
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

DEFAULT_PHONE_REGION = "US"
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def normalize_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """E.164 form of a valid phone number, or None."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneNumber:
    """Accepts a valid phone number (national or international form) and stores it as E.164."""

    def __init__(self, message=None):
        self.message = message or _l("Enter a phone number we can call, like 617 555 0100.")

    def __call__(self, form, field):
        if not field.data:
            return
        normalized = normalize_phone(field.data)
        if normalized is None:
            raise ValidationError(self.message)
        field.data = normalized


class HexColor:
    def __call__(self, form, field):
        if field.data and not _COLOR.match(field.data):
            raise ValidationError(_l("Choose a color like #1f6f8b."))


#: C0 and C1 control characters (CR, LF, NUL, ESC...), which no one-line answer contains.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: Dates outside these years are refused (Python and the database cannot hold every year).
MIN_YEAR, MAX_YEAR = 1900, 2200


class SingleLine:
    """Refuses control characters (CR/LF would break email headers, NUL the database)."""

    def __call__(self, form, field):
        if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
            raise ValidationError(_l("Use one line of text, without special characters."))


class NoNulls:
    """Refuses NUL bytes in multi-line text (tabs and line breaks are fine)."""

    def __call__(self, form, field):
        if isinstance(field.data, str) and "\x00" in field.data:
            raise ValidationError(_l("Remove the special characters from this text."))


class DateInRange:
    """Refuses dates whose year is outside MIN_YEAR..MAX_YEAR (e.g. 9999-12-31)."""

    def __call__(self, form, field):
        value = field.data
        if value is not None and hasattr(value, "year") and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValidationError(
                _l(
                    "Enter a date between the years %(low)d and %(high)d.",
                    low=MIN_YEAR,
                    high=MAX_YEAR,
                )
            )
