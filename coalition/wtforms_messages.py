"""WTForms' own messages ("This field is required.", "Not a valid choice."...) in our catalogs.

WTForms ships no Haitian Creole (and its Portuguese is European), so forms take these messages
from the app's catalogs in every interface language (`i18n.WTFormsMessages`). This function is
never called: it only shows `pybabel extract` the messages, the same as wtforms/locale/wtforms.pot
(a test compares the two).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext


def _listed_for_extraction() -> None:  # pragma: no cover
    _("Invalid field name '%s'.")
    _("Field must be equal to %(other_name)s.")
    ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    )
    ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    )
    ngettext(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
        1,
    )
    _("Field must be between %(min)d and %(max)d characters long.")
    _("Number must be at least %(min)s.")
    _("Number must be at most %(max)s.")
    _("Number must be between %(min)s and %(max)s.")
    _("Date must be at least %(min)s.")
    _("Date must be at most %(max)s.")
    _("Date must be between %(min)s and %(max)s.")
    _("This field is required.")
    _("Invalid input.")
    _("Invalid email address.")
    _("Invalid IP address.")
    _("Invalid Mac address.")
    _("Invalid URL.")
    _("Invalid UUID.")
    _("Invalid value, must be one of: %(values)s.")
    _("Invalid value, can't be any of: %(values)s.")
    _("This field cannot be edited.")
    _("This field is disabled and cannot have a value.")
    _("Invalid CSRF Token.")
    _("CSRF token missing.")
    _("CSRF failed.")
    _("CSRF token expired.")
    _("Invalid Choice: could not coerce.")
    _("Choices cannot be None.")
    _("Not a valid choice.")
    _("Invalid choice(s): one or more data inputs could not be coerced.")
    ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        1,
    )
    _("Not a valid datetime value.")
    _("Not a valid date value.")
    _("Not a valid time value.")
    _("Not a valid week value.")
    _("Not a valid integer value.")
    _("Not a valid decimal value.")
    _("Not a valid float value.")
