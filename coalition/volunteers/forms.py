"""Forms: a role (organizers), signing up as a helper (public), matching riders to a driver."""

from __future__ import annotations

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
from coalition.rsvps.forms import ContactForm
from coalition.volunteers.models import RoleKind
from coalition.volunteers.operations import MAX_NEEDED, MAX_SEATS, ROLE_LABELS

_LANGUAGE_CHOICES = [("", "—"), *CONTENT_LANGUAGES.items()]


class RoleForm(Form):
    kind = SelectField(_l("Role"), choices=[(k.value, label) for k, label in ROLE_LABELS.items()])
    custom_name = StringField(_l("Name of the role"), validators=[Optional(), Length(max=80)])
    language_from = SelectField(_l("Interpreting from"), choices=_LANGUAGE_CHOICES)
    language_to = SelectField(_l("Interpreting to"), choices=_LANGUAGE_CHOICES)
    town = StringField(
        _l("Rides needed from (town)"),
        validators=[Optional(), Length(max=120)],
        description=_l("Drivers only."),
    )
    needed = IntegerField(
        _l("How many helpers"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_NEEDED)],
    )
    day = DateField(_l("Day of the shift"), validators=[Optional()])
    start_time = TimeField(
        _l("Shift starts at"),
        validators=[Optional()],
        description=_l("In the event's time zone. Empty: the event's own times."),
    )
    end_time = TimeField(_l("Shift ends at"), validators=[Optional()])
    note = TextAreaField(_l("Note to helpers (public)"), validators=[Optional(), Length(max=1000)])
    riders_by_drivers = BooleanField(
        _l("Drivers may seat people who need a ride themselves"),
        description=_l("Drivers only. On their private page they see each rider's first name "
                       "and pickup town, nothing more. Off: only organizers match riders."),
    )  # fmt: skip


class HelperForm(ContactForm):
    role = SelectField(_l("How you will help"), choices=[], validators=[InputRequired()])
    seats = IntegerField(
        _l("Drivers: seats for riders"),
        validators=[Optional(), NumberRange(min=1, max=MAX_SEATS)],
        render_kw={"inputmode": "numeric"},
    )
    town = StringField(_l("Drivers: town you leave from"), validators=[Optional(), Length(max=120)])
    note = TextAreaField(
        _l("Anything the organizers should know"), validators=[Optional(), Length(max=1000)]
    )


class RideForm(Form):
    delegation = SelectField(_l("Delegation"), choices=[], validators=[InputRequired()])
    riders = IntegerField(
        _l("Riders"),
        validators=[Optional(), NumberRange(min=1, max=MAX_SEATS)],
        description=_l("Empty: as many as fit."),
        render_kw={"inputmode": "numeric"},
    )
    #: Set by the confirmation page: seat them in a car from another town.
    across_towns = BooleanField()


class RiderForm(Form):
    """A person who asked for a ride, seated in a driver's car (organizers)."""

    driver = SelectField(_l("Driver"), choices=[], validators=[InputRequired()])
    across_towns = BooleanField()


class TakeRiderForm(Form):
    """A driver takes a rider (from the private page, where the role allows it)."""

    across_towns = BooleanField()


def role_kind(value: str) -> RoleKind:
    return RoleKind(value)
