"""Who may see where an event happens. Every page, feed and email asks here.

Attendees include undocumented people: a place that is not public (shared with confirmed
attendees, or announced N hours before the start) must not reach anyone else in any form: not
the venue, the address, a map link or coordinates. The town is public (`public_town`): people
need it to know whether they can come, and the calendar can be searched by it.
"""

from __future__ import annotations

from coalition.events.models import Event, Occurrence


def may_see_location(event: Event, occurrence: Occurrence | None, user) -> bool:
    """Public places are shown to all; a place hidden until N hours before is shown from then
    on; an attendees-only place is shown to confirmed attendees; the hosts always see it."""
    from coalition.rsvps.operations import is_confirmed_attendee

    return (
        event.location_is_public(occurrence)
        or event.can_manage(user)
        or (occurrence is not None and is_confirmed_attendee(user, occurrence))
    )


def public_town(event: Event, occurrence: Occurrence | None) -> str | None:
    """The town, shown to everyone even when the place itself is hidden."""
    return occurrence.effective_city if occurrence is not None else event.city


def location_for(event: Event, occurrence: Occurrence | None, user) -> dict | None:
    """The place of `occurrence` (its own when changed, else the event's) as `user` may see it,
    or None when it must stay hidden from them."""
    if not may_see_location(event, occurrence, user):
        return None
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
