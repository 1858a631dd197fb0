"""What every template can use."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale, gettext
from markupsafe import Markup

from coalition.core.forms import EmptyForm
from coalition.delegations.operations import public_summary
from coalition.events.formatting import (
    format_clock,
    format_day,
    format_month,
    format_weekday,
    format_when,
)
from coalition.events.labels import COSPONSOR_STATUS_NAMES, EVENT_STATUS_NAMES
from coalition.events.markdown import render_markdown
from coalition.events.privacy import hidden_place_note, town
from coalition.languages import language_name
from coalition.rsvps.labels import RSVP_STATUS_NAMES
from coalition.rsvps.operations import closed_reason, confirmed_headcount, seats_for_newcomers


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
    @app.context_processor
    def globals_for_templates():
        values = {
            "coalition_name": current_app.config["COALITION_NAME"],
            "ui_languages": current_app.config["LANGUAGES"],
            "current_locale": str(get_locale() or "en"),
            "event_status_names": EVENT_STATUS_NAMES,
            "cosponsor_status_names": COSPONSOR_STATUS_NAMES,
            "rsvp_status_names": RSVP_STATUS_NAMES,
        }
        if has_request_context():  # email rendered by the worker has no request
            # Render-only (its token): never reads the request body, which may be refused (413).
            values["csrf_form"] = EmptyForm(formdata=None)
            values["current_path"] = request.full_path.rstrip("?")
        return values

    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.globals["language_marker"] = language_marker
    app.jinja_env.globals["has_endpoint"] = lambda name: name in current_app.view_functions
    app.jinja_env.globals["rsvp_closed_reason"] = closed_reason
    app.jinja_env.globals["rsvp_seats_left"] = seats_for_newcomers
    app.jinja_env.globals["rsvp_going"] = lambda occurrence: confirmed_headcount(occurrence.id)
    app.jinja_env.globals["delegation_summary"] = public_summary
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["format_when"] = format_when
    app.jinja_env.globals["hidden_place_note"] = hidden_place_note
    app.jinja_env.globals["public_town"] = town
    app.jinja_env.globals["format_day"] = format_day
    app.jinja_env.globals["format_clock"] = format_clock
    app.jinja_env.globals["format_month"] = format_month
    app.jinja_env.globals["format_weekday"] = format_weekday
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
