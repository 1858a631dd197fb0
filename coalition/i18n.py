"""Which language a page is in: the account's, else the switcher's cookie, else the browser's."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request
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
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    return (
        request.accept_languages.best_match(list(languages))
        or current_app.config["BABEL_DEFAULT_LOCALE"]
    )
