"""Access rules for delegation pages."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from coalition.events.models import Event, Occurrence
from coalition.extensions import db


def can_start_delegation(event_id: int, occurrence_id: int, **_kwargs) -> bool:
    event = db.session.get(Event, event_id)
    occurrence = db.session.get(Occurrence, occurrence_id)
    if event is None or occurrence is None or occurrence.event_id != event.id:
        abort(404)
    if not event.can_view(current_user):
        abort(404)
    if event.delegations_by_organizers_only:
        return event.can_manage(current_user)
    return True
