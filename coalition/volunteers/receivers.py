"""What volunteer roles and rides do when dates move and RSVPs change (connected by
`coalition.register_signal_receivers`)."""

from __future__ import annotations

from coalition import signals


def _event_rescheduled(event, *, moved=None, now=None, **_):
    """A role's shift moves with its date, and its helpers' reminders with it."""
    if moved:
        from coalition.volunteers.operations import follow_moved_dates

        follow_moved_dates(event, moved, now)


def _rsvp_changed(rsvp, *, now=None, ride_changed=False, **_):
    """A rider cancelled, was erased or no longer needs a ride: their seats in a car are free
    and the driver is told. (Only an RSVP that needs a ride, or just stopped needing one, can
    hold a seat in a car: the others cost no query.)"""
    if rsvp.id is not None and (rsvp.needs_ride or ride_changed):
        from coalition.volunteers.operations import release_rider

        release_rider(rsvp)


def _party_changed(rsvp, *, previous=None, now=None, **_):
    """A rider's party changed: the car takes the new size, or the party leaves it."""
    _rsvp_changed(rsvp, now=now, ride_changed=False)


def connect() -> None:
    signals.event_rescheduled.connect(_event_rescheduled)
    signals.rsvp_changed.connect(_rsvp_changed)
    signals.party_changed.connect(_party_changed)
