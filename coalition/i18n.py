"""Which language a page is in: the account's, else the switcher's cookie, else the browser's."""

from __future__ import annotations

import copy
from functools import cache

from babel import Locale, localedata
from flask import current_app, has_request_context, request
from flask_babel import get_translations
from flask_login import current_user

LANGUAGE_COOKIE = "lang"


def supported_languages() -> dict[str, str]:
    return current_app.config["LANGUAGES"]


def normalize_language(code: str | None) -> str:
    """A supported interface language for `code`, falling back to the default."""
    languages = supported_languages()
    if code and code in languages:
        return code
    if code and code.split("-")[0].lower() in languages:
        return code.split("-")[0].lower()
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = supported_languages()
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    return (
        request.accept_languages.best_match(list(languages))
        or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


#: CLDR has no dates for Haitian Creole (Babel would print "2026 M12 24, Thu"): dates in Creole
#: take the French patterns of Haiti (fr_HT) with Creole month and day names.
_CREOLE_MONTHS = [
    "janvye",
    "fevriye",
    "mas",
    "avril",
    "me",
    "jen",
    "jiyè",
    "out",
    "septanm",
    "oktòb",
    "novanm",
    "desanm",
]
_CREOLE_MONTHS_SHORT = [
    "jan",
    "fev",
    "mas",
    "avr",
    "me",
    "jen",
    "jiy",
    "out",
    "sep",
    "okt",
    "nov",
    "des",
]
_CREOLE_DAYS = [
    "lendi",
    "madi",
    "mèkredi",
    "jedi",
    "vandredi",
    "samdi",
    "dimanch",
]  # Monday first, as Babel
_CREOLE_DAYS_SHORT = ["len", "mad", "mèk", "jed", "van", "sam", "dim"]


class _CreoleDates(Locale):
    """fr_HT's date and time patterns, Creole names of months and days."""

    def __init__(self) -> None:
        super().__init__("fr", "HT")
        data = copy.deepcopy(localedata.load("fr_HT"))
        months = {
            "wide": dict(enumerate(_CREOLE_MONTHS, start=1)),
            "abbreviated": dict(enumerate(_CREOLE_MONTHS_SHORT, start=1)),
            "narrow": {n: name[0].upper() for n, name in enumerate(_CREOLE_MONTHS, start=1)},
        }
        days = {
            "wide": dict(enumerate(_CREOLE_DAYS)),
            "abbreviated": dict(enumerate(_CREOLE_DAYS_SHORT)),
            "short": dict(enumerate(_CREOLE_DAYS_SHORT)),
            "narrow": {n: name[0].upper() for n, name in enumerate(_CREOLE_DAYS)},
        }
        data["months"] = {"format": months, "stand-alone": copy.deepcopy(months)}
        data["days"] = {"format": days, "stand-alone": copy.deepcopy(days)}
        self._creole_data = localedata.LocaleDataDict(data)

    @property
    def _data(self) -> localedata.LocaleDataDict:
        return self._creole_data


@cache
def date_locale(code: str) -> Locale | str:
    """What Babel formats dates with for interface language `code`."""
    return _CreoleDates() if code.split("_")[0] == "ht" else code


class WTFormsMessages:
    """WTForms' messages from our catalogs, in the page's language: every form's translations
    (`core.forms.Form`), since WTForms has no Creole (the messages: `wtforms_messages.py`)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


WTFORMS_MESSAGES = WTFormsMessages()
