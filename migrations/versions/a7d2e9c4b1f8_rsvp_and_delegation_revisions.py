"""RSVPs and delegations: a revision raised by every update (versions of kept lists)

Revision ID: a7d2e9c4b1f8
Revises: f3a9c1e7b5d2
Create Date: 2026-12-06 23:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a7d2e9c4b1f8"
down_revision = "f3a9c1e7b5d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvps") as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("delegations") as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("delegations") as batch_op:
        batch_op.drop_column("revision")
    with op.batch_alter_table("rsvps") as batch_op:
        batch_op.drop_column("revision")
