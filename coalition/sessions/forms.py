"""Forms: an organizer's session, the series settings, and a person's choice of sessions."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
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
