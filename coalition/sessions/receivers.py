"""What sessions do when an RSVP changes (connected by `coalition.signals.connect_receivers`)."""

from __future__ import annotations

from coalition import signals


def _rsvp_changed(rsvp, now=None, **_):
    """A cancelled, declined or erased RSVP gives up its sessions (seats to who waits); a seat
    on the date, won or lost, is followed in the sessions."""
    from coalition.sessions.operations import follow_rsvp, release_for_rsvp

    if not rsvp.is_active:
        release_for_rsvp(rsvp, now)
    else:
        follow_rsvp(rsvp, now)


def _party_changed(rsvp, previous, now=None, **_):
    """A party grows only where it fits in its sessions (else refused); a smaller one frees
    seats."""
    from coalition.sessions.operations import party_changed

    party_changed(rsvp, previous, now)


def _sessions_chosen(rsvp, sessions, now=None, **_):
    from coalition.sessions.operations import choose

    choose(rsvp, sessions, now)


def _occurrences_added(event, occurrences, now=None, **_):
    """New dates of an open-ended series join the registrations for every date."""
    from coalition.sessions.series import extend_to

    extend_to(event, occurrences, now)


def _event_rescheduled(event, *, moved=None, now=None, **_):
    """A date's sessions move with it."""
    if moved:
        from coalition.sessions.operations import follow_moved_dates

        follow_moved_dates(event, moved, now)


def connect() -> None:
    signals.rsvp_changed.connect(_rsvp_changed)
    signals.sessions_chosen.connect(_sessions_chosen)
    signals.party_changed.connect(_party_changed)
    signals.occurrences_added.connect(_occurrences_added)
    signals.event_rescheduled.connect(_event_rescheduled)
