"""Human names of RSVP states and needs, and their translations for one page of rows."""

from itertools import product

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from coalition.rsvps.models import RSVPStatus

RSVP_STATUS_NAMES = {
    RSVPStatus.confirmed: _l("Confirmed"),
    RSVPStatus.waitlisted: _l("Waitlist"),
    RSVPStatus.cancelled: _l("Cancelled"),
    RSVPStatus.pending: _l("Waiting for approval"),
    RSVPStatus.declined: _l("Declined"),
}


def status_names() -> dict[RSVPStatus, Markup]:
    """The status names in the request's language, translated and HTML-escaped once (a list of
    rows then looks each up instead of translating a lazy string per row)."""
    return {status: escape(str(name)) for status, name in RSVP_STATUS_NAMES.items()}


def needs_labels() -> dict[tuple[bool, bool, bool], Markup]:
    """What a row's needs column says for each (interpretation, childcare, ride) combination,
    in the request's language, HTML-escaped: "interpretation, rides", "" for none. Eight
    strings made once per page; each row is then one lookup."""
    names = (_("interpretation"), _("childcare"), _("rides"))
    return {
        flags: escape(", ".join(name for name, wanted in zip(names, flags, strict=True) if wanted))
        for flags in product((False, True), repeat=3)
    }
