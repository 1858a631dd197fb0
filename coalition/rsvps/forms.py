"""RSVP forms: short, phone-first; a honeypot for bots. `ContactForm` is shared by every public
sign-up form (helpers too)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from coalition.core.forms import Form
from coalition.languages import CONTENT_LANGUAGES
from coalition.rsvps.identity import sms_available
from coalition.rsvps.operations import MAX_PARTY, RSVPInput
from coalition.validators import PhoneNumber


class NeedsMixin:
    party_size = IntegerField(
        _l("How many people, you included"),
        default=1,
        validators=[
            InputRequired(_l("Say how many people are coming.")),
            NumberRange(min=1, max=MAX_PARTY, message=_l("A party is 1 to %(max)s people.")),
        ],
    )
    needs_interpretation = BooleanField(_l("I need interpretation"))
    needs_childcare = BooleanField(_l("I need childcare"))
    needs_ride = BooleanField(_l("I need a ride"))
    ride_from = StringField(
        _l("From which town?"),
        validators=[Length(max=120)],
        description=_l("If you need a ride: the town to pick you up in. The driver sees it with "
                       "your first name, nothing more."),
        render_kw={"autocomplete": "address-level2"},
    )  # fmt: skip
    note = TextAreaField(
        _l("Accessibility or other needs"), validators=[Optional(), Length(max=1000)]
    )

    def validate_ride_from(self, field) -> None:
        """A ride needs a pickup town: without one no driver can be matched."""
        if self.needs_ride.data and not (field.data or "").strip():
            raise ValidationError(_l("Say from which town you need a ride."))


class ContactForm(Form):
    """Who someone is and how to reach them, for the public sign-up forms (an RSVP, a helper):
    a name, an email or a phone (one is enough; no phone where we cannot send texts), the
    language of our messages, reminders, and a honeypot for bots."""

    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Tell us a name.")), Length(max=80)],
        description=_l("A first name or nickname is enough."),
        render_kw={"autocomplete": "given-name"},
    )
    email = EmailField(
        _l("Email"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=40), PhoneNumber()],
        description=_l("Email or phone: one is enough."),
        render_kw={"autocomplete": "tel", "type": "tel"},
    )
    language = SelectField(_l("Language for messages"), choices=list(CONTENT_LANGUAGES.items()))
    consents_to_reminders = BooleanField(
        _l("Send me a reminder a day and two hours before"), default=True
    )
    #: Honeypot: people never see it; bots fill it in.
    website = StringField("Website", validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not sms_available():
            # We could not text a phone: don't ask for one (collect little), and say why.
            del self.phone

    @property
    def offers_phone(self) -> bool:
        return "phone" in self._fields

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        phone = self.phone.data if self.offers_phone else None
        if not (self.email.data or phone):
            if self.offers_phone:
                message = _l("Give an email or a phone number so we can reach you.")
            else:
                message = _l("Give an email address: we send your private link there.")
            self.email.errors = [*self.email.errors, message]
            return False
        return valid


class RSVPForm(NeedsMixin, ContactForm):
    #: Shown for the dates of a recurring event only.
    counts_attendance = BooleanField(
        _l("Count my attendance across this series"),
        description=_l("We keep no list of who came. If you tick this, the dates of this series "
                       "you come to are counted together under a code that cannot be traced "
                       "back to you. When the series ends, the key to that code is destroyed "
                       "and only totals remain, such as \"4 in 10 came to every date\"."),
    )  # fmt: skip

    def to_input(self) -> RSVPInput:
        """What the person gave, for an RSVP (one date, a whole series, a delegation)."""
        return RSVPInput(
            name=self.name.data, email=self.email.data,
            phone=self.phone.data if self.offers_phone else None,
            language=self.language.data, party_size=self.party_size.data,
            needs_interpretation=self.needs_interpretation.data,
            needs_childcare=self.needs_childcare.data, needs_ride=self.needs_ride.data,
            ride_from=self.ride_from.data, note=self.note.data,
            consents_to_reminders=self.consents_to_reminders.data,
            counts_attendance=bool(self.counts_attendance.data),
        )  # fmt: skip

    def show_refusal(self, exc) -> None:
        """An `RSVPError` under the field it names (the sessions' choice: above the form)."""
        if exc.field == "sessions":
            self.form_errors.append(str(exc.message))
        else:
            getattr(self, exc.field or "name", self.name).errors.append(str(exc.message))


class ManageForm(NeedsMixin, Form):
    pass
