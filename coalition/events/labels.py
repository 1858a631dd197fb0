"""Human names of event states, in the reader's language."""

from flask_babel import lazy_gettext as _l

from coalition.events.models import CosponsorStatus, EventStatus

EVENT_STATUS_NAMES = {
    EventStatus.draft: _l("Draft"),
    EventStatus.pending: _l("Waiting for approval"),
    EventStatus.published: _l("Published"),
    EventStatus.cancelled: _l("Cancelled"),
}

COSPONSOR_STATUS_NAMES = {
    CosponsorStatus.invited: _l("Invited"),
    CosponsorStatus.accepted: _l("Accepted"),
    CosponsorStatus.declined: _l("Declined"),
}
