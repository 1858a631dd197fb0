"""What an event's picture does when its event goes (connected by
`coalition.register_signal_receivers`)."""

from __future__ import annotations

from coalition import signals


def _event_deleting(event, **_):
    """The picture's row goes with the event; its files go once that is committed."""
    from coalition.reach.operations import delete_files_after_commit, remove_image

    delete_files_after_commit(remove_image(event))


def connect() -> None:
    signals.event_deleting.connect(_event_deleting)
