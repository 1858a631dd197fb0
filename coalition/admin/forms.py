"""Admin forms."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from coalition.core.forms import Form


class NoteForm(Form):
    """A reason, emailed to the organization's owners."""

    note = TextAreaField(
        _l("Note to the organization"), validators=[DataRequired(), Length(max=2000)]
    )
