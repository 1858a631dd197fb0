"""Which language a page is in: the account's, else the switcher's cookie, else the browser's."""

from __future__ import annotations

import copy
import os
import tempfile
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, localedata
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_login import current_user

LANGUAGE_COOKIE = "lang"


def _stale(po: Path) -> bool:
    mo = po.with_suffix(".mo")
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def use_compiled_catalogs(app: Flask) -> None:
    """Point Flask-Babel at compiled catalogs, compiling them first when they are missing or
    older than their .po (an install without `pybabel compile` would otherwise send Spanish
    mail in English). They are compiled into the instance folder (a temporary one when that is
    not writable), never over the installed package."""
    source = Path(app.config.get("TRANSLATIONS_SOURCE") or Path(app.root_path) / "translations")
    catalogs = sorted(source.glob("*/LC_MESSAGES/messages.po"))
    if not any(_stale(po) for po in catalogs):
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(source)
        return
    target = Path(
        app.config.get("COMPILED_TRANSLATIONS_DIR") or Path(app.instance_path) / "translations"
    )
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError:
        target = Path(tempfile.mkdtemp(prefix="coalition-translations-"))
    for po in catalogs:
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        partial = mo.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            write_mo(handle, catalog)
        partial.replace(mo)  # atomic: workers starting together never read half a file
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)


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
    return visitor_language()


def visitor_language() -> str:
    """The language the visitor chose without an account: the switcher's cookie, then the
    browser's preference (needs no database: the 503 page uses it when the database is down)."""
    languages = supported_languages()
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


def zone_abbreviation(moment: datetime, zone: ZoneInfo) -> str:
    """ "EST" / "EDT" for New York, depending on the date."""
    return moment.astimezone(zone).tzname() or zone.key


def day_and_time(local: datetime, loc) -> str:
    """e.g. "Nov 26, 2026 7:00 PM": a local moment, in Babel locale `loc`."""
    day = format_date(local.date(), "medium", locale=loc)
    return f"{day} {format_time(local, 'short', locale=loc)}"


def format_moment(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    """e.g. "Nov 26, 2026 7:00 PM EST": one moment in the event's zone, in `locale` (else the
    page's language)."""
    loc = date_locale(locale or str(get_locale() or "en"))
    return f"{day_and_time(moment.astimezone(zone), loc)} {zone_abbreviation(moment, zone)}"


class WTFormsMessages:
    """WTForms' messages from our catalogs, in the page's language: every form's translations
    (`core.forms.Form`), since WTForms has no Creole (the messages: `wtforms_messages.py`)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


WTFORMS_MESSAGES = WTFormsMessages()
