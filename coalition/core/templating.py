"""What every template can use; each feature adds its own (`<feature>/templating.py`,
registered by the app factory)."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale, gettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from coalition.core.fragments import template_fragment
from coalition.languages import language_name


def language_marker(code: str) -> Markup:
    """ "(in English)" beside a text that is not in the page's language, named in the page's."""
    page_language = str(get_locale() or "en")
    try:
        name = Locale.parse(page_language).languages.get(code) or language_name(code)
    except (ValueError, UnknownLocaleError):
        name = language_name(code)
    return Markup('<span class="lang-marker" lang="{}">{}</span>').format(
        page_language, gettext("(in %(language)s)", language=name)
    )


class TokenOnly:
    """`csrf_form` of every page: `{{ csrf_form.csrf_token }}` writes the hidden field an
    `EmptyForm` would (the same markup, Flask-WTF's token of this request) without building a
    WTForms form on every render (~0.5 ms). Without CSRF (tests may turn it off) it writes
    nothing, as the form would."""

    @property
    def csrf_token(self) -> Markup:
        if not current_app.config.get("WTF_CSRF_ENABLED", True):
            return Markup("")
        return Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="{}">').format(
            generate_csrf()
        )


def init_templating(app: Flask) -> None:
    app.jinja_env.globals["fragment"] = template_fragment

    @app.context_processor
    def globals_for_templates():
        values = {
            "coalition_name": current_app.config["COALITION_NAME"],
            "ui_languages": current_app.config["LANGUAGES"],
            "current_locale": str(get_locale() or "en"),
        }
        if has_request_context():  # email rendered by the worker has no request
            # Render-only (its token): never reads the request body, which may be refused (413).
            values["csrf_form"] = TokenOnly()
            values["current_path"] = request.full_path.rstrip("?")
        return values

    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.globals["language_marker"] = language_marker
    app.jinja_env.globals["has_endpoint"] = lambda name: name in current_app.view_functions
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
