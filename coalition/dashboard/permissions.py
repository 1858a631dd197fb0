"""Who sees what of an occurrence's attendees. One place for the whole dashboard."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from coalition.events.models import CosponsorStatus, Event, Occurrence
from coalition.events.permissions import load_event, load_occurrence
from coalition.orgs.models import OrgRole
from coalition.orgs.permissions import load_org


def load(event_id: int, occurrence_id: int) -> tuple[Event, Occurrence]:
    event = load_event(event_id)
    return event, load_occurrence(event, occurrence_id)


def can_see_attendees(event: Event, user) -> bool:
    """Host organizers and owners, coalition admins, and co-sponsors the host shares with."""
    if event.can_manage(user):
        return True
    return any(
        c.status == CosponsorStatus.accepted and c.shares_attendees
        and c.org.has_role(user, OrgRole.organizer)
        for c in event.cosponsors
    )  # fmt: skip


def can_see_counts(event_id: int, occurrence_id: int, **_kwargs) -> bool:
    """Counts: managers and every accepted co-sponsor's organizers."""
    event, _occurrence = load(event_id, occurrence_id)
    return event.can_manage(current_user) or event.can_see_as_cosponsor(current_user)


def can_handle_attendees(event_id: int, occurrence_id: int, **_kwargs) -> bool:
    """The list, export, check-in and messages."""
    event, _occurrence = load(event_id, occurrence_id)
    if not (current_user.is_authenticated and can_see_attendees(event, current_user)):
        if not event.can_view(current_user):
            abort(404)
        return False
    return True


def can_read_audit(slug: str, **_kwargs) -> bool:
    return load_org(slug).can_manage(current_user)


def can_decide_attendees(event_id: int, occurrence_id: int, **_kwargs) -> bool:
    """Approving attendees and delegations: the hosts (organizers, owners) and admins only."""
    event, _occurrence = load(event_id, occurrence_id)
    if not event.can_manage(current_user):
        if not event.can_view(current_user):
            abort(404)
        return False
    return True
