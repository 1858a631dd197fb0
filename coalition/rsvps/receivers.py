"""What RSVPs do when an event changes (connected by `coalition.signals.connect_receivers`)."""

from __future__ import annotations

from coalition import signals


def _seats_changed(occurrence, **_):
    from coalition.rsvps.operations import capacity_changed

    capacity_changed(occurrence)


def connect() -> None:
    signals.seats_changed.connect(_seats_changed)
