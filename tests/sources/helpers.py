"""Building a source in tests, the way an organizer would (through the operations)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from coalition.events.models import Event
from coalition.events.types import ensure_default_types
from coalition.extensions import db
from coalition.orgs.models import OrgRole
from coalition.sources import operations
from coalition.sources.models import ImportedEvent, Source, SourceKind
from tests.factories import OrganizationFactory, member_of

#: Before the fixtures' dates (March 2027, across the 14th, when clocks go forward).
NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)


def make_source(url: str, *, kind=SourceKind.member, org=None, **fields) -> Source:
    ensure_default_types()
    org = org or OrganizationFactory()
    user = member_of(org, OrgRole.organizer)
    values = {"name": "Worcester Immigrant Coalition", "url": url, "type_slug": "meeting"}
    values.update(fields)
    source = operations.add_source(org, user, operations.SourceInput(**values), kind=kind)
    db.session.commit()
    return source


def imported_events(source: Source) -> dict[str, Event]:
    """{title: event} of what `source` brought."""
    rows = db.session.scalars(sa.select(ImportedEvent).where(ImportedEvent.source_id == source.id))
    return {row.event.title: row.event for row in rows}


def starts(event: Event, *, cancelled: bool = False) -> list[str]:
    """The event's dates as UTC ISO strings (not cancelled ones unless asked)."""
    return [
        o.start_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        for o in sorted(event.occurrences, key=lambda o: o.start_at)
        if cancelled or not o.is_cancelled
    ]
