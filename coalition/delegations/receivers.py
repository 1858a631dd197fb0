"""What delegations answer the packages below them (connected by
`coalition.register_signal_receivers`)."""

from __future__ import annotations

import sqlalchemy as sa

from coalition import signals
from coalition.delegations.models import Delegation


def _seats_held_elsewhere(occurrence_id, **_):
    """The lead of every approved delegation travels with it without an RSVP of their own."""
    return (
        sa.select(sa.func.count(Delegation.id))
        .where(Delegation.occurrence_id == occurrence_id, Delegation.is_approved.is_(True))
        .scalar_subquery()
    )


def connect() -> None:
    signals.seats_held_elsewhere.connect(_seats_held_elsewhere)
