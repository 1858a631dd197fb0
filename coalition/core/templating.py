"""What every template can use; each feature adds its own (`<feature>/templating.py`,
registered by the app factory)."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale, gettext
from markupsafe import Markup

from coalition.core.forms import EmptyForm
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
            values["csrf_form"] = EmptyForm(formdata=None)
            values["current_path"] = request.full_path.rstrip("?")
        return values

    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.globals["language_marker"] = language_marker
    app.jinja_env.globals["has_endpoint"] = lambda name: name in current_app.view_functions
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
