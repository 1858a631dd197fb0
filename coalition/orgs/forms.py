"""Organization forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from coalition.auth.forms import password_field
from coalition.core.forms import Form
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.models import OrgRole
from coalition.validators import HexColor, PhoneNumber

ROLE_LABELS = {
    OrgRole.owner: _l("Owner: manages the organization and its people"),
    OrgRole.organizer: _l("Organizer: posts events and sees attendees"),
    OrgRole.member: _l("Member: sees members-only events"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OrganizationForm(Form):
    name = StringField(_l("Name of the organization"), validators=[DataRequired(), Length(max=160)])
    slug = StringField(
        _l("Short web name"),
        validators=[
            Optional(),
            Length(min=2, max=80),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message=_l("Use lower-case letters, digits and dashes."),
            ),
        ],
        description=_l("Used in links, e.g. worcester-workers. Leave empty to derive it."),
    )
    description = TextAreaField(
        _l("About the organization"), validators=[Optional(), Length(max=5000)]
    )
    city = StringField(_l("City or region"), validators=[Optional(), Length(max=120)])
    website = URLField(
        _l("Website"),
        validators=[
            Optional(),
            URL(message=_l("Enter a full address, like https://example.org.")),
            Length(max=300),
        ],
    )
    contact_email = EmailField(
        _l("Public contact email"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )
    contact_phone = StringField(
        _l("Public contact phone"),
        validators=[Optional(), Length(max=40), PhoneNumber()],
        render_kw={"type": "tel", "autocomplete": "tel"},
    )
    languages = MultiCheckboxField(
        _l("Languages you work in"), choices=list(CONTENT_LANGUAGES.items())
    )
    color = StringField(
        _l("Calendar color"),
        default="#1f6f8b",
        validators=[DataRequired(), HexColor()],
        render_kw={"type": "color"},
    )


class InviteForm(Form):
    email = EmailField(
        _l("Email of the person to invite"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    role = SelectField(
        _l("Role"),
        choices=[(role.value, label) for role, label in ROLE_LABELS.items()],
        default=OrgRole.organizer.value,
    )


class RoleForm(Form):
    role = SelectField(
        _l("Role"), choices=[(role.value, label) for role, label in ROLE_LABELS.items()]
    )


class AcceptInvitationForm(Form):
    """For a person without an account: choose a name and password while accepting."""

    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    password = password_field(_l("Password"))
