"""Sign in and out, register, reset a forgotten password, the profile page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from coalition.access import access, public, signed_in
from coalition.auth import operations as ops
from coalition.auth import throttle
from coalition.auth.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from coalition.auth.two_factor_views import start_second_step
from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
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
    next_url = safe_next(request.args.get("next"), url_for("events.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        if throttle.blocked("login", form.email.data):
            return action_refused(_("Too many attempts for this account. Try again later."), 429)
        user = ops.authenticate(form.email.data, form.password.data)
        if user is None:
            throttle.count_failure("login", form.email.data)
            form.password.errors.append(_("That email and password do not match an account."))
        elif user.has_two_factor:
            db.session.rollback()  # last sign-in is recorded after the second step
            return start_second_step(user, remember=form.remember.data, next_url=next_url)
        else:
            db.session.commit()
            session.clear()
            login_user(user, remember=form.remember.data)
            throttle.remember_device(user.email)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(next_url)
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@access(public)
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("events.home"))


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
        # The same answer and the same work whether the address has an account or not.
        ops.start_registration(
            email=form.email.data,
            name=form.name.data,
            password=form.password.data,
            language=form.language.data,
            next_url=safe_next(request.args.get("next"), url_for("events.home")),
        )
        db.session.commit()
        flash(
            _(
                "Almost there: we sent a link to %(email)s. Open it to confirm the address "
                "and finish.",
                email=ops.normalize_email(form.email.data),
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@access(public)
@_form_limit
def confirm_registration(token: str):
    """The emailed link that creates the account (a button, so that mail scanners change
    nothing)."""
    try:
        ops.pending_registration(token)
    except TokenError as exc:
        return render_template("auth/token_error.html", reason=exc.reason), 400
    form = EmptyForm()
    if form.validate_on_submit():
        user, next_url = ops.finish_registration(token)
        db.session.commit()
        session.clear()
        login_user(user)
        flash(_("Your account is ready."), "success")
        return redirect(safe_next(next_url, url_for("events.home")))
    return render_template("auth/confirm_registration.html", form=form)


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
        ops.reset_password(token, form.password.data)  # ends every session of the account
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
            user = current_user._get_current_object()
            ops.change_password(user, password_form.password.data)
            db.session.commit()
            login_user(user)  # this session goes on; every other one has ended
            flash(_("Your password is changed. You are signed out everywhere else."), "success")
            return redirect(url_for("auth.profile"))
    status = 400 if (form.errors or password_form.errors) else 200
    return _profile_page(form, password_form, status=status)


def _profile_page(form, password_form, *, status=200, token_form=None, new_token=None):
    events = ops.account_events(current_user)
    admin = current_user.is_admin
    return (
        render_template(
            "auth/profile.html", form=form, password_form=password_form, account_events=events,
            token_form=token_form or (ApiTokenForm(prefix="token") if admin else None),
            api_tokens=ops.api_tokens(current_user) if admin else [], new_token=new_token,
        ),
        status,
    )  # fmt: skip


def _is_admin(**_kwargs) -> bool:
    return current_user.is_authenticated and current_user.is_admin


@bp.route("/account/api-tokens", methods=["POST"])
@access(_is_admin)
def create_api_token():
    """A personal API token for the reports API: shown on this page once, never again."""
    token_form = ApiTokenForm(prefix="token")
    form = ProfileForm(obj=current_user, prefix="profile")
    if not token_form.validate_on_submit():
        return _profile_page(form, ChangePasswordForm(prefix="pw"), status=400,
                             token_form=token_form)  # fmt: skip
    user = current_user._get_current_object()
    _token, secret = ops.create_api_token(user, token_form.name.data, int(token_form.days.data))
    db.session.commit()
    # Shown in this answer only (signed-in pages are "private, no-store"), never stored.
    return _profile_page(form, ChangePasswordForm(prefix="pw"), new_token=secret)


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
@access(_is_admin)
def revoke_api_token(token_id: int):
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    if not ops.revoke_api_token(current_user, token_id):
        return action_refused(_("That token does not exist or was already revoked."), 404)
    db.session.commit()
    flash(_("The token is revoked: it no longer works."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@access(signed_in)
def sign_out_everywhere():
    """End every session and remember-me cookie of the account, this one included."""
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))
