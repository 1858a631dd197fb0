"""Sources: adding one, polling it politely, the review queue. Functions flush, never commit
(the worker commits each source's poll on its own, so one broken feed never holds the others)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from coalition.auth.models import User
from coalition.db import utcnow
from coalition.events.lifecycle import publish
from coalition.events.models import EventStatus, EventType
from coalition.extensions import db
from coalition.orgs.models import Organization
from coalition.sources import fetch as fetching
from coalition.sources import ical, messages, sync
from coalition.sources.models import LOCALLY_EDITABLE, ImportedEvent, Source, SourceKind

log = logging.getLogger("coalition.sources")

#: The longest wait between polls of a failing source.
MAX_BACKOFF = timedelta(days=1)
#: Poll intervals an organizer may choose (minutes).
POLL_CHOICES = (30, 60, 180, 720, 1440)
#: Where a type rule looks: the event's CATEGORIES, its title, or either.
RULE_WHERE = ("category", "title", "either")
#: The most type rules a source keeps, and the longest words a rule looks for.
MAX_RULES = 10
MAX_RULE_WORDS = 80


class SourceError(ValueError):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


@dataclass
class TypeRule:
    """One row of a source's type rules, as typed: "if <where> contains <contains>, the event
    is of type <type_slug>"."""

    where: str
    contains: str
    type_slug: str


@dataclass
class SourceInput:
    name: str
    url: str
    type_slug: str
    language: str = "en"
    default_city: str | None = None
    publishes_at_once: bool = False
    editable_fields: tuple[str, ...] = ()
    poll_minutes: int = 60
    filter_category: str | None = None
    filter_city: str | None = None
    #: The type rules, in order (None: keep the source's as they are).
    type_rules: tuple[TypeRule, ...] | None = None
    #: A partner's events take their RSVPs here.
    rsvps_here: bool = False


def check_rules(rules: tuple[TypeRule, ...]) -> list[dict]:
    """The rules as stored, in order; a blank row is left out. A rule missing its words or
    its type, or naming a type not in the list, is refused with its row's number."""
    active = {t.slug for t in db.session.scalars(
        sa.select(EventType).where(EventType.is_active.is_(True)))}  # fmt: skip
    kept: list[dict] = []
    for index, rule in enumerate(rules):
        number = index + 1
        words = " ".join((rule.contains or "").split())
        slug = (rule.type_slug or "").strip()
        if not words and not slug:
            continue
        if not words:
            raise SourceError(_l("Rule %(num)d: give the words to look for.", num=number),
                              f"type_rules-{index}-contains")  # fmt: skip
        if len(words) > MAX_RULE_WORDS:
            raise SourceError(
                _l("Rule %(num)d: the words to look for are too long (at most %(max)d "
                   "characters).", num=number, max=MAX_RULE_WORDS),
                f"type_rules-{index}-contains",
            )  # fmt: skip
        if rule.where not in RULE_WHERE:
            raise SourceError(_l("Rule %(num)d: choose where to look from the list.", num=number),
                              f"type_rules-{index}-where")  # fmt: skip
        if not slug:
            raise SourceError(_l("Rule %(num)d: choose the type it gives.", num=number),
                              f"type_rules-{index}-type_slug")  # fmt: skip
        if slug not in active:
            raise SourceError(_l("Rule %(num)d: choose a type from the list.", num=number),
                              f"type_rules-{index}-type_slug")  # fmt: skip
        kept.append({"where": rule.where, "contains": words, "type": slug})
    if len(kept) > MAX_RULES:
        raise SourceError(_l("At most %(num)d rules.", num=MAX_RULES), "type_rules")
    return kept


def _check(data: SourceInput) -> tuple[EventType, list[dict] | None]:
    if not data.name.strip():
        raise SourceError(_l("Give the calendar a name."), "name")
    url = data.url.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    data.url = url
    try:
        fetching.check_url(url)
    except fetching.FetchError as exc:
        raise SourceError(exc.message, "url") from exc
    if len(url) > 1000:
        raise SourceError(_l("The address is too long."), "url")
    event_type = db.session.scalar(
        sa.select(EventType).where(EventType.slug == data.type_slug, EventType.is_active.is_(True))
    )
    if event_type is None:
        raise SourceError(_l("Choose a type from the list."), "type_slug")
    if data.poll_minutes not in POLL_CHOICES:
        raise SourceError(_l("Choose how often from the list."), "poll_minutes")
    if any(name not in LOCALLY_EDITABLE for name in data.editable_fields):
        raise SourceError(_l("Choose fields from the list."), "editable_fields")
    rules = None if data.type_rules is None else check_rules(data.type_rules)
    return event_type, rules


def add_source(
    org: Organization, user: User, data: SourceInput, *, kind: SourceKind = SourceKind.member
) -> Source:
    event_type, rules = _check(data)
    source = Source(
        org=org,
        kind=kind,
        name=data.name.strip()[:160],
        url=data.url,
        created_by_id=user.id,
        type=event_type,
        language=data.language,
        default_city=(data.default_city or "").strip() or None,
        publishes_at_once=data.publishes_at_once,
        editable_fields=list(data.editable_fields),
        poll_minutes=data.poll_minutes,
        filter_category=(data.filter_category or "").strip() or None,
        filter_city=(data.filter_city or "").strip() or None,
        type_rules=rules or [],
        rsvps_here=kind == SourceKind.partner and data.rsvps_here,
        next_poll_at=utcnow(),
    )
    db.session.add(source)
    db.session.flush()
    return source


