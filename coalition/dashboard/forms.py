"""Dashboard forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from coalition.core.forms import Form
from coalition.validators import PhoneNumber


class WalkInForm(Form):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=80)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40), PhoneNumber()],
                        render_kw={"type": "tel", "autocomplete": "off"})  # fmt: skip
    party_size = IntegerField(_l("People"), default=1,
                              validators=[InputRequired(), NumberRange(min=1, max=50)],
                              render_kw={"inputmode": "numeric"})  # fmt: skip


class DecisionForm(Form):
    """Approve or decline a request; a message goes with a decline."""

    message = TextAreaField(
        _l("Message to the person (optional)"), validators=[Optional(), Length(max=1000)]
    )
