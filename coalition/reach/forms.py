from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from coalition.core.forms import Form


class ImageForm(Form):
    """A picture for the event (optional when only the description changes)."""

    picture = FileField(_l("Picture (JPEG, PNG or WebP)"))
    alt_text = StringField(
        _l("Describe the picture for people who cannot see it"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(message=_l("Describe the picture: people who cannot see it need it.")),
            Length(max=300),
        ],
    )
