"""Home page, health check, language switcher."""

from __future__ import annotations

import hashlib
import re
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from coalition import signals
from coalition.access import access, public
from coalition.calendar_version import PUBLIC, UPCOMING
from coalition.core.forms import EmptyForm
from coalition.core.render_cache import get_store, render_cached
from coalition.core.theme import theme_css
from coalition.events.summaries import home_page
from coalition.extensions import db
from coalition.feeds.store import RedisStore
from coalition.i18n import LANGUAGE_COOKIE
from coalition.mail.operations import oldest_due_seconds
from coalition.settings.operations import get_setting
from coalition.urls import safe_next

bp = Blueprint("core", __name__)


@bp.route("/")
@access(public)
@render_cached(PUBLIC, UPCOMING)
def index():
    orgs = [org for found in signals.answers(signals.member_organizations, None) for org in found]
    zone = ZoneInfo(current_app.config["COALITION_TIMEZONE"])
    home = home_page(current_user, zone)
    return render_template("core/index.html", orgs=orgs, home=home)


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


_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@bp.route("/orgs/colors.css")
@access(public)
def org_colors():
    """Each organization's calendar color as a CSS variable on `.org-<id>`: a stylesheet, so
    that pages need no inline style (the Content-Security-Policy forbids it)."""
    rows = [row for found in signals.answers(signals.organization_colors, None) for row in found]
    css = "".join(
        f".org-{org_id}{{--org-color:{color}}}\n"
        for org_id, color in rows
        if color and _HEX_COLOR.match(color)
    )
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.set_etag(hashlib.sha256(css.encode()).hexdigest()[:32])
    return response.make_conditional(request)


@bp.route("/healthz")
@access(public)
def healthz():
    """Each dependency's state, for load balancers and uptime checks (cheap: one `SELECT 1`, one
    indexed read of the outbox, one Redis PING that the breaker skips while Redis is known down).

    503 `down`: the database does not answer (nothing works). 200 `degraded`: Redis is down
    (pages, feeds and rate limits come from the database and memory meanwhile) or the outbox has
    a message waiting longer than HEALTH_OUTBOX_LATE_SECONDS (is the worker running?). 200 `ok`.
    """
    try:
        outbox_seconds = oldest_due_seconds()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="down", database="down"), 503
    store = get_store()
    redis = "off" if not isinstance(store, RedisStore) else "ok" if store.ping() else "down"
    late = outbox_seconds > current_app.config["HEALTH_OUTBOX_LATE_SECONDS"]
    status = "degraded" if redis == "down" or late else "ok"
    response = jsonify(status=status, database="ok", redis=redis,
                       outbox="late" if late else "ok", outbox_seconds=outbox_seconds)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/language", methods=["POST"])
@access(public)
def set_language():
    """The language switcher: kept in a cookie, and on the account when signed in."""
    code = request.form.get("language", "")
    back = safe_next(request.form.get("next"), url_for("core.index"))
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
