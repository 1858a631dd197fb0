"""Applying a parsed feed to the calendar: one source, one transaction (the caller commits).

- An event is found again by its UID (`ImportedEvent.key`); a lone changed date whose series is
  not in the feed by UID + RECURRENCE-ID.
- A lower SEQUENCE than the one applied is an older copy: ignored. An unchanged event (same
  digest) is not written again, so polling an unchanged feed changes nothing, feeds included.
- Dates: the RRULE expanded by `coalition.events.recurrence.expand` in the event's own zone (as
  our own series), RDATE dates added as rows of their own (`Occurrence.is_added`), EXDATE dates
  kept as cancelled rows (our feeds write them back as EXDATE), a RECURRENCE-ID VEVENT as an
  override of its date.
- STATUS:CANCELLED, or an upcoming event gone from the feed, cancels it here through the
  events' own `cancel_event` / `cancel_occurrence`, whose signals tell the people who RSVP'd.
- Events first published here are skipped (`is_ours`): our UID (`event-<id>@<our host>`), our
  UID as X-COALITION-ORIGIN (another instance that imported our feed re-publishes our event
  under its own UID: A -> B -> A), or a URL of an event page of ours. A member calendar that
  subscribes to ours must not bring our events back as copies. Our feeds write the origin of
  every imported event in turn (`events/ics.py`, `signals.calendar_origin`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from coalition import signals
from coalition.db import utcnow
from coalition.events import recurrence
from coalition.events.lifecycle import cancel_event
from coalition.events.models import (
    Event,
    EventStatus,
    EventTranslation,
    EventType,
    Occurrence,
)
from coalition.events.occurrences import cancel_occurrence, restore_occurrence
from coalition.extensions import db
from coalition.rsvps.models import RSVP
from coalition.settings.operations import get_setting
from coalition.sources.ical import Incoming, Parsed, Series, split_location
from coalition.sources.models import ImportedEvent, Source


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0
    skipped_own: int = 0
    filtered: int = 0
    refused: dict[str, int] = field(default_factory=dict)


#: What notices say of a date the feed dropped or cancelled (in each reader's language; the
#: date's page says it from its source, `sources.views.source_cancel_reason`).
_DATE_REMOVED = _l("This date was removed from the calendar.")
_DATE_CANCELLED = _l("This date was cancelled in the calendar.")


def own_uid_pattern() -> re.Pattern:
    """UIDs our feeds write (`coalition.feeds.builder.uid`): event-<id>@<BASE_URL's host>."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "coalition"
    return re.compile(rf"^event-\d+@{re.escape(host)}$", re.I)


def is_ours(incoming: Incoming, own: re.Pattern | None = None) -> bool:
    """An event first published here, whichever calendar brings it back: our UID, our UID as
    its origin (another instance that imported our feed re-publishes it under its own UID,
    with X-COALITION-ORIGIN), or a link to an event page of ours."""
    own = own or own_uid_pattern()
    if own.match(incoming.uid) or (incoming.origin and own.match(incoming.origin)):
        return True
    if incoming.url:
        ours = urlsplit(current_app.config["BASE_URL"])
        link = urlsplit(incoming.url)
        base_path = ours.path.rstrip("/")
        if (link.hostname or "").lower() == (ours.hostname or "").lower() and (
            link.path.startswith(f"{base_path}/events/")
        ):
            return True
    return False


def rule_matches(rule: dict, incoming: Incoming) -> bool:
    """Whether a type rule's words are in the event's CATEGORIES or title (case aside)."""
    words = str(rule.get("contains") or "").casefold()
    if not words:
        return False
    where = rule.get("where", "either")
    in_categories = any(words in c.casefold() for c in incoming.categories)
    in_title = words in incoming.summary.casefold()
    return (where in ("category", "either") and in_categories) or (
        where in ("title", "either") and in_title
    )


def type_for(source: Source, incoming: Incoming) -> EventType:
    """The first of the source's rules that matches; else a CATEGORIES value naming one of our
    types (slug or name); else the source's type. A rule whose type was retired is passed
    over."""
    active = list(db.session.scalars(sa.select(EventType).where(EventType.is_active.is_(True))))
    by_slug = {t.slug: t for t in active}
    for rule in source.type_rules or []:
        if rule_matches(rule, incoming) and rule.get("type") in by_slug:
            return by_slug[rule["type"]]
    wanted = {c.strip().lower() for c in incoming.categories}
    if wanted:
        for event_type in active:
            names = {event_type.slug.lower(), *(n.lower() for n in event_type.names.values())}
            if names & wanted:
                return event_type
    return source.type


