"""Notices to the people who RSVPed: an event changed, an event or one date was cancelled, or
is on again.

Queued in the same transaction as the change (the worker delivers them), each in the person's
own language, only to people with an active RSVP for an occurrence still ahead.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coalition.db import utcnow
from coalition.events.models import Event, Occurrence
from coalition.extensions import db
from coalition.rsvps.models import RSVP, RSVPStatus

#: What changed, in words an attendee understands (field names from events.operations).
CHANGE_LABELS = {
    "start_at": _l("the date or time"),
    "end_at": _l("the end time"),
    "timezone": _l("the time zone"),
    "is_all_day": _l("the time"),
    "rrule": _l("the dates of the series"),
    "venue": _l("the place"),
    "address": _l("the address"),
    "city": _l("the city"),
    "map_url": _l("the map"),
    "online_url": _l("the online link"),
    "location_visibility": _l("who can see the place"),
    "note": _l("a note from the organizers"),
}


def _people(occurrences: list[Occurrence]) -> list[RSVP]:
    ids = [o.id for o in occurrences if o.end_at > utcnow()]
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(RSVP).where(
                RSVP.occurrence_id.in_(ids),
                RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted]),
                sa.or_(RSVP.email.is_not(None), RSVP.phone.is_not(None)),
            )
        )
    )


def _send(rsvp: RSVP, *, kind: str, subject, template: str, **context) -> None:
    """Queue the notice with the date's updated `.ics` (same UID as the feeds, SEQUENCE raised),
    so that a calendar that has the date updates it in place; phone only: the same notice by
    text, at once (no quiet hours)."""
    from coalition.events.ics import ics_attachment
    from coalition.rsvps.operations import mail_rsvp

    ics = [ics_attachment(rsvp.occurrence, rsvp.language)] if rsvp.email else None
    mail_rsvp(rsvp, kind=kind, subject=subject, template=template, attachments=ics, **context)


def notify_change(event: Event, changed: set[str], occurrences: list[Occurrence] | None = None):
    """Tell attendees what changed (only changes a person must act on)."""
    labels = [CHANGE_LABELS[name] for name in CHANGE_LABELS if name in changed]
    if not labels:
        return
    for rsvp in _people(occurrences or event.occurrences):
        title = event.translation(rsvp.language).title
        _send(
            rsvp,
            kind="event_changed",
            subject=_l("Changed: %(title)s", title=title),
            template="reminders/changed",
            changes=labels,
        )


def notify_cancellation(event: Event, reason: str, occurrence: Occurrence | None = None):
    occurrences = [occurrence] if occurrence is not None else list(event.occurrences)
    for rsvp in _people(occurrences):
        title = event.translation(rsvp.language).title
        _send(
            rsvp,
            kind="event_cancelled",
            subject=_l("Cancelled: %(title)s", title=title),
            template="reminders/cancelled",
            reason=reason,
        )
    from coalition.volunteers.operations import notify_cancellation as tell_helpers

    tell_helpers(occurrences, reason)


def notify_restored(event: Event, occurrence: Occurrence | None = None):
    """Tell the people who RSVPed that the event (or the date) they were told was cancelled is
    on again, and that their RSVP stands; the `.ics` puts it back in their calendar."""
    occurrences = [occurrence] if occurrence is not None else list(event.occurrences)
    for rsvp in _people([o for o in occurrences if not o.is_cancelled]):
        title = event.translation(rsvp.language).title
        _send(
            rsvp,
            kind="event_restored",
            subject=_l("Back on: %(title)s", title=title),
            template="reminders/restored",
        )
    from coalition.volunteers.operations import notify_restored as tell_helpers

    tell_helpers(occurrences)
