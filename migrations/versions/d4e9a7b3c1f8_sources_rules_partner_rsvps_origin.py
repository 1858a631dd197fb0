"""sources: type rules per source, RSVPs taken here for a partner's events, and the origin of
an event another instance re-publishes, what the feed cancelled (put back on if the feed lists
it again) (issue 28)

Revision ID: d4e9a7b3c1f8
Revises: c3d8f1a2e5b7
Create Date: 2026-12-06 05:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d4e9a7b3c1f8"
down_revision = "c3d8f1a2e5b7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sources") as batch_op:
        batch_op.add_column(
            sa.Column("type_rules", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("rsvps_here", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("imported_events") as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column(
                "cancelled_by_feed", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )


def downgrade():
    with op.batch_alter_table("imported_events") as batch_op:
        batch_op.drop_column("cancelled_by_feed")
        batch_op.drop_column("origin")
    with op.batch_alter_table("sources") as batch_op:
        batch_op.drop_column("rsvps_here")
        batch_op.drop_column("type_rules")