def _passes_filter(source: Source, incoming: Incoming) -> bool:
    if source.filter_category and source.filter_category.strip().lower() not in {
        c.lower() for c in incoming.categories
    }:
        return False
    return not (
        source.filter_city and source.filter_city.strip().lower() not in incoming.location.lower()
    )


def _has_rsvps(occurrence: Occurrence) -> bool:
    if occurrence.id is None:
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(RSVP.id)).where(RSVP.occurrence_id == occurrence.id)
        )
    )


# Applying one event --------------------------------------------------------------------------


def _apply_fields(event: Event, source: Source, incoming: Incoming, *, is_new: bool) -> set[str]:
    """Write the master's fields; return what changed. Locally editable fields are written
    when the event is new only."""
    venue, address, city = split_location(incoming.location)
    values: dict = {
        "start_at": incoming.start,
        "end_at": incoming.end,
        "timezone": incoming.timezone,
        "is_all_day": incoming.is_all_day,
        "rrule": incoming.rrule,
    }
    if is_new or not source.is_editable_here("place"):
        values |= {"venue": venue, "address": address, "city": city or source.default_city}
    if is_new or not source.is_editable_here("type"):
        values["type"] = type_for(source, incoming)
    changed = set()
    for name, value in values.items():
        if getattr(event, name, None) != value:
            setattr(event, name, value)
            changed.add(name)
    text = next((t for t in event.translations if t.language == event.primary_language), None)
    if text is None:
        event.translations.append(
            EventTranslation(
                language=event.primary_language,
                title=incoming.summary,
                description=incoming.description,
            )
        )
        changed.add("texts")
    else:
        if (is_new or not source.is_editable_here("title")) and text.title != incoming.summary:
            text.title = incoming.summary
            changed.add("texts")
        if (
            is_new or not source.is_editable_here("description")
        ) and text.description != incoming.description:
            text.description = incoming.description
            changed.add("texts")
    return changed


def _wanted_dates(incoming: Incoming, now: datetime) -> dict:
    """{local date: (start UTC, is_added)} of the series' dates: the rule's, then RDATEs."""
    zone = ZoneInfo(incoming.timezone)
    local_start = incoming.start.astimezone(zone)
    if incoming.rrule:
        starts = [
            s.astimezone(UTC) for s in recurrence.expand(incoming.rrule, local_start, now=now)
        ]
    else:
        starts = [incoming.start]
    wanted = {s.astimezone(zone).date(): (s, False) for s in starts}
    for extra in incoming.rdates:
        day = extra.astimezone(zone).date()
        if day not in wanted and len(wanted) < recurrence.MAX_OCCURRENCES:
            wanted[day] = (extra, True)
    return wanted


def _date_key(occurrence: Occurrence) -> str:
    return occurrence.recurrence_id.astimezone(UTC).isoformat()


