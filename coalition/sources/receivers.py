"""A partner coalition's event collects its RSVPs on the partner's site, not here (unless the
admins chose to take them here for that partner); an event its
feed cancelled says why in each reader's language; an imported event carries in our feeds the
UID it had where it was first published (connected by the app factory,
`coalition.register_signal_receivers`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coalition import signals
from coalition.extensions import db
from coalition.sources import reasons
from coalition.sources.models import ImportedEvent, Source, SourceKind


def _single_date_refused(event, **_):
    is_partner = db.session.scalar(
        sa.select(sa.func.count(ImportedEvent.id))
        .join(Source)
        .where(
            ImportedEvent.event_id == event.id,
            Source.kind == SourceKind.partner,
            Source.rsvps_here.is_(False),
        )
    )
    if is_partner:
        return _l("RSVPs for this event are taken on the partner coalition's site.")
    return None


def _cancel_reason(event, *, occurrence=None, **_):
    return reasons.feed_cancel_reason(event, occurrence)


def _origin(event, **_):
    imported = reasons.imported_from(event)
    if imported is None:
        return None
    return imported.origin or imported.uid


def connect() -> None:
    signals.single_date_refused.connect(_single_date_refused)
    signals.cancel_reason_asked.connect(_cancel_reason)
    signals.calendar_origin.connect(_origin)
