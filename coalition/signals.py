"""What happened, for the packages that follow it (blinker signals, as Flask uses them).

The packages depend one way (the layers of docs/ARCHITECTURE.md, kept by `lint-imports`):
events ← rsvps ← delegations, sessions, volunteers ← reminders (and its notices).
A package lower down never calls one higher up, not even inside a function: it sends a signal
here, inside the same transaction, and the receivers do their part with the same session:
reminders keep their rows in step, notices tell attendees, the waitlist takes freed seats.
Receivers run synchronously, before `send` returns, so the sender's order of signals is the
order of effects. This module only defines the signals: it imports no feature. Each feature
connects its own receivers (`<feature>/receivers.py`, `connect()`), and the app factory calls
them (`coalition.register_signal_receivers`): blinker connects a receiver once however many
apps are made.

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

#: A package built on RSVPs made an RSVP or gave it its seat itself, not through
#: `rsvps.operations` (a whole-series registration, its new dates, its promotion from the
#: waitlist) (sender: the RSVP; `now`). Its reminders follow.
rsvp_placed = _signals.signal("rsvp-placed")

#: A helper signed up, changed, was moved with their shift, changed their consent to reminders
#: or cancelled (sender: the Helper; `now`). Their reminders follow.
helper_changed = _signals.signal("helper-changed")

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

#: An event (or one of its dates) that was cancelled is on again (sender: the Event;
#: `occurrence`: the date, None for the whole event): an imported event back in its calendar.
#: Notices follow.
event_restored = _signals.signal("event-restored")

#: The channels and the ground floor (core, access) know no feature: they announce and ask here.
#:
#: A text came in from a phone (sender: the phone, E.164; `body`). A receiver that takes it as
#: an answer of its own (a responder's 1/YES to an alert) returns the text to reply with, else
#: None; when none does, the channel honours STOP/START/HELP.
text_received = _signals.signal("text-received")

#: A channel must tell the coalition's admins something (sender: None). A receiver returns a
#: list of (email, language) of the admins.
admin_contacts = _signals.signal("admin-contacts")

#: A signed-in person is about to reach a page (sender: the user). A receiver returns True when
#: they must set up a second factor first.
two_factor_pending = _signals.signal("two-factor-pending")

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


#: Seats of a date held without an RSVP of their own (sender: the occurrence id). A receiver
#: returns a SQL scalar subquery counting them (a delegation's lead), or None.
seats_held_elsewhere = _signals.signal("seats-held-elsewhere")

#: A date's RSVP form is asked for (sender: the occurrence). A receiver returns the address of
#: the form that takes the registration instead (a whole series), or None.
rsvp_form_elsewhere = _signals.signal("rsvp-form-elsewhere")

#: The public RSVP form of a date was posted (sender: the occurrence; `form`: the posted fields;
#: `data`: the RSVPInput about to be submitted). A receiver reads its own fields into `data`
#: (the sessions chosen) and returns what the page after the form lists of them ((title,
#: waits) pairs), or None; it refuses a bad choice with an `RSVPError`.
rsvp_form_posted = _signals.signal("rsvp-form-posted")

#: Whether a signed-in person may see a hidden place as an attendee (sender: the occurrence;
#: `user`). A receiver returns True when the person's own RSVP there lets them see it, else
#: None.
place_shown_to_attendee = _signals.signal("place-shown-to-attendee")

#: A calendar (a feed's text of an event, a date's `.ics`) is written with these dates (sender: the
#: event; `occurrences`). A receiver returns {occurrence id: text} of the dates that have an
#: agenda (their sessions), added at the end of their DESCRIPTION.
calendar_agendas = _signals.signal("calendar-agendas")

#: A person's `.ics` of their date is written (sender: the RSVP; `language`). A receiver returns
#: a list of VEVENTs of theirs to add (their sessions of that date).
rsvp_calendar = _signals.signal("rsvp-calendar")


def answers(signal, sender, **kwargs) -> list:
    """The receivers' non-None answers to a question `signal`."""
    return [answer for _receiver, answer in signal.send(sender, **kwargs) if answer is not None]


#: Where an event was first published, asked by the feeds (sender: the event): an event imported
#: from another calendar answers its UID there, written as X-COALITION-ORIGIN so that an
#: instance importing our feed recognizes its own events re-published by us; else None.
calendar_origin = _signals.signal("calendar-origin")


#: Why an event (or, with `occurrence`, one of its dates) is cancelled, asked when no reason
#: was typed (sender: the event): an imported event its calendar cancelled answers words in
#: the current language (a page's, a feed's `?lang=`, the API's); else None.
cancel_reason_asked = _signals.signal("cancel-reason-asked")


#: A draft is about to be deleted with everything in the database that hangs on it (sender: the
#: event). Receivers remove what is kept outside the database (its picture's files).
event_deleting = _signals.signal("event-deleting")


#: The retention purge is about to erase the personal data of dates that ended (sender: None;
#: `cutoff`: the dates that ended before it, the ones purged before included; `now`).
#: Receivers keep what must outlive the people (reports freeze each date's counts once), before
#: anything is blanked, in the same transaction.
occurrence_purging = _signals.signal("occurrence-purging")
