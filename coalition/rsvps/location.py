"""What the holder of an RSVP may see of the place (the reveal rules are `events/privacy.py`;
this says what an RSVP's status means for them)."""

from __future__ import annotations

from datetime import datetime

from coalition.events.privacy import attendee_may_see, place
from coalition.rsvps.identity import own_rsvp
from coalition.rsvps.models import RSVP, RSVPStatus


def may_see(rsvp: RSVP, now: datetime | None = None) -> bool:
    """May the holder of this RSVP's private link (or its signed-in owner) see the place now?"""
    confirmed = rsvp.status == RSVPStatus.confirmed and rsvp.erased_at is None
    return attendee_may_see(rsvp.occurrence, confirmed=confirmed, now=now)


def location_for_rsvp(rsvp: RSVP, now: datetime | None = None) -> dict | None:
    """The place as this RSVP's holder may see it at `now` (pages, emails, reminders)."""
    if not may_see(rsvp, now):
        return None
    occurrence = rsvp.occurrence
    return place(occurrence.event, occurrence)


def shown_to_attendee(occurrence, *, user, **_) -> bool | None:
    """A signed-in person's own RSVP for the date lets them see its place (the receiver of
    `signals.place_shown_to_attendee`, for `events.privacy.may_see_location`)."""
    rsvp = own_rsvp(occurrence.id, user)
    return True if rsvp is not None and may_see(rsvp) else None
