"""What happened, for the packages that follow it (blinker signals, as Flask uses them).

The packages depend one way: events ← rsvps ← delegations ← reminders (and its notices); the
features built on RSVPs (sessions) sit above rsvps too.
A package lower down never calls one higher up: it sends a signal here, inside the same
transaction, and the receivers (connected once at app creation, `connect_receivers`) do
their part with the same session: reminders keep their rows in step, notices tell attendees,
the waitlist takes freed seats. Receivers run synchronously, before `send` returns, so the
sender's order of signals is the order of effects. `tests/core/test_layers.py` refuses an
import the wrong way.

Each signal's sender is the changed row; keyword arguments as documented.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: An RSVP's status, consent, contact or ride need changed (sender: the RSVP; `now`). Reminders
#: follow, and a rider's seat in a car is given up once the RSVP no longer needs it.
rsvp_changed = _signals.signal("rsvp-changed")

#: The person chose their sessions of the date with the RSVP form, the API or their private link
#: (sender: the RSVP, active; `sessions`: the chosen `EventSession`s; `now`). Sessions follow.
sessions_chosen = _signals.signal("sessions-chosen")

#: An active RSVP's party size changed (sender: the RSVP, already flushed with its new size;
#: `previous`: the old size; `now`). Sessions re-check their seats: a receiver may refuse a
#: growth that does not fit (`RSVPError`), and the caller rolls back. A rider's car follows
#: (the party leaves a car it no longer fits in).
party_changed = _signals.signal("party-changed")

#: A delegation was started (sender: the Delegation; `now`). The lead's reminders follow.
delegation_started = _signals.signal("delegation-started")

#: An event's dates or reminder offsets changed, or it was published, unpublished, cancelled or
#: restored (sender: the Event; `occurrences`: the dates concerned, None for all; `now`;
#: `moved`, when dates moved: {occurrence id: its start before, UTC}). Reminders follow, and
#: volunteer shifts move with their dates.
event_rescheduled = _signals.signal("event-rescheduled")

#: The worker materialized new dates of a series (sender: the Event; `occurrences`: the new
#: rows, flushed; `now`). Registrations for every date follow.
occurrences_added = _signals.signal("occurrences-added")

#: A date's seats were raised or its limit removed (sender: the Occurrence). The waitlist
#: takes the seats.
seats_changed = _signals.signal("seats-changed")

#: A published event changed in a way attendees must hear about (sender: the Event; `changed`:
#: the field names; `occurrences`: the dates concerned, None for all). Notices follow.
event_changed = _signals.signal("event-changed")

#: An event or one of its dates was cancelled (sender: the Event; `reason`; `occurrence`: the
#: date, None for the whole event). Notices follow.
event_cancelled = _signals.signal("event-cancelled")

#: Questions a lower package asks the ones above it (each receiver's return value is its answer;
#: `answers` collects them):
#:
#: A single date's RSVP is about to be taken (sender: the event). A receiver returns why the event
#: takes no single-date RSVP (a lazy string), or None.
single_date_refused = _signals.signal("single-date-refused")

#: The date's own waitlist is about to be promoted (sender: the occurrence). A receiver returns a
#: SQL clause naming the waitlisted RSVPs it promotes itself (whole-series registrations), or
#: None.
waiting_elsewhere = _signals.signal("waiting-elsewhere")


def answers(signal, sender, **kwargs) -> list:
    """The receivers' non-None answers to a question `signal`."""
    return [answer for _receiver, answer in signal.send(sender, **kwargs) if answer is not None]


#: A draft is about to be deleted with everything in the database that hangs on it (sender: the
#: event). Receivers remove what is kept outside the database (its picture's files).
event_deleting = _signals.signal("event-deleting")


#: The retention purge is about to erase the personal data of dates that ended (sender: None;
#: `occurrences`: a SELECT of those dates' ids, the ones purged before included; `now`).
#: Receivers keep what must outlive the people (reports freeze each date's counts once), before
#: anything is blanked, in the same transaction.
occurrence_purging = _signals.signal("occurrence-purging")


def connect_receivers() -> None:
    """Connect every receiver (idempotent: a receiver is connected once however many apps)."""
    from coalition.reach import receivers as reach_receivers
    from coalition.reminders import receivers as reminder_receivers
    from coalition.rsvps import receivers as rsvp_receivers
    from coalition.sessions import receivers as session_receivers
    from coalition.volunteers import receivers as volunteer_receivers

    rsvp_receivers.connect()
    reminder_receivers.connect()
    session_receivers.connect()
    volunteer_receivers.connect()
    reach_receivers.connect()
