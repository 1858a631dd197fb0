"""The message to attendees (and to helpers): a subject and a body in each of the event's
languages. Used by the dashboard and by every feature's organizer pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from coalition.core.forms import Form
from coalition.languages import language_name

#: Languages a message to attendees can always be written in (plus the event's primary one).
MESSAGE_LANGUAGES = ("en", "es")
NOTHING_WRITTEN = _l("Write a subject and a message in at least one language.")


class MessageForm(Form):
    audience = SelectField(_l("To"), choices=[])
    #: Language codes with a subject and a body field each (`subject_<code>`, `body_<code>`).
    languages: tuple[str, ...] = ()

    def versions(self) -> list[tuple[str, object, object]]:
        """(code, subject field, body field) for each language, in the form's order."""
        return [(c, self[f"subject_{c}"], self[f"body_{c}"]) for c in self.languages]

    def written(self) -> tuple[dict[str, str], dict[str, str]]:
        """Subjects and bodies by language, for the languages written in full."""
        subjects, bodies = {}, {}
        for code, subject, body in self.versions():
            if (subject.data or "").strip() and (body.data or "").strip():
                subjects[code], bodies[code] = subject.data.strip(), body.data.strip()
        return subjects, bodies

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for _code, subject, body in self.versions():
            has_subject, has_body = (
                bool((subject.data or "").strip()),
                bool((body.data or "").strip()),
            )
            if has_subject != has_body:
                missing = body if has_subject else subject
                missing.errors = [*missing.errors, _l("Write both a subject and a message.")]
                valid = False
        if valid and not self.written()[0]:
            first = self.versions()[0][1]
            first.errors = [*first.errors, NOTHING_WRITTEN]
            valid = False
        return valid


def message_form(primary_language: str) -> MessageForm:
    """The message form with fields for the event's primary language first, then en and es."""
    languages = tuple(dict.fromkeys((primary_language, *MESSAGE_LANGUAGES)))

    class Form(MessageForm):
        pass

    Form.languages = languages
    for code in languages:
        name = language_name(code)
        setattr(Form, f"subject_{code}", StringField(
            _l("Subject (%(language)s)", language=name), validators=[Optional(), Length(max=200)]
        ))  # fmt: skip
        setattr(Form, f"body_{code}", TextAreaField(
            _l("Message (%(language)s)", language=name), validators=[Optional(), Length(max=5000)]
        ))  # fmt: skip
    return Form()
