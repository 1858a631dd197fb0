"""Events: an organizer's choice to show "N going" on the public page (off by default)

Revision ID: c4d81e6f2a37
Revises: d4e1a7c93b58
Create Date: 2026-12-05 09:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d81e6f2a37"
down_revision = "d4e1a7c93b58"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shows_going", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("shows_going")
