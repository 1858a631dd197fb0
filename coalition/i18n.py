"""Which language a page is in: the account's, else the switcher's cookie, else the browser's."""

from __future__ import annotations

from flask import current_app, has_request_context, request
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
