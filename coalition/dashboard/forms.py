"""Dashboard forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from coalition.validators import PhoneNumber


class WalkInForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=80)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40), PhoneNumber()])
    party_size = IntegerField(_l("People"), default=1,
                              validators=[InputRequired(), NumberRange(min=1, max=50)])  # fmt: skip


class MessageForm(FlaskForm):
    audience = SelectField(_l("To"), choices=[])
    subject_en = StringField(_l("Subject (English)"), validators=[Optional(), Length(max=200)])
    body_en = TextAreaField(_l("Message (English)"), validators=[Optional(), Length(max=5000)])
    subject_es = StringField(_l("Subject (Spanish)"), validators=[Optional(), Length(max=200)])
    body_es = TextAreaField(_l("Message (Spanish)"), validators=[Optional(), Length(max=5000)])
