"""Access rules for event management and for an occurrence's attendees (used with
`coalition.access.access`): one place for the dashboard and for every feature's organizer pages
(sessions, helpers, rapid response)."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user
from sqlalchemy.orm import joinedload

from coalition.events.models import CosponsorStatus, Event, Occurrence
from coalition.extensions import db
from coalition.orgs.models import OrgRole
from coalition.orgs.permissions import load_org

#: What every organizer page of an event asks of it next (who hosts it, its type, its texts:
#: the permission check, the dashboard's training panel, the title): read with it, in the
#: same statement.
_WITH_EVENT = (joinedload(Event.host_org), joinedload(Event.type), joinedload(Event.translations))


def load_event(event_id: int) -> Event:
    cached = g.get("event")
    if cached is not None and cached.id == event_id:
        return cached
    event = db.session.get(Event, event_id, options=_WITH_EVENT)
    if event is None:
        abort(404)
    g.event = event
    return event


def load_occurrence(event: Event, occurrence_id: int) -> Occurrence:
    """The date, kept for the request like the event (the access check loads it, then the view
    asks again: the session holds it only weakly, so it would be read twice)."""
    cached = g.get("occurrence")
    if cached is not None and cached.id == occurrence_id and cached.event_id == event.id:
        return cached
    occurrence = db.session.get(Occurrence, occurrence_id)
    if occurrence is None or occurrence.event_id != event.id:
        abort(404)
    g.occurrence = occurrence
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


# Who sees what of an occurrence's attendees ------------------------------------------------


def load(event_id: int, occurrence_id: int) -> tuple[Event, Occurrence]:
    """The event (with `_WITH_EVENT`) and its date, in one statement the first time a request
    asks (404 when either is missing or the date is another event's), then kept for it."""
    cached = g.get("event")
    if cached is None or cached.id != event_id:
        row = (
            db.session.execute(
                _event_with_date(), {"event_id": event_id, "occurrence_id": occurrence_id}
            )
            .unique()
            .first()
        )
        if row is None or row[1] is None:
            abort(404)
        g.event, g.occurrence = row
    event = load_event(event_id)
    return event, load_occurrence(event, occurrence_id)


@functools.cache
def _event_with_date() -> sa.Select:
    """`load`'s statement, built once per process (`event_id` and `occurrence_id` bound)."""
    occurrence_id = sa.bindparam("occurrence_id", type_=sa.Integer)
    return (
        sa.select(Event, Occurrence)
        .outerjoin(Occurrence, sa.and_(Occurrence.id == occurrence_id,
                                       Occurrence.event_id == Event.id))
        .where(Event.id == sa.bindparam("event_id", type_=sa.Integer))
        .options(*_WITH_EVENT)
    )  # fmt: skip


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
