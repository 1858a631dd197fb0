"""Changing one date of an event: cancelling, restoring or overriding one occurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from coalition import signals
from coalition.events.models import (
    EventStatus,
    Occurrence,
)
from coalition.events.operations import EventError
from coalition.extensions import db


def cancel_occurrence(occurrence: Occurrence, reason: str | None, *, notice_reason=None) -> None:
    """`notice_reason`: as for `lifecycle.cancel_event` (what notices say, in each reader's
    language, when no typed reason is stored)."""
    if occurrence.is_cancelled:
        raise EventError(_l("This date is already cancelled."))
    occurrence.is_cancelled = True
    occurrence.cancel_reason = reason
    occurrence.sequence += 1
    occurrence.event.sequence += 1
    signals.event_cancelled.send(
        occurrence.event, reason=notice_reason or reason, occurrence=occurrence
    )
    signals.event_rescheduled.send(occurrence.event, occurrences=[occurrence])


def restore_occurrence(occurrence: Occurrence) -> None:
    if not occurrence.is_cancelled:
        raise EventError(_l("This date is not cancelled."))
    occurrence.is_cancelled = False
    occurrence.cancel_reason = None
    occurrence.sequence += 1
    occurrence.event.sequence += 1
    signals.event_rescheduled.send(occurrence.event, occurrences=[occurrence])


@dataclass
class OccurrenceChange:
    start_date: date
    start_time: time | None
    end_time: time | None
    venue: str | None = None
    address: str | None = None
    city: str | None = None
    map_url: str | None = None
    note: str | None = None
    capacity: int | None = None


def override_occurrence(occurrence: Occurrence, change: OccurrenceChange) -> set[str]:
    """Change one date's time, place, note or seats; the rest of the series is untouched."""
    event = occurrence.event
    zone = event.zone
    if event.is_all_day:
        start_local = datetime.combine(change.start_date, time(0, 0), tzinfo=zone)
        end_local = start_local + (event.end_at - event.start_at)
    else:
        if change.start_time is None:
            raise EventError(_l("Give a start time."), "start_time")
        start_local = datetime.combine(change.start_date, change.start_time, tzinfo=zone)
        end_time = change.end_time or (start_local + event.duration).time()
        end_local = datetime.combine(change.start_date, end_time, tzinfo=zone)
        if end_local <= start_local:
            end_local += timedelta(days=1) if change.end_time else timedelta(0)
    start_at, end_at = start_local.astimezone(UTC), end_local.astimezone(UTC)
    if end_at <= start_at:
        raise EventError(_l("The end must be after the start."), "end_time")
    if change.capacity is not None and change.capacity < 1:
        raise EventError(_l("Seats must be a positive number."), "capacity")
    values = {
        "start_at": start_at,
        "end_at": end_at,
        "venue": change.venue or None,
        "address": change.address or None,
        "city": change.city or None,
        "map_url": change.map_url or None,
        "note": change.note or None,
        "capacity": change.capacity,
    }
    changed = {k for k, v in values.items() if getattr(occurrence, k) != v}
    moved = {occurrence.id: occurrence.start_at} if "start_at" in changed else {}
    for name in changed:
        setattr(occurrence, name, values[name])
    if changed:
        occurrence.is_override = True
        occurrence.sequence += 1
        event.sequence += 1
        db.session.flush()
        signals.event_rescheduled.send(event, occurrences=[occurrence], moved=moved)
        if event.status == EventStatus.published:
            signals.event_changed.send(event, changed=changed, occurrences=[occurrence])
        if "capacity" in changed:
            signals.seats_changed.send(occurrence)
    return changed


# Publishing and moderation ---------------------------------------------------------------------
