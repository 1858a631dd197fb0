"""Forms: an organizer's session, the series settings, and a person's choice of sessions."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from coalition.core.forms import Form
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.forms import MultiCheckboxField
from coalition.sessions.operations import SessionInput

#: Form fields of the RSVP form that carry a choice of session (one per time slot).
SLOT_PREFIX = "session-slot-"
#: Form fields of the series form and page: `date-<occurrence id>-slot-<n>` (one per date and
#: time slot).
DATE_PREFIX = "date-"


class SessionForm(Form):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired()])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=120)])
    languages = MultiCheckboxField(_l("Languages spoken"), choices=list(CONTENT_LANGUAGES.items()))
    has_interpretation = BooleanField(_l("Simultaneous interpretation"))
    capacity = IntegerField(
        _l("Seats"),
        validators=[Optional(), NumberRange(min=1, max=100000)],
        description=_l("Empty: no limit. Past it, people join the session's waitlist."),
    )

    def to_input(self, zone) -> SessionInput:
        start = datetime.combine(self.date.data, self.start_time.data, tzinfo=zone)
        end = datetime.combine(self.date.data, self.end_time.data, tzinfo=zone)
        return SessionInput(
            title=self.title.data or "",
            description=self.description.data,
            start_at=start,
            end_at=end,
            room=self.room.data,
            languages=list(self.languages.data or []),
            has_interpretation=bool(self.has_interpretation.data),
            capacity=self.capacity.data,
        )

    def fill(self, session, zone) -> None:
        start, end = session.start_at.astimezone(zone), session.end_at.astimezone(zone)
        self.title.data, self.description.data = session.title, session.description
        self.date.data, self.start_time.data, self.end_time.data = (
            start.date(),
            start.time(),
            end.time(),
        )
        self.room.data, self.languages.data = session.room, list(session.languages or [])
        self.has_interpretation.data, self.capacity.data = (
            session.has_interpretation,
            session.capacity,
        )


class SeriesForm(Form):
    mode = SelectField(
        _l("Registration"),
        choices=[
            ("", _l("Date by date (each date its own RSVPs)")),
            ("series", _l("A series: one registration for every part")),
            ("open", _l("An open meeting: people may also RSVP once for every date")),
        ],
    )
    capacity = IntegerField(
        _l("Seats for the whole series"),
        validators=[Optional(), NumberRange(min=1, max=100000)],
        description=_l("Empty: no limit."),
    )
    #: The organizer's "yes" after seeing what becoming a series means for the date RSVPs.
    confirm = HiddenField()
    #: How many RSVPs that page listed: if more came in meanwhile, it asks again.
    seen = HiddenField()


class MoveForm(Form):
    target = SelectField(_l("Move to"), coerce=int, choices=[])
    #: The organizer's explicit "yes, past its seats" for a session that is full.
    over_capacity = BooleanField(_l("even over capacity"))


def chosen_session_ids(form_data) -> list[str]:
    """The session ids a submitted form chose, one per time slot."""
    return [
        value
        for key in form_data
        if key.startswith(SLOT_PREFIX)
        for value in form_data.getlist(key)
    ]


def chosen_per_date(form_data) -> dict[int, list[str]]:
    """The session ids a series form chose, per occurrence id (fields `date-<id>-slot-<n>`);
    a field that names no date is refused (`ValueError`)."""
    chosen: dict[int, list[str]] = {}
    for key in form_data:
        if not key.startswith(DATE_PREFIX):
            continue
        occurrence_id, _, slot = key[len(DATE_PREFIX) :].partition("-slot-")
        if not occurrence_id.isdigit() or not slot.isdigit():
            raise ValueError(key)
        chosen.setdefault(int(occurrence_id), []).extend(form_data.getlist(key))
    return chosen
