"""Reminders and notices follow RSVPs, delegations, sessions, helpers and events through
`coalition.signals` (connected by `coalition.register_signal_receivers`): those packages never
call this one."""

from __future__ import annotations

from coalition import signals
from coalition.reminders import notices, operations


def _rsvp_changed(rsvp, *, now=None, **_):
    """An RSVP changed or was placed (`rsvp_changed`, `rsvp_placed`): its reminders follow."""
    operations.schedule_for_rsvp(rsvp, now)


def _helper_changed(helper, *, now=None, **_):
    operations.schedule_for_helper(helper, now)


def _delegation_started(delegation, *, now=None, **_):
    operations.schedule_for_delegation(delegation, now)


def _event_rescheduled(event, *, occurrences=None, now=None, **_):
    if occurrences is None:
        operations.reschedule_event(event, now)
        return
    for occurrence in occurrences:
        operations.reschedule_occurrence(occurrence, now)


def _event_changed(event, *, changed, occurrences=None, **_):
    notices.notify_change(event, changed, occurrences)


def _event_cancelled(event, *, reason, occurrence=None, **_):
    notices.notify_cancellation(event, reason, occurrence)


def _event_restored(event, *, occurrence=None, **_):
    notices.notify_restored(event, occurrence)


def connect() -> None:
    signals.rsvp_changed.connect(_rsvp_changed)
    signals.rsvp_placed.connect(_rsvp_changed)
    signals.helper_changed.connect(_helper_changed)
    signals.delegation_started.connect(_delegation_started)
    signals.event_rescheduled.connect(_event_rescheduled)
    signals.event_changed.connect(_event_changed)
    signals.event_cancelled.connect(_event_cancelled)
    signals.event_restored.connect(_event_restored)
