"""Why an imported event (or one of its dates) is cancelled when its calendar cancelled or
dropped it: nothing is stored in English on the event, the words are said in the language of
whoever reads them (a page's visitor, a feed's `?lang=`, the API's `language`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from coalition.extensions import db
from coalition.sources.models import ImportedEvent


def imported_from(event) -> ImportedEvent | None:
    """The link of an event to the source it came from (None: posted here)."""
    if event is None or event.id is None:
        return None
    return db.session.scalar(sa.select(ImportedEvent).where(ImportedEvent.event_id == event.id))


def _date_key(occurrence) -> str:
    from datetime import UTC

    return occurrence.recurrence_id.astimezone(UTC).isoformat()


def feed_cancel_reason(event, occurrence=None) -> str | None:
    """The reason in the current language when the feed cancelled the event (or, with
    `occurrence`, that date) and nobody typed one; None when an organizer did it here."""
    if event is None:
        return None
    if (occurrence if occurrence is not None else event).cancel_reason:
        return None
    imported = imported_from(event)
    if imported is None:
        return None
    by_feed = imported.cancelled_by_feed or []
    if occurrence is not None:
        if occurrence.is_cancelled and _date_key(occurrence) in by_feed:
            return _("This date was cancelled in the calendar.")
        return None
    if imported.is_gone:
        return _("Removed from %(source)s's calendar.", source=imported.source.name)
    if "*" in by_feed:
        return _("Cancelled in %(source)s's calendar.", source=imported.source.name)
    return None
