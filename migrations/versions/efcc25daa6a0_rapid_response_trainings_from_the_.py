"""rapid response trainings from the calendar

Checked-in attendees of a training date can be invited to the host's roster: one
`rapid_training_invitations` row per RSVP (no personal data; sending again skips them).
A responder who joined that way keeps the date's id; the roster filters and sorts by
`trained_on` (indexed).

Revision ID: efcc25daa6a0
Revises: a464f7d7054b
Create Date: 2026-11-29 20:22:57.733081

"""
from alembic import op
import sqlalchemy as sa

import coalition.db


# revision identifiers, used by Alembic.
revision = 'efcc25daa6a0'
down_revision = 'a464f7d7054b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rapid_training_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rsvp_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', coalition.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', coalition.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_rapid_training_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['occurrence_id'], ['occurrences.id'], name=op.f('fk_rapid_training_invitations_occurrence_id_occurrences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_rapid_training_invitations_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rsvp_id'], ['rsvps.id'], name=op.f('fk_rapid_training_invitations_rsvp_id_rsvps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rapid_training_invitations')),
    sa.UniqueConstraint('rsvp_id', name=op.f('uq_rapid_training_invitations_rsvp_id'))
    )
    with op.batch_alter_table('rapid_training_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rapid_training_invitations_occurrence_id'), ['occurrence_id'], unique=False)

    with op.batch_alter_table('rapid_responders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('training_occurrence_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_rapid_responders_trained_on'), ['trained_on'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_rapid_responders_training_occurrence_id_occurrences'), 'occurrences', ['training_occurrence_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('rapid_responders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_rapid_responders_training_occurrence_id_occurrences'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_rapid_responders_trained_on'))
        batch_op.drop_column('training_occurrence_id')

    with op.batch_alter_table('rapid_training_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rapid_training_invitations_occurrence_id'))

    op.drop_table('rapid_training_invitations')
