"""Who dispatches: members an organization's owners marked as dispatchers, and the coalition-wide
dispatchers named by admins. Only they see a roster or an alert (access rules below)."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user

from coalition.events.permissions import can_decide_attendees, load
from coalition.extensions import db
from coalition.orgs.models import Membership, Organization
from coalition.orgs.permissions import load_org
from coalition.rapid.models import Alert, CoalitionDispatcher


def is_coalition_dispatcher(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(CoalitionDispatcher, user.id) is not None


def is_dispatcher(org: Organization, user) -> bool:
    """Dispatches for `org` (an active member organization)."""
    if user is None or not getattr(user, "is_authenticated", False) or not org.is_active:
        return False
    # The person's own memberships (a few, loaded once a request), not the organization's
    # (hundreds of rows for a big one, on every look at the alert page and its refresh).
    for membership in user.memberships:
        if membership.org_id == org.id and membership.is_dispatcher:
            return True
    return is_coalition_dispatcher(user)


def dispatched_orgs(user) -> list[Organization]:
    """The organizations `user` dispatches for."""
    query = sa.select(Organization).where(Organization.status == "active")
    if not is_coalition_dispatcher(user):
        query = query.join(Membership).where(
            Membership.user_id == user.id, Membership.is_dispatcher.is_(True)
        )
    return list(db.session.scalars(query.order_by(Organization.name)))


def dispatches_clause(user_id) -> sa.ColumnElement[bool]:
    """Whether the user `user_id` (a column or value) dispatches for any active organization:
    `dispatched_orgs(user)` is not empty, as one SQL expression."""
    coalition_wide = sa.select(CoalitionDispatcher.user_id).where(
        CoalitionDispatcher.user_id == user_id
    )
    active = sa.select(Organization.id).where(Organization.status == "active")
    member = active.join(Membership).where(
        Membership.user_id == user_id, Membership.is_dispatcher.is_(True)
    )
    inner = (CoalitionDispatcher, Organization, Membership)
    return sa.or_(
        sa.and_(coalition_wide.correlate_except(*inner).exists(), active.exists()),
        member.correlate_except(*inner).exists(),
    )


def dispatches_anywhere(user) -> bool:
    """`dispatched_orgs(user)` is not empty (the header's link on every page): read with the
    signed-in user's own statement (`auth.loader`'s flag "dispatches"), else in one query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    flags = getattr(user, "loaded_flags", None) or {}
    if "dispatches" in flags:
        return bool(flags["dispatches"])
    return bool(db.session.scalar(sa.select(dispatches_clause(user.id))))


def can_dispatch(slug: str, **_kwargs) -> bool:
    return is_dispatcher(load_org(slug), current_user)


def can_invite_responders(slug: str, **_kwargs) -> bool:
    """Dispatchers and the organization's organizers make invitation links."""
    org = load_org(slug)
    return is_dispatcher(org, current_user) or org.can_organize(current_user)


def can_dispatch_alert(slug: str, alert_id: int, **_kwargs) -> bool:
    """A dispatcher of the organization the alert belongs to (404 for an alert of another; only
    dispatchers learn whether an alert exists)."""
    # The organization and the alert in one query (the live page and its refresh are asked
    # every few seconds by every dispatcher).
    found = db.session.execute(_org_with_alert(), {"slug": slug, "alert_id": alert_id}).first()
    if found is not None and found[0].is_active:
        g.org = found[0]  # `load_org`'s cache for the request: an active one is everyone's
    org = load_org(slug)  # 404 for an organization not there for this person
    if not is_dispatcher(org, current_user):
        return False
    alert = found[1] if found is not None else None
    if alert is None:
        abort(404)
    g.alert = alert
    return True


@functools.cache
def _org_with_alert() -> sa.Select:
    """`can_dispatch_alert`'s statement, built once per process (`slug`, `alert_id` bound)."""
    alert_id = sa.bindparam("alert_id", type_=sa.Integer)
    return (
        sa.select(Organization, Alert)
        .outerjoin(Alert, sa.and_(Alert.id == alert_id, Alert.org_id == Organization.id))
        .where(Organization.slug == sa.bindparam("slug", type_=sa.String))
    )


def can_invite_trainees(event_id: int, occurrence_id: int, **_kwargs) -> bool:
    """Inviting a training's checked-in attendees to the roster: its host's organizers and
    owners, and coalition admins (404 for a date they could not see, or that is no training;
    403 otherwise)."""
    from coalition.rapid.operations import is_training

    allowed = can_decide_attendees(event_id, occurrence_id)
    event, _occurrence = load(event_id, occurrence_id)
    if allowed and not is_training(event):
        abort(404)
    return allowed


def has_dispatched(**_kwargs) -> bool:
    return current_user.is_authenticated and bool(dispatched_orgs(current_user))