def _sync_dates(
    event: Event,
    incoming: Incoming,
    overrides: list[Incoming],
    now: datetime,
    by_feed: list[str] | None = None,
) -> bool:
    """Make the event's rows the feed's dates; True when any row changed. `by_feed`: the
    dates the feed cancelled (`ImportedEvent.cancelled_by_feed`), kept up to date here; one
    the feed lists again is on again, and its people are told."""
    by_feed = by_feed if by_feed is not None else []
    zone = ZoneInfo(incoming.timezone)
    duration = incoming.end - incoming.start
    wanted = _wanted_dates(incoming, now)
    excluded = {x.astimezone(zone).date() for x in incoming.exdates}
    excluded |= {
        o.recurrence_id.astimezone(zone).date() for o in overrides if o.status == "CANCELLED"
    }
    by_date = {o.recurrence_id.astimezone(zone).date(): o for o in event.occurrences}
    changed = False
    moved = {}
    restored = []

    def feed_cancels(occurrence: Occurrence, reason) -> None:
        cancel_occurrence(occurrence, None, notice_reason=reason)
        if _date_key(occurrence) not in by_feed:
            by_feed.append(_date_key(occurrence))

    for day, occurrence in list(by_date.items()):
        if day in wanted:
            continue
        if _has_rsvps(occurrence):
            if not occurrence.is_cancelled:
                feed_cancels(occurrence, _DATE_REMOVED)
                changed = True
        else:
            event.occurrences.remove(occurrence)
            changed = True
    for day, (start, is_added) in wanted.items():
        occurrence = by_date.get(day)
        if occurrence is None:
            occurrence = Occurrence(
                recurrence_id=start, start_at=start, end_at=start + duration, is_added=is_added,
                is_cancelled=day in excluded,
            )  # fmt: skip
            event.occurrences.append(occurrence)
            if day in excluded and _date_key(occurrence) not in by_feed:
                by_feed.append(_date_key(occurrence))
            changed = True
            continue
        if occurrence.recurrence_id != start or occurrence.is_added != is_added:
            occurrence.recurrence_id, occurrence.is_added = start, is_added
            changed = True
        if not occurrence.is_override and (occurrence.start_at, occurrence.end_at) != (
            start, start + duration
        ):  # fmt: skip
            if occurrence.id is not None:
                moved[occurrence.id] = occurrence.start_at
            occurrence.start_at, occurrence.end_at = start, start + duration
            changed = True
        if day in excluded and not occurrence.is_cancelled:
            feed_cancels(occurrence, _DATE_CANCELLED)
            changed = True
        elif (
            day not in excluded
            and occurrence.is_cancelled
            and occurrence.id is not None
            and _date_key(occurrence) in by_feed
        ):  # the feed lists it again: on again
            restore_occurrence(occurrence)
            by_feed.remove(_date_key(occurrence))
            restored.append(occurrence)
            changed = True
    by_date = {o.recurrence_id.astimezone(zone).date(): o for o in event.occurrences}
    for override in overrides:
        occurrence = by_date.get(override.recurrence_id.astimezone(zone).date())
        if occurrence is None:
            continue
        if override.status == "CANCELLED":
            if not occurrence.is_cancelled:
                feed_cancels(occurrence, _DATE_CANCELLED)
                changed = True
            continue
        venue, address, city = split_location(override.location)
        values = {"start_at": override.start, "end_at": override.end}
        if override.location and override.location != incoming.location:
            values |= {"venue": venue, "address": address, "city": city}
        for name, value in values.items():
            if getattr(occurrence, name) != value:
                if name == "start_at" and occurrence.id is not None:
                    moved[occurrence.id] = occurrence.start_at
                setattr(occurrence, name, value)
                occurrence.is_override = True
                changed = True
    if changed:
        db.session.flush()
        signals.event_rescheduled.send(event, occurrences=None, moved=moved)
    if event.status == EventStatus.published:
        for occurrence in restored:
            signals.event_restored.send(event, occurrence=occurrence)
    return changed


def _new_event(source: Source, incoming: Incoming) -> tuple[Event, bool]:
    """A new event for `incoming`: published at once, or a draft waiting for review."""
    waiting = not source.publishes_at_once
    event = Event(
        host_org=source.org,
        created_by_id=source.created_by_id,
        primary_language=source.language,
        status=EventStatus.draft,
        languages=[source.language],
    )
    if not waiting:
        if get_setting("events_require_approval"):
            event.status = EventStatus.pending
        else:
            event.status = EventStatus.published
            event.published_at = utcnow()
    return event, waiting


def apply_series(
    source: Source,
    series: Series,
    imported: ImportedEvent | None,
    now: datetime,
    *,
    orphan: Incoming | None = None,
) -> str:
    """Create, update or cancel the event for one UID (or, with `orphan`, for one lone changed
    date). Returns what happened: created, updated, cancelled or unchanged."""
    master = series.master
    if master is None:
        return "unchanged"
    if imported is not None and master.sequence < imported.sequence:
        # An older copy (a stale mirror, a restored backup): nothing changes here, not even
        # "gone from the feed", until the feed lists a version as new as the one applied.
        imported.last_seen_at = now
        return "unchanged"
    digest = series.digest()
    if imported is not None and imported.digest == digest and not imported.is_gone:
        imported.last_seen_at = now
        return "unchanged"
    if imported is None:
        if master.status == "CANCELLED":
            return "unchanged"  # nothing here to cancel
        event, waiting = _new_event(source, master)
        _apply_fields(event, source, master, is_new=True)
        db.session.add(event)
        imported = ImportedEvent(
            source=source, event=event, uid=master.uid, is_waiting=waiting,
            key=orphan_key(orphan) if orphan else master.uid,
            recurrence_id=orphan.recurrence_id if orphan else None,
        )  # fmt: skip
        db.session.add(imported)
        by_feed: list[str] = []
        _sync_dates(event, master, series.overrides, now, by_feed)
        imported.cancelled_by_feed = by_feed
        outcome = "created"
    else:
        event = imported.event
        by_feed = list(imported.cancelled_by_feed or [])
        coming_back = (
            event.status == EventStatus.cancelled
            and master.status != "CANCELLED"
            and (imported.is_gone or "*" in by_feed)
        )  # gone from the feed, or cancelled there, and listed again: on again (below)
        changed = _apply_fields(event, source, master, is_new=False)
        dates_changed = _sync_dates(event, master, series.overrides, now, by_feed)
        if (changed or dates_changed) and event.status != EventStatus.draft:
            event.sequence += 1
        if changed and event.status == EventStatus.published:
            db.session.flush()
            signals.event_changed.send(event, changed=changed, occurrences=None)
        outcome = "updated"
        if coming_back:
            _restore(event)
            by_feed = [k for k in by_feed if k != "*"]
        if master.status == "CANCELLED" and event.status != EventStatus.cancelled:
            _cancel(event, imported, _l("Cancelled in %(source)s's calendar.", source=source.name))
            if event.status == EventStatus.cancelled:
                by_feed.append("*")
            outcome = "cancelled"
        imported.cancelled_by_feed = by_feed
    imported.sequence = master.sequence
    imported.digest = digest
    imported.url = master.url
    imported.origin = master.origin
    imported.last_seen_at = now
    imported.is_gone = False
    return outcome


