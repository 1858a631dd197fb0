"""Access rules for event management (used with `coalition.access.access`)."""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from coalition.events.models import Event, Occurrence
from coalition.extensions import db
from coalition.orgs.permissions import load_org


def load_event(event_id: int) -> Event:
    cached = g.get("event")
    if cached is not None and cached.id == event_id:
        return cached
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    g.event = event
    return event


def load_occurrence(event: Event, occurrence_id: int) -> Occurrence:
    occurrence = db.session.get(Occurrence, occurrence_id)
    if occurrence is None or occurrence.event_id != event.id:
        abort(404)
    return occurrence


def can_manage_event(event_id: int, **_kwargs) -> bool:
    """Host organizers and owners, and coalition admins. Others get 404 when they could not
    even see the event (drafts stay secret), else 403."""
    event = load_event(event_id)
    if event.can_manage(current_user):
        return True
    if not event.can_view(current_user):
        abort(404)
    return False


def can_see_event_admin(event_id: int, **_kwargs) -> bool:
    """Managers, and organizers of accepted co-sponsors (read-only)."""
    event = load_event(event_id)
    return event.can_manage(current_user) or event.can_see_as_cosponsor(current_user)


def can_organize_org(slug: str, **_kwargs) -> bool:
    return load_org(slug).can_organize(current_user)
