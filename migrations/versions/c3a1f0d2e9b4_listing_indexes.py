"""indexes for the listings: (start, id) keyset, an event's dates by start, longest date

Revision ID: c3a1f0d2e9b4
Revises: f7bdb35916dc
Create Date: 2026-11-29 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a1f0d2e9b4'
down_revision = 'd2a7c5e8f019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_occurrences_start_at_id', 'occurrences', ['start_at', 'id'])
    op.create_index('ix_occurrences_event_id_start_at', 'occurrences', ['event_id', 'start_at'])
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_occurrences_duration_pg', 'occurrences', [sa.text('(end_at - start_at)')])
    elif op.get_bind().dialect.name == 'sqlite':
        op.create_index(
            'ix_occurrences_duration_sqlite', 'occurrences',
            [sa.text('(julianday(end_at) - julianday(start_at))')],
        )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.drop_index('ix_occurrences_duration_pg', table_name='occurrences')
    elif bind.dialect.name == 'sqlite':
        op.drop_index('ix_occurrences_duration_sqlite', table_name='occurrences')
    op.drop_index('ix_occurrences_event_id_start_at', table_name='occurrences')
    op.drop_index('ix_occurrences_start_at_id', table_name='occurrences')
