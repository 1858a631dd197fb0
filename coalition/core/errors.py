"""Error pages in the visitor's language (JSON under /api), and refused actions."""

from __future__ import annotations

import logging
import time
from contextlib import suppress

import sqlalchemy as sa
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from coalition.extensions import db

MESSAGES = {
    400: _l("The request could not be understood. Check what you entered and try again."),
    401: _l("Sign in to do this."),
    403: _l("You do not have permission to do this."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This cannot be done in the current state."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Wait a minute and try again."),
    500: _l("Something went wrong on our side. It has been logged."),
}


log = logging.getLogger(__name__)

#: Seconds a visitor (or a member organization's site) is asked to wait when the database is
#: down (`Retry-After`).
RETRY_AFTER_SECONDS = 30
#: The database's own errors that mean "cannot be reached" (not a bad statement of ours).
DATABASE_DOWN = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)
_last_logged = 0.0


def _language_without_the_database() -> str:
    """The visitor's language as `i18n.select_locale` picks it, minus the account (which
    would be read from the database that is down)."""
    from coalition.i18n import visitor_language

    return visitor_language()


def database_down(exc):
    """503 with Retry-After, saying that nothing was saved (the transaction never committed),
    in the visitor's language, on a page that needs nothing from the database. Logged once a
    minute per process, not a traceback per request."""
    global _last_logged
    with suppress(Exception):  # the connection is gone; the pool discards it
        db.session.rollback()
    if time.monotonic() - _last_logged > 60:
        _last_logged = time.monotonic()
        log.error("database unreachable, answering 503: %s", str(exc).splitlines()[0][:300])
    language = _language_without_the_database()
    with force_locale(language):
        message = _(
            "We cannot reach our database right now, so nothing you sent was saved. "
            "Please try again in a minute."
        )
        title = _("Temporarily unavailable")
    if _wants_json():
        response = jsonify(error={"status": 503, "message": message})
    else:
        # Straight from Jinja: the app's context processors read settings from the database.
        page = current_app.jinja_env.get_template("core/unavailable.html")
        response = current_app.make_response(page.render(message=message, title=title,
                                                          lang=language))  # fmt: skip
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(status: int, message: str):
    if _wants_json():
        return jsonify(error={"status": status, "message": message}), status
    return render_template("core/error.html", status=status, message=message), status


def action_refused(message: str, status: int, back: str | None = None):
    """A page that says why an action was refused, with a way back (for POST buttons)."""
    return render_template("core/error.html", status=status, message=message, back=back), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return _render(
            400,
            _(
                "The form has expired or was not sent from this site. "
                "Reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = MESSAGES.get(status)
        return _render(status, str(message) if message else exc.description)

    for error in DATABASE_DOWN:
        app.register_error_handler(error, database_down)

    @app.errorhandler(500)
    def server_error(_exc):
        db.session.rollback()
        return _render(500, str(MESSAGES[500]))
