"""auth: personal API tokens of coalition admins for the reports API (stored hashed, revocable,
expiring, ended with the account's sessions)

Revision ID: e8b4c2f6a1d3
Revises: d5e1a7c9b3f2
Create Date: 2026-12-06 06:00:00

"""

import sqlalchemy as sa
from alembic import op

import coalition.db

revision = "e8b4c2f6a1d3"
down_revision = "d5e1a7c9b3f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", coalition.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", coalition.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", coalition.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", coalition.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )  # fmt: skip
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
    op.drop_table("api_tokens")
