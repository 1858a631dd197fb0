"""event translations carry accessibility notes and what to bring

Revision ID: 5e1f0c2a7d44
Revises: c3a1f0d2e9b4
Create Date: 2026-11-29 17:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0c2a7d44'
down_revision = '58bffd9cdafb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_translations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accessibility_notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('what_to_bring', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('event_translations', schema=None) as batch_op:
        batch_op.drop_column('what_to_bring')
        batch_op.drop_column('accessibility_notes')
