"""A partner coalition's event collects its RSVPs on the partner's site, not here; an event its
feed cancelled says why in each reader's language (connected by the app factory,
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
        .where(ImportedEvent.event_id == event.id, Source.kind == SourceKind.partner)
    )
    if is_partner:
        return _l("RSVPs for this event are taken on the partner coalition's site.")
    return None


def _cancel_reason(event, *, occurrence=None, **_):
    return reasons.feed_cancel_reason(event, occurrence)


def connect() -> None:
    signals.single_date_refused.connect(_single_date_refused)
    signals.cancel_reason_asked.connect(_cancel_reason)
