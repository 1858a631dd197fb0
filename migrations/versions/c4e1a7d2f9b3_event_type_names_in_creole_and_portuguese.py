"""event type names in Haitian Creole and Portuguese

Revision ID: c4e1a7d2f9b3
Revises: c3a1f0d2e9b4
Create Date: 2026-11-29 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1a7d2f9b3'
down_revision = '5e1f0c2a7d44'
branch_labels = None
depends_on = None

#: Names of the default types (a copy: migrations never import app code). A name an admin
#: already gave in one of these languages is kept.
NAMES = {
    "rally": {"ht": "Rasanbleman", "pt": "Ato"},
    "vigil": {"ht": "Vijil", "pt": "Vigília"},
    "march": {"ht": "Mach", "pt": "Marcha"},
    "dialogue": {"ht": "Dyalòg", "pt": "Diálogo"},
    "training": {"ht": "Fòmasyon", "pt": "Treinamento"},
    "meeting": {"ht": "Reyinyon", "pt": "Reunião"},
    "forum": {"ht": "Fowòm", "pt": "Fórum"},
    "court-accompaniment": {"ht": "Akonpayman nan tribinal", "pt": "Acompanhamento no tribunal"},
    "outreach": {"ht": "Sansibilizasyon / distribisyon feyè", "pt": "Divulgação / panfletagem"},
    "strategy-session": {"ht": "Sesyon estrateji", "pt": "Sessão de estratégia"},
    "other": {"ht": "Lòt", "pt": "Outro"},
}

event_types = sa.table(
    "event_types",
    sa.column("id", sa.Integer),
    sa.column("slug", sa.String),
    sa.column("names", sa.JSON),
)


def _rows():
    bind = op.get_bind()
    return bind, bind.execute(
        sa.select(event_types.c.id, event_types.c.slug, event_types.c.names).where(
            event_types.c.slug.in_(list(NAMES))
        )
    ).all()


def upgrade():
    bind, rows = _rows()
    for id_, slug, names in rows:
        merged = {**NAMES[slug], **(names or {})}
        bind.execute(event_types.update().where(event_types.c.id == id_).values(names=merged))


def downgrade():
    bind, rows = _rows()
    for id_, slug, names in rows:
        kept = {k: v for k, v in (names or {}).items() if NAMES[slug].get(k) != v}
        bind.execute(event_types.update().where(event_types.c.id == id_).values(names=kept))
