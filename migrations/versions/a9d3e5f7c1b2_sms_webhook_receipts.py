"""sms webhook receipts: a signed webhook acts once

Revision ID: a9d3e5f7c1b2
Revises: c4d81e6f2a37
Create Date: 2026-12-05 09:30:00

"""

import sqlalchemy as sa
from alembic import op

import coalition.db

revision = "a9d3e5f7c1b2"
down_revision = "c4d81e6f2a37"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sms_webhook_receipts",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("received_at", coalition.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sms_webhook_receipts")),
    )
    with op.batch_alter_table("sms_webhook_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sms_webhook_receipts_received_at"), ["received_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("sms_webhook_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_webhook_receipts_received_at"))
    op.drop_table("sms_webhook_receipts")
