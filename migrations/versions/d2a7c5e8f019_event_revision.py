"""event revision (feeds cache each event's VEVENTs under it)

Revision ID: d2a7c5e8f019
Revises: c4f1e2a9d7b3
Create Date: 2026-11-29 16:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a7c5e8f019'
down_revision = 'c4f1e2a9d7b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('revision', sa.BigInteger(), nullable=False, server_default=sa.text('1'))
        )


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('revision')
