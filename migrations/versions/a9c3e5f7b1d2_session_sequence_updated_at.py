"""sessions: SEQUENCE and last change of a session's VEVENT in its people's calendars

Revision ID: a9c3e5f7b1d2
Revises: d4a8e2f61b07
Create Date: 2026-12-05 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import coalition.db


# revision identifiers, used by Alembic.
revision = 'a9c3e5f7b1d2'
down_revision = 'd4a8e2f61b07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_sessions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('sequence', sa.Integer(), nullable=False, server_default=sa.text('0'))
        )
        batch_op.add_column(
            sa.Column('updated_at', coalition.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE event_sessions SET updated_at = created_at")
    with op.batch_alter_table('event_sessions', schema=None) as batch_op:
        batch_op.alter_column(
            'updated_at', existing_type=coalition.db.UTCDateTime(timezone=True), nullable=False
        )


def downgrade():
    with op.batch_alter_table('event_sessions', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('sequence')