def _restore(event: Event) -> None:
    """The feed lists again an event it had cancelled or dropped: published again, as it was,
    and the people who RSVPed told that it is back on (`signals.event_restored`: each notice
    in its reader's language and channel), their reminders set again."""
    event.status, event.cancel_reason, event.cancelled_at = EventStatus.published, None, None
    event.sequence += 1
    db.session.flush()
    signals.event_rescheduled.send(event, occurrences=None)
    signals.event_restored.send(event, occurrence=None)


def _cancel(event: Event, imported: ImportedEvent, reason) -> None:
    """`reason` (lazy) goes into each notice in its reader's language; nothing is stored in
    English on the event: its page says it from the source (`source_cancel_reason`)."""
    if event.status == EventStatus.draft:
        # Never public: nobody to tell; it leaves the review queue.
        db.session.delete(imported)
        db.session.delete(event)
        return
    if event.status != EventStatus.cancelled:
        cancel_event(event, None, notice_reason=reason)


def apply_orphan(source: Source, override: Incoming, imported: ImportedEvent | None, now) -> str:
    """A changed date whose series the feed does not hold (Google's "one date of a series you
    were invited to"): an event of its own, keyed by UID + RECURRENCE-ID."""
    as_event = Incoming(**{**override.__dict__, "recurrence_id": None, "rrule": None,
                           "exdates": [], "rdates": []})  # fmt: skip
    series = Series(uid=as_event.uid, master=as_event)
    return apply_series(source, series, imported, now, orphan=override)


def orphan_key(override: Incoming) -> str:
    return f"{override.uid}|{override.recurrence_id.isoformat()}"


def apply_feed(source: Source, parsed: Parsed, now: datetime | None = None) -> SyncReport:
    """Apply everything `parsed` holds to `source`'s events, then cancel the upcoming ones the
    feed no longer lists."""
    now = now or utcnow()
    report = SyncReport(refused=dict(parsed.skipped))
    own = own_uid_pattern()
    existing = {i.key: i for i in source.imported}
    seen_keys: set[str] = set()
    for uid, series in parsed.series.items():
        first = series.master or (series.overrides[0] if series.overrides else None)
        if own.match(uid) or (first is not None and is_ours(first, own)):
            report.skipped_own += 1
            continue
        if first is None:
            continue
        if source.is_partner and not _passes_filter(source, first):
            report.filtered += 1
            continue
        if series.master is not None:
            seen_keys.add(uid)
            outcome = apply_series(source, series, existing.get(uid), now)
        else:
            outcome = "unchanged"
            for override in series.overrides:
                key = orphan_key(override)
                seen_keys.add(key)
                outcome = apply_orphan(source, override, existing.get(key), now)
        setattr(report, outcome, getattr(report, outcome) + 1)
    for key, imported in existing.items():
        if key in seen_keys or imported.is_gone:
            continue
        event = imported.event
        last_end = max((o.end_at for o in event.occurrences), default=event.end_at)
        if last_end <= now:
            continue  # a feed may drop what is over; that is not a cancellation
        imported.is_gone = True
        _cancel(event, imported, _l("Removed from %(source)s's calendar.", source=source.name))
        report.cancelled += 1
    db.session.flush()
    return report


def looks_emptied(source: Source, parsed: Parsed, now: datetime) -> bool:
    """A feed that suddenly lists nothing while we hold upcoming events from it is more likely
    broken than emptied on purpose: nothing is cancelled on its word."""
    if parsed.series:
        return False
    upcoming = [
        i for i in source.imported if not i.is_gone and i.event.end_at > now - timedelta(days=1)
    ]
    return len(upcoming) >= 3
