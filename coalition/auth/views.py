"""Sign in and out, register, reset a forgotten password, the profile page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from coalition.access import access, public, signed_in
from coalition.auth import operations as ops
from coalition.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from coalition.extensions import db, limiter
from coalition.i18n import normalize_language
from coalition.tokens import TokenError
from coalition.urls import safe_next

bp = Blueprint("auth", __name__)

_form_limit = limiter.limit("10 per minute;50 per hour", methods=["POST"])


@bp.route("/login", methods=["GET", "POST"])
@access(public)
@_form_limit
def login():
    """Sign in with email and password."""
    next_url = safe_next(request.args.get("next"), url_for("core.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        user = ops.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("That email and password do not match an account."))
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(next_url)
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@access(public)
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("core.index"))


@bp.route("/register", methods=["GET", "POST"])
@access(public)
@_form_limit
def register():
    """Create an account (needed to apply for an organization or accept an invitation)."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.profile"))
    form = RegisterForm()
    if request.method == "GET":
        form.language.data = normalize_language(request.accept_languages.best)
    if form.validate_on_submit():
        try:
            user = ops.create_user(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                language=form.language.data,
            )
        except ops.EmailTaken:
            form.email.errors.append(
                _("An account with this email exists already. Sign in or reset the password.")
            )
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your account is ready."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("core.index")))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/password/forgot", methods=["GET", "POST"])
@access(public)
@_form_limit
def forgot_password():
    """Ask for a reset link; the answer is the same whether the account exists or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        ops.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            _("If an account uses that address, a link to reset the password is on its way."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@access(public)
@_form_limit
def reset_password(token: str):
    """Choose a new password from an emailed, expiring, single-use link."""
    try:
        ops.user_for_reset_token(token)
    except TokenError as exc:
        return render_template("auth/token_error.html", reason=exc.reason), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        ops.reset_password(token, form.password.data)
        db.session.commit()
        logout_user()
        flash(_("Your password is changed. Sign in with the new one."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 400 if form.errors else 200


@bp.route("/account", methods=["GET", "POST"])
@access(signed_in)
def profile():
    """Name, language, password, and the organizations the person belongs to."""
    form = ProfileForm(obj=current_user, prefix="profile")
    password_form = ChangePasswordForm(prefix="pw")
    if request.form.get("form_name") == "profile" and form.validate_on_submit():
        ops.update_profile(current_user, name=form.name.data, language=form.language.data)
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"))
    if request.form.get("form_name") == "password" and password_form.validate_on_submit():
        if not current_user.check_password(password_form.current.data):
            password_form.current.errors.append(_("That is not your current password."))
        else:
            current_user.set_password(password_form.password.data)
            db.session.commit()
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.profile"))
    status = 400 if (form.errors or password_form.errors) else 200
    return render_template("auth/profile.html", form=form, password_form=password_form), status
