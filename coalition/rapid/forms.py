"""Forms of the roster (joining, a responder's own page) and of dispatch (alert, update, close)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from coalition.core.forms import Form
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.forms import MultiCheckboxField
from coalition.rapid.availability import HoursError, parse_hours
from coalition.rapid.labels import KIND_LABELS, ROLE_LABELS
from coalition.rapid.models import KINDS, ROLES
from coalition.validators import PhoneNumber


def _zone(form, field):
    try:
        ZoneInfo(field.data or "")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_l("Enter a time zone like America/New_York.")) from None


class ResponderForm(Form):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=40), PhoneNumber()],
                        render_kw={"type": "tel", "autocomplete": "tel"})  # fmt: skip
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    use_sms = BooleanField(_l("Alert me by text message"), default=True)
    use_email = BooleanField(_l("Alert me by email"), default=True)
    locale = SelectField(_l("Language of my messages"))
    towns = StringField(
        _l("Towns you can reach quickly"),
        description=_l("Separated by commas, the nearest first."),
        validators=[DataRequired(), Length(max=400)],
    )
    languages = MultiCheckboxField(
        _l("Languages you speak"), choices=list(CONTENT_LANGUAGES.items())
    )
    roles = MultiCheckboxField(
        _l("What you can do"),
        choices=[(code, ROLE_LABELS[code]) for code in ROLES],
        validators=[DataRequired(_l("Choose at least one."))],
    )
    training = StringField(_l("Training completed"), validators=[DataRequired(), Length(max=160)])
    trained_on = DateField(_l("Date of the training"), validators=[Optional()])
    availability = RadioField(
        _l("When can we alert you?"),
        choices=[("always", _l("At any hour")), ("weekly", _l("Only in these weekly hours"))],
        default="always",
    )
    weekly_hours = StringField(
        _l("Weekly hours"),
        description=_l("For example: Mon-Fri 18:00-23:00; Sat 08:00-20:00"),
        validators=[Optional(), Length(max=300)],
    )
    zone = StringField(_l("Time zone of these hours"), validators=[DataRequired(), _zone])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = list(current_app.config["LANGUAGES"].items())
        if not self.zone.data:
            self.zone.data = current_app.config["COALITION_TIMEZONE"]
        self.hours: list = []

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.phone.data and not self.email.data:
            self.phone.errors = [*self.phone.errors, _l("Give a mobile phone or an email.")]
            ok = False
        if self.availability.data == "weekly":
            try:
                self.hours = parse_hours(self.weekly_hours.data or "")
            except HoursError as error:
                self.weekly_hours.errors = [
                    *self.weekly_hours.errors,
                    _l("We could not read “%(part)s”.", part=str(error)),
                ]
                return False
            if not self.hours:
                self.weekly_hours.errors = [*self.weekly_hours.errors, _l("Give your hours.")]
                ok = False
        return ok


class AlertForm(Form):
    kind = SelectField(
        _l("What"), choices=[(code, KIND_LABELS[code]) for code in KINDS], default="raid"
    )
    town = StringField(
        _l("Town"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"list": "rapid-towns", "autocomplete": "off"},
    )
    place = StringField(
        _l("Exact place"),
        description=_l("Only the people alerted see it."),
        validators=[DataRequired(), Length(max=200)],
    )
    happens_at = DateTimeLocalField(
        _l("When"), description=_l("Empty: now."), validators=[Optional()]
    )
    needed = IntegerField(
        _l("How many people are needed"), default=5, validators=[InputRequired(),
                                                                  NumberRange(1, 1000)]
    )  # fmt: skip
    roles = MultiCheckboxField(
        _l("With which roles (none: anyone)"),
        choices=[(code, ROLE_LABELS[code]) for code in ROLES],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=300)])
    language = SelectField(_l("They must speak"), default="")
    is_drill = BooleanField(_l("This is a drill"))
    use_rings = BooleanField(_l("Ring in waves, the nearest first"))
    ring_size = IntegerField(
        _l("People per wave"), default=20, validators=[Optional(), NumberRange(1, 1000)]
    )
    ring_minutes = IntegerField(
        _l("Minutes before the next wave if not enough said yes"),
        default=5,
        validators=[Optional(), NumberRange(1, 120)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [("", _l("Any language")), *CONTENT_LANGUAGES.items()]


class AnswerForm(Form):
    state = StringField(validators=[AnyOf(["going", "cant", "arrived", "left"])])
    eta = SelectField(
        _l("I can be there in"),
        choices=[
            ("", "-"),
            *((str(m), _l("%(n)d min", n=m)) for m in (5, 10, 15, 20, 30, 45, 60, 90)),
        ],
        validators=[Optional()],
    )


class UpdateForm(Form):
    body = TextAreaField(_l("Update"), validators=[DataRequired(), Length(max=300)])
    audience = RadioField(
        _l("To"),
        choices=[("going", _l("Everyone going")), ("all", _l("Everyone alerted"))],
        default="going",
    )


class CloseForm(Form):
    outcome = TextAreaField(_l("Outcome"), validators=[Optional(), Length(max=1000)])


class DispatcherForm(Form):
    email = EmailField(_l("Email of the account"), validators=[DataRequired(), Email()])


class RetentionForm(Form):
    days = IntegerField(
        _l("Days after closing before an alert is erased"),
        validators=[InputRequired(), NumberRange(1, 365)],
    )
