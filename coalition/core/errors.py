"""Error pages in the visitor's language (JSON under /api), and refused actions."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from coalition.extensions import db

MESSAGES = {
    400: _l("The request could not be understood. Check what you entered and try again."),
    403: _l("You do not have permission to do this."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This cannot be done in the current state."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Wait a minute and try again."),
    500: _l("Something went wrong on our side. It has been logged."),
}


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

    @app.errorhandler(500)
    def server_error(_exc):
        db.session.rollback()
        return _render(500, str(MESSAGES[500]))
