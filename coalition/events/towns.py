"""Towns a report may name: config `REPORT_TOWNS` and the cities published events show publicly.

A town someone typed (a delegation's, a rapid alert's) is kept in figures only when it is one of
these (in the form shown here); anything else counts as `OTHER`, never kept as typed.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from coalition.events.models import Event, EventStatus
from coalition.extensions import db

#: What a town not in the known list is counted as.
OTHER = "other"


def town_key(town: str | None) -> str:
    return " ".join((town or "").split()).casefold()


def public_towns() -> dict[str, str]:
    """Folded form → the form shown."""
    towns = {town_key(t): t.strip() for t in current_app.config.get("REPORT_TOWNS", ()) if t}
    for city in db.session.scalars(
        sa.select(Event.city).where(Event.city.is_not(None), Event.status == EventStatus.published)
    ).unique():
        towns.setdefault(town_key(city), city.strip())
    return towns


def public_town(typed: str | None, towns: dict[str, str] | None = None) -> str:
    """The shown form of a typed town if the calendar shows it publicly, else `OTHER`."""
    towns = public_towns() if towns is None else towns
    return towns.get(town_key(typed), OTHER)
