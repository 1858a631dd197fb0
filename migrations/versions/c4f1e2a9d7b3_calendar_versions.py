"""calendar versions

Revision ID: c4f1e2a9d7b3
Revises: b3fc87207ba0
Create Date: 2026-11-29 16:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import coalition.db


# revision identifiers, used by Alembic.
revision = 'c4f1e2a9d7b3'
down_revision = 'f7bdb35916dc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_versions',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', coalition.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_calendar_versions'))
    )


def downgrade():
    op.drop_table('calendar_versions')
