"""Account forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from coalition.core.forms import Form

#: NIST SP 800-63B / OWASP: a length floor, a generous ceiling, no composition rules.
PASSWORD_MIN = 10
PASSWORD_MAX = 128


def language_choices():
    from flask import current_app

    return list(current_app.config["LANGUAGES"].items())


def password_field(label):
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)],
        description=_l("At least %(n)d characters.", n=PASSWORD_MIN),
        render_kw={"autocomplete": "new-password"},
    )


def email_field(label=None):
    return EmailField(
        label or _l("Email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


class LoginForm(Form):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


class RegisterForm(Form):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("A first name or nickname is enough."),
        render_kw={"autocomplete": "given-name"},
    )
    email = email_field()
    password = password_field(_l("Password"))
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    language = SelectField(_l("Language"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class ForgotPasswordForm(Form):
    email = email_field()


class ResetPasswordForm(Form):
    password = password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(Form):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    language = SelectField(_l("Language"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class ApiTokenForm(Form):
    """A new personal API token (coalition admins: the reports API)."""

    name = StringField(
        _l("What is it for?"),
        validators=[DataRequired(_l("Give the token a name.")), Length(max=80)],
        description=_l("For example: the funders' dashboard."),
    )
    days = SelectField(
        _l("Works for"),
        choices=[("30", _l("30 days")), ("90", _l("90 days")), ("365", _l("a year"))],
        default="90",
    )


class ChangePasswordForm(Form):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    password = password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class TwoFactorForm(Form):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("The 6 digits your authenticator app shows, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )


class TwoFactorSetupForm(Form):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ConfirmPasswordForm(Form):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
