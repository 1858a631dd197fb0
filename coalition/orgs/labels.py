"""Human names of roles and statuses, in the reader's language."""

from flask_babel import lazy_gettext as _l

from coalition.orgs.models import OrgRole, OrgStatus

ROLE_NAMES = {
    OrgRole.owner: _l("Owner"),
    OrgRole.organizer: _l("Organizer"),
    OrgRole.member: _l("Member"),
}

STATUS_NAMES = {
    OrgStatus.pending: _l("Application pending"),
    OrgStatus.active: _l("Member organization"),
    OrgStatus.declined: _l("Application declined"),
    OrgStatus.suspended: _l("Suspended"),
}
