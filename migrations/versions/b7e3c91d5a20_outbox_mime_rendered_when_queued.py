"""Outbox: the email's MIME, rendered when queued and stored encrypted (mime)

Revision ID: b7e3c91d5a20
Revises: efcc25daa6a0
Create Date: 2026-11-29 20:40:00

"""

import sqlalchemy as sa
from alembic import op

import coalition.crypto

# revision identifiers, used by Alembic.
revision = "b7e3c91d5a20"
down_revision = "efcc25daa6a0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outgoing_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mime", coalition.crypto.EncryptedBytes(), nullable=True))


def downgrade():
    with op.batch_alter_table("outgoing_emails", schema=None) as batch_op:
        batch_op.drop_column("mime")
