"""reports: count my attendance across this series (RSVP opt-in), pseudonymous per-series links
and their salt (deleted when the series' figures are final), opted-in return rate, a rapid
alert summary's public town

Revision ID: d5e1a7c9b3f2
Revises: d4e9a7b3c1f8
Create Date: 2026-12-06 05:30:00

"""

import sqlalchemy as sa
from alembic import op

import coalition.db

revision = "d5e1a7c9b3f2"
down_revision = "d4e9a7b3c1f8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvps") as batch_op:
        batch_op.add_column(
            sa.Column("counts_attendance", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("report_series") as batch_op:
        batch_op.add_column(
            sa.Column("opted_in", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("opted_in_came_to_all", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("is_final", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("rapid_alert_summaries") as batch_op:
        batch_op.add_column(sa.Column("town", sa.String(length=120), nullable=True))
    op.create_table(
        "report_series_keys",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("created_at", coalition.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_report_series_keys_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_report_series_keys")),
    )  # fmt: skip
    op.create_table(
        "report_series_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("came", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_report_series_links_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_series_links")),
        sa.UniqueConstraint("event_id", "link", name="uq_report_series_links"),
    )  # fmt: skip


def downgrade():
    op.drop_table("report_series_links")
    op.drop_table("report_series_keys")
    with op.batch_alter_table("rapid_alert_summaries") as batch_op:
        batch_op.drop_column("town")
    with op.batch_alter_table("report_series") as batch_op:
        batch_op.drop_column("is_final")
        batch_op.drop_column("opted_in_came_to_all")
        batch_op.drop_column("opted_in")
    with op.batch_alter_table("rsvps") as batch_op:
        batch_op.drop_column("counts_attendance")
