"""reports: an open-ended series counted per calendar year (report_series.year,
report_series_links.year); series link keys stored encrypted and keying the contact itself,
so a new CONTACT_HASH_KEY does not split a person's count (report_series_keys.link_key; salt
kept for series started before)

Revision ID: f3a9c1e7b5d2
Revises: e8b4c2f6a1d3
Create Date: 2026-12-06 20:30:00

"""

import sqlalchemy as sa
from alembic import op

import coalition.crypto

revision = "f3a9c1e7b5d2"
down_revision = "e8b4c2f6a1d3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report_series") as batch_op:
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_report_series_event_id", type_="unique")
        batch_op.create_unique_constraint("uq_report_series_event_year", ["event_id", "year"])
    with op.batch_alter_table("report_series_links") as batch_op:
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=True))
    with op.batch_alter_table("report_series_keys") as batch_op:
        batch_op.add_column(
            sa.Column("link_key", coalition.crypto.EncryptedString(), nullable=True)
        )
        batch_op.alter_column("salt", existing_type=sa.String(length=64), nullable=True)


def downgrade():
    op.execute("DELETE FROM report_series_keys WHERE salt IS NULL")
    with op.batch_alter_table("report_series_keys") as batch_op:
        batch_op.alter_column("salt", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("link_key")
    with op.batch_alter_table("report_series_links") as batch_op:
        batch_op.drop_column("year")
    op.execute("DELETE FROM report_series WHERE year IS NOT NULL")
    with op.batch_alter_table("report_series") as batch_op:
        batch_op.drop_constraint("uq_report_series_event_year", type_="unique")
        batch_op.create_unique_constraint("uq_report_series_event_id", ["event_id"])
        batch_op.drop_column("year")
