"""sources: member organizations' and partner coalitions' calendars flowing in (issue 28)

Revision ID: b7c2e9d4a1f6
Revises: adb6813ae56b
Create Date: 2026-12-06 02:20:00

"""

import sqlalchemy as sa
from alembic import op

import coalition.db

revision = "b7c2e9d4a1f6"
down_revision = "adb6813ae56b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("member", "partner", name="sourcekind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", coalition.db.UTCDateTime(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("default_city", sa.String(length=120), nullable=True),
        sa.Column("publishes_at_once", sa.Boolean(), nullable=False),
        sa.Column("editable_fields", sa.JSON(), nullable=False),
        sa.Column("filter_category", sa.String(length=80), nullable=True),
        sa.Column("filter_city", sa.String(length=120), nullable=True),
        sa.Column("poll_minutes", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", coalition.db.UTCDateTime(), nullable=False),
        sa.Column("last_polled_at", coalition.db.UTCDateTime(), nullable=True),
        sa.Column("last_success_at", coalition.db.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("events_seen", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=300), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"],
            name=op.f("fk_sources_created_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"],
            name=op.f("fk_sources_org_id_organizations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"], ["event_types.id"],
            name=op.f("fk_sources_type_id_event_types"), ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
    )  # fmt: skip
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sources_next_poll_at"), ["next_poll_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sources_org_id"), ["org_id"], unique=False)
    op.create_table(
        "imported_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=500), nullable=False),
        sa.Column("recurrence_id", coalition.db.UTCDateTime(), nullable=True),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("is_waiting", sa.Boolean(), nullable=False),
        sa.Column("is_gone", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", coalition.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"],
            name=op.f("fk_imported_events_event_id_events"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"],
            name=op.f("fk_imported_events_source_id_sources"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_imported_events_event_id")),
        sa.UniqueConstraint("source_id", "key", name=op.f("uq_imported_events_source_id_key")),
    )  # fmt: skip
    # A plain ADD COLUMN: batch mode would copy the table and lose SQLite's expression index
    # (ix_occurrences_duration_sqlite), which it cannot reflect.
    op.add_column(
        "occurrences",
        sa.Column("is_added", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("occurrences", "is_added", server_default=None)


def downgrade():
    op.drop_column("occurrences", "is_added")
    op.drop_table("imported_events")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_org_id"))
        batch_op.drop_index(batch_op.f("ix_sources_next_poll_at"))
    op.drop_table("sources")
