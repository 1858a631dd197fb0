"""Who may see where an event happens, and when. Every page, feed, API answer, email and
reminder asks here (the reveal rules live in this file and nowhere else).

Attendees include undocumented people. The town is always public (people need to know whether
they can get there, and the calendar filters by it); the place itself (venue, street address,
map link, coordinates, online link) depends on the event's mode:

- `public`: everyone.
- `attendees`: confirmed attendees who hold their private link (or are signed in), and the hosts.
  Anyone who signs up with a working contact can see it: it stops crawlers, not a determined
  stranger.
- `hidden_until`: nobody but the hosts until `location_reveal_hours` before the start, attendees
  included, unless the organizer chose to tell confirmed attendees at once
  (`location_attendees_early`); then everyone.
- `approved`: RSVPs need a host's approval, and only approved (confirmed) attendees and the hosts
  ever see it.
"""

from __future__ import annotations

from datetime import datetime

from coalition.db import utcnow
from coalition.events.models import Event, LocationVisibility, Occurrence


def reveal_at(event: Event, occurrence: Occurrence | None) -> datetime | None:
    """When a `hidden_until` place becomes public (None for the other modes)."""
    if event.location_visibility != LocationVisibility.hidden_until or occurrence is None:
        return None
    return occurrence.reveal_at(event.location_reveal_hours)


def attendee_may_see(rsvp, now: datetime | None = None) -> bool:
    """May the holder of this RSVP's private link (or its signed-in owner) see the place now?"""
    from coalition.rsvps.models import RSVPStatus

    occurrence = rsvp.occurrence
    event = occurrence.event
    now = now or utcnow()
    if event.location_is_public(occurrence, now=now):
        return True
    if rsvp.status != RSVPStatus.confirmed or rsvp.erased_at is not None:
        return False
    if event.location_visibility == LocationVisibility.hidden_until:
        return event.location_attendees_early
    # attendees and approved: confirmed means approved in the approved mode.
    return True


def may_see_location(event: Event, occurrence: Occurrence | None, user) -> bool:
    """Public places are shown to all; hosts always see them; a signed-in person sees them as
    their own confirmed RSVP allows."""
    from coalition.rsvps.identity import own_rsvp

    if event.location_is_public(occurrence) or event.can_manage(user):
        return True
    if occurrence is None:
        return False
    rsvp = own_rsvp(occurrence.id, user)
    return rsvp is not None and attendee_may_see(rsvp)


def place(event: Event, occurrence: Occurrence | None) -> dict:
    """Where `occurrence` is (its own place when changed, else the event's), unconditionally:
    callers decide who may see it."""
    if occurrence is not None:
        venue, address = occurrence.effective_venue, occurrence.effective_address
        city, map_url = occurrence.effective_city, occurrence.effective_map_url
    else:
        venue, address, city, map_url = event.venue, event.address, event.city, event.map_url
    return {
        "venue": venue,
        "address": address,
        "city": city,
        "map_url": map_url,
        "online_url": event.online_url,
        "latitude": event.latitude,
        "longitude": event.longitude,
    }


def town(event: Event, occurrence: Occurrence | None) -> str | None:
    """The town, public in every mode."""
    return occurrence.effective_city if occurrence is not None else event.city


def location_for(event: Event, occurrence: Occurrence | None, user) -> dict | None:
    """The place of `occurrence` (its own when changed, else the event's) as `user` may see it,
    or None when it must stay hidden from them."""
    if not may_see_location(event, occurrence, user):
        return None
    return place(event, occurrence)


def public_location(event: Event, occurrence: Occurrence | None) -> dict | None:
    """The place as anyone at all may see it now (flyers, the embedded calendar), or None while
    it is not public, whoever asks (a host printing flyers prints the public version)."""
    if not event.location_is_public(occurrence):
        return None
    return place(event, occurrence)


def location_for_rsvp(rsvp, now: datetime | None = None) -> dict | None:
    """The place as this RSVP's holder may see it at `now` (pages, emails, reminders)."""
    if not attendee_may_see(rsvp, now):
        return None
    occurrence = rsvp.occurrence
    return place(occurrence.event, occurrence)


def hidden_place_note(event: Event, occurrence: Occurrence | None, rsvp=None) -> str | None:
    """Why the place is not shown, in one honest sentence (None when it is shown)."""
    from flask_babel import gettext as _

    from coalition.events.formatting import format_moment

    if event.location_visibility == LocationVisibility.public:
        return None
    when = reveal_at(event, occurrence)
    if event.location_visibility == LocationVisibility.hidden_until and when is not None:
        return _("The place is announced on %(when)s.", when=format_moment(when, event.zone))
    if event.location_visibility == LocationVisibility.approved:
        return _("The place is shared with attendees once the hosts approve them.")
    return _("The place is shared with confirmed attendees.")
