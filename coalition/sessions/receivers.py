"""What sessions do when an RSVP changes (connected by `coalition.register_signal_receivers`)."""

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


def _single_date_refused(event, **_):
    """A series taken only as a whole has no single-date RSVP."""
    from flask_babel import lazy_gettext as _l

    from coalition.sessions.series import takes_whole_series

    if takes_whole_series(event):
        return _l("This series takes one registration for every part: register for the whole "
                  "series.")  # fmt: skip
    return None


def _waiting_elsewhere(occurrence, **_):
    """Parts of whole-series registrations wait as a whole (`series.promote`)."""
    from coalition.sessions.series import waiting_parts_clause

    return waiting_parts_clause()


def _rsvp_form_elsewhere(occurrence, **_):
    """A series taken only as a whole is registered for on its own form."""
    from flask import url_for

    from coalition.sessions.series import takes_whole_series

    if takes_whole_series(occurrence.event):
        return url_for("sessions.series_register", event_id=occurrence.event.id)
    return None


def _rsvp_form_posted(occurrence, *, form, data, **_):
    """The sessions chosen with a date's RSVP form go with the RSVP (`sessions_chosen`); the
    page after the form lists them, as they stood before it."""
    from coalition.sessions.forms import chosen_session_ids
    from coalition.sessions.operations import outlook, parse_choice

    data.sessions = parse_choice(occurrence, chosen_session_ids(form))
    return outlook(data.sessions, data.party_size)


def _calendar_agendas(event, occurrences, **_):
    """The dates' agendas in a calendar (`events/ics.py`)."""
    from coalition.sessions.calendar import agendas

    return agendas(occurrences)


def _rsvp_calendar(rsvp, language=None, **_):
    """A person's own sessions in their `.ics` of the date."""
    from coalition.sessions.calendar import components_for_rsvp

    return components_for_rsvp(rsvp, language)


def connect() -> None:
    signals.rsvp_form_elsewhere.connect(_rsvp_form_elsewhere)
    signals.rsvp_form_posted.connect(_rsvp_form_posted)
    signals.calendar_agendas.connect(_calendar_agendas)
    signals.rsvp_calendar.connect(_rsvp_calendar)
    signals.single_date_refused.connect(_single_date_refused)
    signals.waiting_elsewhere.connect(_waiting_elsewhere)
    signals.rsvp_changed.connect(_rsvp_changed)
    signals.sessions_chosen.connect(_sessions_chosen)
    signals.party_changed.connect(_party_changed)
    signals.occurrences_added.connect(_occurrences_added)
    signals.event_rescheduled.connect(_event_rescheduled)
