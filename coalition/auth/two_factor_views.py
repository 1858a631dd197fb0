"""Two-factor sign-in: the second step after the password, and setting it up on the account."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user

from coalition.access import access, public, signed_in
from coalition.auth import throttle
from coalition.auth import two_factor as tf
from coalition.auth.forms import ConfirmPasswordForm, TwoFactorForm, TwoFactorSetupForm
from coalition.auth.models import User
from coalition.core.errors import action_refused
from coalition.core.responses import private
from coalition.db import utcnow
from coalition.extensions import db, limiter
from coalition.urls import safe_next

bp = Blueprint("two_factor", __name__)

_PENDING = "two_factor_pending"
_SETUP_SECRET = "two_factor_setup_secret"


def start_second_step(user: User, *, remember: bool, next_url: str):
    """After a correct password: remember who is half signed in, and ask for the code."""
    session.clear()
    session[_PENDING] = {
        "uid": user.id,
        "v": user.session_version,
        "remember": bool(remember),
        "next": next_url,
        "at": int(time.time()),
    }
    return redirect(url_for("two_factor.verify"))


def _pending_user() -> tuple[User | None, dict]:
    pending = session.get(_PENDING)
    max_age = current_app.config["TWO_FACTOR_PENDING_SECONDS"]
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > max_age:
        return None, {}
    user = db.session.get(User, pending.get("uid"))
    if user is None or user.is_disabled or user.session_version != pending.get("v"):
        return None, {}
    return user, pending


@bp.route("/login/two-factor", methods=["GET", "POST"])
@access(public)
@limiter.limit("10 per minute;60 per hour", methods=["POST"])
def verify():
    """The second step of signing in: a code from the authenticator app or a recovery code."""
    user, pending = _pending_user()
    if user is None or not user.has_two_factor:
        session.pop(_PENDING, None)
        flash(_("Sign in again, please."), "info")
        return redirect(url_for("auth.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        if throttle.blocked("two_factor", user.email):
            return action_refused(_("Too many attempts for this account. Try again later."), 429)
        if tf.verify(user, form.code.data):
            user.last_login_at = utcnow()
            db.session.commit()
            session.clear()
            login_user(user, remember=pending["remember"])
            throttle.remember_device(user.email)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(pending.get("next"), url_for("events.home")))
        throttle.count_failure("two_factor", user.email)
        form.code.errors.append(_("That code is not valid. Try the newest one."))
    return private(
        (render_template("auth/two_factor.html", form=form), 400 if form.errors else 200)
    )


@bp.route("/account/two-factor", methods=["GET", "POST"])
@access(signed_in)
@limiter.limit("20 per hour", methods=["POST"])
def setup():
    """Set up (or change, or turn off) the second factor; shows the recovery codes once."""
    user = current_user._get_current_object()
    required = tf.is_required(user)
    next_url = safe_next(request.args.get("next"), url_for("auth.profile"))
    setup_form = TwoFactorSetupForm(prefix="setup")
    password_form = ConfirmPasswordForm(prefix="pw")
    action = request.form.get("form_name")
    if action == "enable" and setup_form.validate_on_submit():
        secret = session.get(_SETUP_SECRET)
        if not secret or not tf.check_setup_code(secret, setup_form.code.data):
            setup_form.code.errors.append(_("That code is not valid. Try the newest one."))
        else:
            codes = tf.enable(user, secret)
            db.session.commit()
            session.pop(_SETUP_SECRET, None)
            return private(
                render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
            )
    if action in ("disable", "codes") and password_form.validate_on_submit():
        if not user.check_password(password_form.password.data):
            password_form.password.errors.append(_("That is not your current password."))
        elif action == "codes" and user.has_two_factor:
            codes = tf.regenerate_recovery_codes(user)
            db.session.commit()
            return private(
                render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
            )
        elif action == "disable" and not required:
            tf.disable(user)
            db.session.commit()
            flash(_("Two-step sign-in is off."), "info")
            return redirect(url_for("auth.profile"))
    context = {
        "setup_form": setup_form,
        "password_form": password_form,
        "required": required,
        "next_url": next_url,
    }
    if user.has_two_factor:
        context["remaining"] = tf.remaining_recovery_codes(user)
    else:
        secret = session.get(_SETUP_SECRET) or tf.new_secret()
        session[_SETUP_SECRET] = secret
        uri = tf.provisioning_uri(user, secret)
        context.update(secret=secret, qr=tf.qr_data_uri(uri))
    status = 400 if (setup_form.errors or password_form.errors) else 200
    return private((render_template("auth/two_factor_setup.html", **context), status))
