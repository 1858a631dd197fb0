"""What volunteer roles do when their dates move (connected by
`coalition.signals.connect_receivers`)."""

from __future__ import annotations

from coalition import signals


def _event_rescheduled(event, *, moved=None, now=None, **_):
    """A role's shift moves with its date, and its helpers' reminders with it."""
    if moved:
        from coalition.volunteers.operations import follow_moved_dates

        follow_moved_dates(event, moved, now)


def connect() -> None:
    signals.event_rescheduled.connect(_event_rescheduled)
