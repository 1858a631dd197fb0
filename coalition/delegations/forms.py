"""Delegation forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from coalition.core.forms import Form
from coalition.delegations.models import TravelMode
from coalition.languages import CONTENT_LANGUAGES
from coalition.rsvps.forms import RSVPForm
from coalition.rsvps.operations import RSVPInput
from coalition.validators import PhoneNumber

TRAVEL_LABELS = {
    TravelMode.bus: _l("Bus"),
    TravelMode.van: _l("Van"),
    TravelMode.carpool: _l("Carpool"),
    TravelMode.transit: _l("Public transit"),
    TravelMode.walking: _l("Walking"),
}


class DelegationEditForm(Form):
    """What the lead may change after starting the delegation (from the private link)."""

    name = StringField(_l("Name of the delegation"), validators=[InputRequired(), Length(max=120)],
                       description=_l("For example: the Worcester delegation"))  # fmt: skip
    expected_headcount = IntegerField(
        _l("Expected headcount"),
        default=10,
        validators=[InputRequired(), NumberRange(min=1, max=5000)],
        render_kw={"inputmode": "numeric"},
    )
    meeting_point = StringField(_l("Meeting point"), validators=[Optional(), Length(max=300)])
    departure = DateTimeLocalField(_l("Departure time"), validators=[Optional()],
                                   description=_l("Local time where the event is."))  # fmt: skip
    seat_limit = IntegerField(_l("Seats (bus or van, the lead included), if limited"),
                              validators=[Optional(), NumberRange(min=1, max=5000)],
                              render_kw={"inputmode": "numeric"})  # fmt: skip


class DelegationForm(DelegationEditForm):
    town = StringField(_l("Town or neighborhood"), validators=[InputRequired(), Length(max=120)])
    sponsor_org = SelectField(_l("Sponsoring member organization"), choices=[],
                              validators=[Optional()])  # fmt: skip
    lead_name = StringField(_l("Lead's name"), validators=[InputRequired(), Length(max=80)])
    lead_email = EmailField(
        _l("Lead's email"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    lead_phone = StringField(_l("Lead's phone"), validators=[Optional(), Length(max=40),
                                                             PhoneNumber()],
                             render_kw={"type": "tel", "autocomplete": "tel"})  # fmt: skip
    lead_language = SelectField(_l("Lead's language"), choices=list(CONTENT_LANGUAGES.items()))
    travel_mode = SelectField(
        _l("How it travels"), choices=[(m.value, label) for m, label in TRAVEL_LABELS.items()]
    )


class GuestForm(Form):
    """Someone the lead brings who has no phone or email (an elder, a child)."""

    guest_name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Tell us a name.")), Length(max=80)],
        description=_l("A first name is enough. No phone or email: you keep them informed."),
    )


class MessageForm(Form):
    subject = StringField(_l("Subject"), validators=[InputRequired(), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[InputRequired(), Length(max=5000)])


class JoinForm(RSVPForm):
    """Joining a delegation: the RSVP form, and whether the lead may see how to reach you."""

    shares_contact_with_lead = BooleanField(
        _l("Let the delegation's lead see my email and phone, to reach me about the trip"),
        description=_l("The lead always sees your name. Without this, only the event's "
                       "organizers see how to reach you; the lead can still message you "
                       "through this site."),
    )  # fmt: skip

    def to_input(self) -> RSVPInput:
        data = super().to_input()
        data.shares_contact_with_lead = self.shares_contact_with_lead.data
        return data
