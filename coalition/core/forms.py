"""Forms used across features, and the base class of every form."""

from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeField, HiddenField, PasswordField, StringField
from wtforms.fields import TextAreaField
from wtforms.meta import DefaultMeta

from coalition.i18n import WTFORMS_MESSAGES
from coalition.validators import DateInRange, NoNulls, SingleLine


class HardenedMeta(DefaultMeta):
    """Adds the input rules every field of its kind needs, so that no form can forget them:
    one-line fields refuse control characters, text areas refuse NUL, dates stay in range."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        extra = []
        if isinstance(field, TextAreaField):
            extra.append(NoNulls())
        elif isinstance(field, StringField) and not isinstance(field, HiddenField | PasswordField):
            extra.append(SingleLine())
        if isinstance(field, DateField | DateTimeField):
            extra.append(DateInRange())
        if extra:
            field.validators = [*field.validators, *extra]
        return field


class Form(FlaskForm):
    """Every form of the app: Flask-WTF (CSRF) with `HardenedMeta`'s input rules, and WTForms'
    messages in the page's language from our catalogs."""

    class Meta(HardenedMeta):
        def get_translations(self, form):
            return WTFORMS_MESSAGES


class EmptyForm(Form):
    """Only the CSRF token: for buttons that POST (sign out, approve, remove...)."""