def update_source(source: Source, data: SourceInput) -> Source:
    """Change a source's address and mapping. The next poll reads the calendar afresh (no
    conditional GET) and applies the new mapping to the events already imported, except the
    fields the organizer now edits here."""
    event_type, rules = _check(data)
    source.etag = None
    source.last_modified = None
    source.name = data.name.strip()[:160]
    source.url = data.url
    source.type = event_type
    source.language = data.language
    source.default_city = (data.default_city or "").strip() or None
    source.publishes_at_once = data.publishes_at_once
    source.editable_fields = list(data.editable_fields)
    source.poll_minutes = data.poll_minutes
    if rules is not None:
        source.type_rules = rules
    if source.is_partner:  # the partner's form (admins only) holds its filters too
        source.filter_category = (data.filter_category or "").strip() or None
        source.filter_city = (data.filter_city or "").strip() or None
        source.rsvps_here = data.rsvps_here
    # The digests describe what the old mapping wrote: forget them so the next poll applies
    # the new one to every event.
    for item in source.imported:
        item.digest = ""
    db.session.flush()
    return source


def delete_source(source: Source) -> int:
    """Stop following a calendar for good. Its events stay as the organization's own events
    (published ones stay published, with their RSVPs; ones waiting for review stay drafts),
    detached from the source: no poll changes or cancels them any more. Returns how many."""
    kept = len(source.imported)
    db.session.delete(source)  # the ImportedEvent links go with it; the events do not
    db.session.flush()
    return kept


def backoff(failures: int, poll_minutes: int) -> timedelta:
    """The wait after `failures` failures in a row: the usual interval, doubled each time, at
    most a day."""
    return min(timedelta(minutes=poll_minutes) * (2 ** min(failures, 10)), MAX_BACKOFF)


def _note_error(source: Source, code: str | None, params: dict | None = None) -> None:
    """Keep the problem as a key and its parameters (put into words for each reader), and in
    English for the logs."""
    source.last_error_code = code
    source.last_error_params = dict(params) if code and params else None
    if code is None:
        source.last_error = None
        return
    with force_locale("en"):
        source.last_error = str(messages.render(code, params))


def _failed(source: Source, code: str, now: datetime, params: dict | None = None) -> None:
    source.failures += 1
    _note_error(source, code, params)
    source.next_poll_at = now + backoff(source.failures, source.poll_minutes)


def poll(source: Source, now: datetime | None = None) -> sync.SyncReport | None:
    """Fetch and apply one source. Never raises for what the feed does; the outcome is written
    on the source (last success, last error in plain words, next poll)."""
    now = now or utcnow()
    source.last_polled_at = now
    try:
        fetched = fetching.fetch(source.url, etag=source.etag, last_modified=source.last_modified)
    except fetching.FetchError as exc:
        _failed(source, exc.code, now, exc.params)
        return None
    if fetched.body is None:  # 304: nothing changed
        _succeeded(source, now)
        return sync.SyncReport()
    try:
        parsed = ical.parse(
            fetched.body,
            default_zone=current_app.config["COALITION_TIMEZONE"],
            max_events=current_app.config["SOURCES_MAX_EVENTS"],
        )
    except ical.FeedError:
        _failed(source, "not_ics", now)
        return None
    if sync.looks_emptied(source, parsed, now):
        _failed(source, "emptied", now)
        return None
    report = sync.apply_feed(source, parsed, now)
    source.etag = (fetched.etag or "")[:300] or None
    source.last_modified = (fetched.last_modified or "")[:100] or None
    source.events_seen = parsed.seen
    _succeeded(source, now)
    if report.refused:
        left_out = sum(report.refused.values())
        _note_error(source, "left_out", {"num": left_out})
    return report


def _succeeded(source: Source, now: datetime) -> None:
    source.failures = 0
    _note_error(source, None)
    source.last_success_at = now
    source.next_poll_at = now + timedelta(minutes=source.poll_minutes)


def due_sources(now: datetime, limit: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Source.id)
            .where(Source.is_active.is_(True), Source.next_poll_at <= now)
            .order_by(Source.next_poll_at, Source.id)
            .limit(limit)
        )
    )


def poll_due(now: datetime | None = None) -> int:
    """Poll the sources whose time has come, each committed on its own (the worker's job).
    A source that breaks in a way we did not foresee is recorded and pushed back, not retried
    at once."""
    now = now or utcnow()
    polled = 0
    for source_id in due_sources(now, current_app.config["SOURCES_PER_RUN"]):
        source = db.session.get(Source, source_id, with_for_update={"skip_locked": True})
        if source is None or source.next_poll_at > now:
            db.session.rollback()
            continue
        try:
            poll(source, now)
            db.session.commit()
        except Exception:
            log.exception("source %s could not be applied", source_id)
            db.session.rollback()
            source = db.session.get(Source, source_id)
            if source is not None:
                _failed(source, "unexpected", now)
                db.session.commit()
        polled += 1
    return polled


# Review queue -----------------------------------------------------------------------------------


def waiting(org: Organization) -> list[ImportedEvent]:
    return list(
        db.session.scalars(
            sa.select(ImportedEvent)
            .join(Source)
            .where(Source.org_id == org.id, ImportedEvent.is_waiting.is_(True))
            .order_by(ImportedEvent.id)
        )
    )


def accept(imported: ImportedEvent, user: User) -> EventStatus:
    imported.is_waiting = False
    if imported.event.status == EventStatus.draft:
        return publish(imported.event, user)
    return imported.event.status


def decline(imported: ImportedEvent) -> None:
    """Not for this calendar: the event stays a draft nobody sees, and leaves the queue; the
    next polls keep it in step without publishing it."""
    imported.is_waiting = False
    imported.event.moderation_note = str(_l("Not taken into this calendar."))
