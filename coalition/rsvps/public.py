"""The date behind a public sign-up page (RSVPs, helpers, delegations)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from coalition.events.models import Event, Occurrence
from coalition.extensions import db


def visible_occurrence(event_id: int, occurrence_id: int) -> Occurrence:
    """The date, when it belongs to the event and the current person may see the event; else
    404 (a hidden event and a wrong address look the same)."""
    event = db.session.get(Event, event_id)
    occurrence = db.session.get(Occurrence, occurrence_id)
    if event is None or occurrence is None or occurrence.event_id != event.id:
        abort(404)
    if not event.can_view(current_user):
        abort(404)
    return occurrence
