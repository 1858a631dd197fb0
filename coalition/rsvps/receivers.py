"""What RSVPs do when an event changes, and what they answer it (connected by
`coalition.register_signal_receivers`)."""

from __future__ import annotations

from coalition import signals
from coalition.rsvps import location


def _seats_changed(occurrence, **_):
    from coalition.rsvps.operations import capacity_changed

    capacity_changed(occurrence)


def connect() -> None:
    signals.seats_changed.connect(_seats_changed)
    signals.place_shown_to_attendee.connect(location.shown_to_attendee)
