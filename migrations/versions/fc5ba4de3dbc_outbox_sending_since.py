"""Outbox: texts record when their request to the provider started (sending_since)

Revision ID: fc5ba4de3dbc
Revises: c4e1a7d2f9b3
Create Date: 2026-11-29 19:16:40.235118

"""

import sqlalchemy as sa
from alembic import op

import coalition.db

# revision identifiers, used by Alembic.
revision = "fc5ba4de3dbc"
down_revision = "c4e1a7d2f9b3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outgoing_emails", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sending_since", coalition.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("outgoing_emails", schema=None) as batch_op:
        batch_op.drop_column("sending_since")
