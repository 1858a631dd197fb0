"""sources: the last error kept as a key and its parameters, put into words in each reader's
language (issue 28); rows from before keep their English words, shown as they are

Revision ID: c3d8f1a2e5b7
Revises: b7c2e9d4a1f6
Create Date: 2026-12-06 03:35:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c3d8f1a2e5b7"
down_revision = "b7c2e9d4a1f6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sources") as batch_op:
        batch_op.add_column(sa.Column("last_error_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("last_error_params", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("sources") as batch_op:
        batch_op.drop_column("last_error_params")
        batch_op.drop_column("last_error_code")
