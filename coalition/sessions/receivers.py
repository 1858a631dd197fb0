"""What sessions do when an RSVP changes (connected by `coalition.signals.connect_receivers`)."""

from __future__ import annotations

from coalition import signals


def _rsvp_changed(rsvp, now=None, **_):
    """A cancelled, declined or erased RSVP gives up its sessions (seats to who waits)."""
    if not rsvp.is_active:
        from coalition.sessions.operations import release_for_rsvp

        release_for_rsvp(rsvp, now)


def _sessions_chosen(rsvp, sessions, now=None, **_):
    from coalition.sessions.operations import choose

    choose(rsvp, sessions, now)


def connect() -> None:
    signals.rsvp_changed.connect(_rsvp_changed)
    signals.sessions_chosen.connect(_sessions_chosen)
