"""The events list's JSON, one event at a time from the fragment store (`core/fragments.py`).

An event's JSON is stored under what names it: its `revision` (texts, dates, status,
co-sponsors), the dates listed with it, the `updated_at` of its type and of the organizations it
names, whether its place is public at this moment (a `hidden_until` place is revealed by the
clock) and the language asked for. Lists carry public events only, and their JSON has nothing
personal, so one event's JSON serves every caller whose list has that event with those dates.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from markupsafe import Markup

from coalition.api.queries import Dated, EventPage, Listed, load_events
from coalition.api.serializers import event_json
from coalition.core.fragments import cached_many
from coalition.events.cards import names
from coalition.events.models import LocationVisibility

#: Version of an event's JSON: raise it when `event_json` changes what it writes.
JSON_LAYOUT = 1


def _current(dates: list[Dated]) -> Dated | None:
    """As `serializers.next_occurrence`: the first date not cancelled, else the first."""
    return next((d for d in dates if not d.is_cancelled), dates[0] if dates else None)


def _place_shown(item: Listed, now: datetime) -> int:
    """`Event.location_is_public` for the date the JSON describes."""
    if item.location_visibility == LocationVisibility.public:
        return 1
    current = _current(item.dates)
    if item.location_visibility == LocationVisibility.hidden_until and current is not None:
        return int(now >= current.start_at - timedelta(hours=item.location_reveal_hours or 0))
    return 0


def _stamp(moment: datetime | None) -> str:
    return "-" if moment is None else moment.isoformat()


def events_json(page: EventPage, *, language: str | None, now: datetime) -> list[Markup]:
    """Each listed event's JSON (encoded), stored ones from the fragment store, the others
    made from the events read together (`load_events`)."""
    known = names()
    loaded: dict = {}

    def render(item: Listed):
        def run() -> str:
            if not loaded:
                loaded["events"], loaded["dates"] = load_events(page.events)
            event = loaded["events"][item.event_id]
            dates = loaded["dates"].get(item.event_id, [])
            return orjson.dumps(event_json(event, dates, language=language, now=now)).decode()

        return run

    items = [
        (
            (
                JSON_LAYOUT,
                item.event_id,
                item.revision,
                ",".join(str(d.id) for d in item.dates),
                language or "-",
                _place_shown(item, now),
                item.type_id,
                _stamp(known.types.get(item.type_id, ({}, None, ""))[1]),
                item.host_org_id,
                _stamp(known.orgs.get(item.host_org_id, ("", None))[1]),
                _stamp(item.cosponsors_changed),
            ),
            render(item),
        )
        for item in page.events
    ]
    return cached_many("api-event", items)
