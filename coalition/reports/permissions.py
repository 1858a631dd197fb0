"""Who reads which report: one place for the reports blueprint (rules for `@access`).

Reports hold no personal data, but they are the coalition's and each organization's own:
the coalition report and the API for coalition admins; an organization's report for its
owners and organizers; a date's report for the people who manage the event (its host's
organizers, admins), once the date has ended.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from coalition.access import admin
from coalition.db import utcnow
from coalition.events.permissions import load_event, load_occurrence
from coalition.orgs.models import OrgRole
from coalition.orgs.permissions import load_org


def can_read_coalition(**kwargs) -> bool:
    return admin(**kwargs)


def can_read_org(slug: str, **_kwargs) -> bool:
    return load_org(slug).has_role(current_user, OrgRole.organizer)


def can_read_date(event_id: int, occurrence_id: int, **_kwargs) -> bool:
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    if not event.can_manage(current_user):
        if not event.can_view(current_user):
            abort(404)
        return False
    if occurrence.end_at > utcnow():
        abort(404)  # a date's report exists once the date is over
    return True
