"""Human names of RSVP states."""

from flask_babel import lazy_gettext as _l

from coalition.rsvps.models import RSVPStatus

RSVP_STATUS_NAMES = {
    RSVPStatus.confirmed: _l("Confirmed"),
    RSVPStatus.waitlisted: _l("Waitlist"),
    RSVPStatus.cancelled: _l("Cancelled"),
    RSVPStatus.pending: _l("Waiting for approval"),
    RSVPStatus.declined: _l("Declined"),
}
