"""Outbox: urgent messages first (priority), leases held by a live worker (leased_by), channel
refusals told to the admins once (alerted_at)

Revision ID: d4a8e2f61b07
Revises: b7e3c91d5a20
Create Date: 2026-12-05 09:30:00

"""

import sqlalchemy as sa
from alembic import op

import coalition.db

# revision identifiers, used by Alembic.
revision = "d4a8e2f61b07"
down_revision = "b7e3c91d5a20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outgoing_emails", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.SmallInteger(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("leased_by", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_outgoing_emails_due")
        batch_op.create_index(
            "ix_outgoing_emails_due",
            ["channel", "status", "priority", "next_attempt_at", "id"],
            unique=False,
        )
    op.execute(
        "UPDATE outgoing_emails SET priority = 0 WHERE kind IN ('rapid_alert', 'rapid_update')"
    )
    with op.batch_alter_table("outbox_channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alerted_at", coalition.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_channels", schema=None) as batch_op:
        batch_op.drop_column("alerted_at")
    with op.batch_alter_table("outgoing_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_outgoing_emails_due")
        batch_op.create_index(
            "ix_outgoing_emails_due", ["channel", "status", "next_attempt_at", "id"], unique=False
        )
        batch_op.drop_column("leased_by")
        batch_op.drop_column("priority")
