"""Adding a calendar (an organization's) or a partner coalition's feed (admins)."""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, SelectField, StringField
from wtforms import Form as PlainForm
from wtforms.validators import DataRequired, Length, Optional

from coalition.core.forms import Form, HardenedMeta
from coalition.events import operations as event_ops
from coalition.i18n import WTFORMS_MESSAGES
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.forms import MultiCheckboxField
from coalition.sources.operations import MAX_RULES

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


RULE_WHERE_LABELS = {
    "either": _l("Category or title"),
    "category": _l("Category"),
    "title": _l("Title"),
}


class RuleRow(PlainForm):
    """One row of the type rules (inside the source's form, which holds the CSRF token)."""

    class Meta(HardenedMeta):
        def get_translations(self, form):
            return WTFORMS_MESSAGES

    where = SelectField(
        _l("Where"), choices=list(RULE_WHERE_LABELS.items()), default="either",
        validate_choice=False,  # the operation refuses it, with the rule's number
    )  # fmt: skip
    contains = StringField(_l("contains"), validators=[Optional()])
    type_slug = SelectField(_l("gives the type"), choices=[], validate_choice=False)


def rule_rows(rules: list[dict] | None) -> list[SimpleNamespace]:
    """A source's stored rules as the form's rows."""
    return [
        SimpleNamespace(
            where=r.get("where", "either"),
            contains=r.get("contains", ""),
            type_slug=r.get("type", ""),
        )
        for r in rules or []
    ]


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
    type_rules = FieldList(FormField(RuleRow), label=_l("Type rules"), max_entries=MAX_RULES)

    def __init__(self, *args, language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        types = [(t.slug, t.name(language)) for t in event_ops.active_types()]
        self.type_slug.choices = types
        if not self.is_submitted():  # room for a few more rules than the saved ones
            wanted = min(MAX_RULES, max(3, len(self.type_rules) + 2))
            while len(self.type_rules) < wanted:
                self.type_rules.append_entry()
        for row in self.type_rules:
            row.form.type_slug.choices = [("", "—"), *types]


class PartnerEditForm(SourceForm):
    """A partner coalition's feed: its filters too (admins)."""

    filter_category = StringField(
        _l("Only events of this category (optional)"), validators=[Optional(), Length(max=80)]
    )
    filter_city = StringField(
        _l("Only events in this town (optional)"), validators=[Optional(), Length(max=120)]
    )
    rsvps_here = BooleanField(
        _l("Take RSVPs for its events here (else people RSVP on the partner's site)")
    )


class PartnerForm(PartnerEditForm):
    org_id = SelectField(_l("Shown as hosted by"), coerce=int, choices=[])
