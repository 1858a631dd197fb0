"""The event types a new coalition starts with (admins add, rename and retire types)."""

from __future__ import annotations

import sqlalchemy as sa

from coalition.events.models import EventType
from coalition.extensions import db

DEFAULT_TYPES: list[tuple[str, dict[str, str]]] = [
    ("rally", {"en": "Rally", "es": "Mitin", "ht": "Rasanbleman", "pt": "Ato"}),
    ("vigil", {"en": "Vigil", "es": "Vigilia", "ht": "Vijil", "pt": "Vigília"}),
    ("march", {"en": "March", "es": "Marcha", "ht": "Mach", "pt": "Marcha"}),
    ("dialogue", {"en": "Dialogue", "es": "Diálogo", "ht": "Dyalòg", "pt": "Diálogo"}),
    ("training", {"en": "Training", "es": "Capacitación", "ht": "Fòmasyon", "pt": "Treinamento"}),
    ("meeting", {"en": "Meeting", "es": "Reunión", "ht": "Reyinyon", "pt": "Reunião"}),
    ("forum", {"en": "Forum", "es": "Foro", "ht": "Fowòm", "pt": "Fórum"}),
    (
        "court-accompaniment",
        {
            "en": "Court accompaniment",
            "es": "Acompañamiento a la corte",
            "ht": "Akonpayman nan tribinal",
            "pt": "Acompanhamento no tribunal",
        },
    ),
    (
        "outreach",
        {
            "en": "Outreach / leafleting",
            "es": "Alcance / volanteo",
            "ht": "Sansibilizasyon / distribisyon feyè",
            "pt": "Divulgação / panfletagem",
        },
    ),
    (
        "strategy-session",
        {
            "en": "Strategy session",
            "es": "Sesión de estrategia",
            "ht": "Sesyon estrateji",
            "pt": "Sessão de estratégia",
        },
    ),
    ("other", {"en": "Other", "es": "Otro", "ht": "Lòt", "pt": "Outro"}),
]


def ensure_default_types() -> None:
    """Create the default types that are missing (the first migration does the same)."""
    existing = set(db.session.scalars(sa.select(EventType.slug)))
    for position, (slug, names) in enumerate(DEFAULT_TYPES):
        if slug not in existing:
            db.session.add(EventType(slug=slug, names=names, position=position))
    db.session.flush()
