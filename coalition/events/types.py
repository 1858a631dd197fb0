"""The event types a new coalition starts with (admins add, rename and retire types)."""

from __future__ import annotations

import sqlalchemy as sa

from coalition.events.models import EventType
from coalition.extensions import db

DEFAULT_TYPES: list[tuple[str, dict[str, str]]] = [
    ("rally", {"en": "Rally", "es": "Mitin"}),
    ("vigil", {"en": "Vigil", "es": "Vigilia"}),
    ("march", {"en": "March", "es": "Marcha"}),
    ("dialogue", {"en": "Dialogue", "es": "Diálogo"}),
    ("training", {"en": "Training", "es": "Capacitación"}),
    ("meeting", {"en": "Meeting", "es": "Reunión"}),
    ("forum", {"en": "Forum", "es": "Foro"}),
    ("court-accompaniment", {"en": "Court accompaniment", "es": "Acompañamiento a la corte"}),
    ("outreach", {"en": "Outreach / leafleting", "es": "Alcance / volanteo"}),
    ("strategy-session", {"en": "Strategy session", "es": "Sesión de estrategia"}),
    ("other", {"en": "Other", "es": "Otro"}),
]


def ensure_default_types() -> None:
    """Create the default types that are missing (the first migration does the same)."""
    existing = set(db.session.scalars(sa.select(EventType.slug)))
    for position, (slug, names) in enumerate(DEFAULT_TYPES):
        if slug not in existing:
            db.session.add(EventType(slug=slug, names=names, position=position))
    db.session.flush()
