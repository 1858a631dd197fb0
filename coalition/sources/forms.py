"""Adding a calendar (an organization's) or a partner coalition's feed (admins)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from coalition.core.forms import Form
from coalition.events import operations as event_ops
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.forms import MultiCheckboxField

TEXT_LANGUAGES = ["en", "es", "ht", "pt"]

EDITABLE_LABELS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "place": _l("Place"),
    "type": _l("Type"),
}
POLL_LABELS = {
    30: _l("Every 30 minutes"),
    60: _l("Every hour"),
    180: _l("Every 3 hours"),
    720: _l("Twice a day"),
    1440: _l("Once a day"),
}


class SourceForm(Form):
    name = StringField(
        _l('Name shown on its events ("from ...")'),
        validators=[DataRequired(message=_l("Give the calendar a name.")), Length(max=160)],
    )
    url = StringField(
        _l("Calendar address (iCalendar, .ics)"),
        description=_l(
            'Google Calendar: Settings, the calendar, "Public address in iCal format". '
            "Outlook: Settings, Calendar, Shared calendars, Publish a calendar, the ICS link."
        ),
        validators=[DataRequired(message=_l("Give the calendar's address.")), Length(max=1000)],
    )
    type_slug = SelectField(_l("Type of its events"), choices=[])
    language = SelectField(
        _l("Language of its texts"), choices=[(c, CONTENT_LANGUAGES[c]) for c in TEXT_LANGUAGES]
    )
    default_city = StringField(
        _l("Town, when an event does not say"), validators=[Optional(), Length(max=120)]
    )
    publishes_at_once = BooleanField(_l("Publish new events at once (else they wait for review)"))
    editable_fields = MultiCheckboxField(
        _l("Fields you edit here (the calendar will not overwrite them)"),
        choices=list(EDITABLE_LABELS.items()),
    )
    poll_minutes = SelectField(
        _l("Check for changes"), choices=list(POLL_LABELS.items()), coerce=int, default=60
    )

    def __init__(self, *args, language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.type_slug.choices = [(t.slug, t.name(language)) for t in event_ops.active_types()]


class PartnerForm(SourceForm):
    org_id = SelectField(_l("Shown as hosted by"), coerce=int, choices=[])
    filter_category = StringField(
        _l("Only events of this category (optional)"), validators=[Optional(), Length(max=80)]
    )
    filter_city = StringField(
        _l("Only events in this town (optional)"), validators=[Optional(), Length(max=120)]
    )
