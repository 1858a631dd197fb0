"""Who may see where an event happens. Every page, feed and email asks here."""

from __future__ import annotations

from coalition.events.models import Event, Occurrence


def location_for(event: Event, occurrence: Occurrence | None, user) -> dict | None:
    """The place of `occurrence` as `user` may see it, or None.

    Public places are shown to all; a place hidden until N hours before is shown from then on;
    an attendees-only place is shown to confirmed attendees; the hosts always see it.
    """
    from coalition.rsvps.operations import is_confirmed_attendee

    allowed = (
        event.location_is_public(occurrence)
        or event.can_manage(user)
        or (occurrence is not None and is_confirmed_attendee(user, occurrence))
    )
    if not allowed:
        return None
    source = occurrence if occurrence is not None else None
    return {
        "venue": source.effective_venue if source else event.venue,
        "address": source.effective_address if source else event.address,
        "city": source.effective_city if source else event.city,
        "map_url": source.effective_map_url if source else event.map_url,
        "online_url": event.online_url,
    }
