"""The theme stylesheet and the language switcher (the home page is `events.home`, the health
check `health.healthz`, the organizations' colors `orgs.org_colors`)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user

from coalition.access import access, public
from coalition.core.forms import EmptyForm
from coalition.core.theme import theme_css
from coalition.extensions import db
from coalition.i18n import LANGUAGE_COOKIE
from coalition.settings.operations import get_setting
from coalition.urls import safe_next

bp = Blueprint("core", __name__)


@bp.route("/theme.css")
@access(public)
def theme():
    """The coalition's colour and logo from its settings, as CSS (a strict CSP allows no inline
    style)."""
    response = current_app.response_class(
        theme_css(get_setting("brand_color"), get_setting("logo_url")), mimetype="text/css"
    )
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.route("/language", methods=["POST"])
@access(public)
def set_language():
    """The language switcher: kept in a cookie, and on the account when signed in."""
    code = request.form.get("language", "")
    back = safe_next(request.form.get("next"), url_for("events.home"))
    if code not in current_app.config["LANGUAGES"] or not EmptyForm().validate_on_submit():
        return redirect(back)
    if current_user.is_authenticated:
        current_user.language = code
        db.session.commit()
    response = redirect(back)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response
