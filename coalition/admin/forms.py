"""Admin forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class NoteForm(FlaskForm):
    """A reason, emailed to the organization's owners."""

    note = TextAreaField(
        _l("Note to the organization"), validators=[DataRequired(), Length(max=2000)]
    )
