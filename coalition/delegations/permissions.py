"""Access rules for delegation pages.

The join and lead pages are public routes: their secret link is the authorisation, checked by
the view (`delegation_for_join`, `delegation_for_lead_token`).
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from coalition.delegations.models import Delegation
from coalition.events.models import Event
from coalition.extensions import db
from coalition.rsvps.public import visible_occurrence


def may_start(event: Event, user) -> bool:
    """Anyone who sees the event, or only the host's organizers when the event says so."""
    if event.delegations_by_organizers_only:
        return event.can_manage(user)
    return True


def can_start_delegation(event_id: int, occurrence_id: int, **_kwargs) -> bool:
    return may_start(visible_occurrence(event_id, occurrence_id).event, current_user)


def is_delegation_lead(delegation_id: int, **_kwargs) -> bool:
    """A signed-in lead reaches their roster from the event page, without the emailed link."""
    delegation = db.session.get(Delegation, delegation_id)
    if delegation is None or delegation.erased_at is not None:
        abort(404)
    return (
        current_user.is_authenticated
        and delegation.lead_user_id is not None
        and delegation.lead_user_id == current_user.id
    )


def can_view_delegation(delegation_id: int, **_kwargs) -> bool:
    """A delegation's public page: anyone who sees its event, once hosts approved it (a
    delegation waiting for approval, or erased, is not there)."""
    delegation = db.session.get(Delegation, delegation_id)
    if delegation is None or delegation.erased_at is not None or not delegation.is_approved:
        abort(404)
    if not delegation.occurrence.event.can_view(current_user):
        abort(404)
    return True
