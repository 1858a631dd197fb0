"""Rides for individual riders: the pickup town on an RSVP, an RSVP's seats in a driver's car,
drivers who may seat riders themselves

Revision ID: d4e1a7c93b58
Revises: a9c3e5f7b1d2
Create Date: 2026-12-05 09:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4e1a7c93b58"
down_revision = "a9c3e5f7b1d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ride_from", sa.String(length=120), nullable=True))

    with op.batch_alter_table("volunteer_roles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("riders_by_drivers", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("volunteer_rides", schema=None) as batch_op:
        batch_op.alter_column("delegation_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("rsvp_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_volunteer_rides_rsvp_id_rsvps"), "rsvps", ["rsvp_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        batch_op.create_unique_constraint(batch_op.f("uq_volunteer_rides_rsvp_id"), ["rsvp_id"])
        batch_op.create_check_constraint(
            batch_op.f("ck_volunteer_rides_delegation_or_rider"),
            "(delegation_id IS NULL) <> (rsvp_id IS NULL)",
        )


def downgrade():
    op.execute("DELETE FROM volunteer_rides WHERE rsvp_id IS NOT NULL")
    with op.batch_alter_table("volunteer_rides", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_volunteer_rides_delegation_or_rider"), type_="check"
        )
        batch_op.drop_constraint(batch_op.f("uq_volunteer_rides_rsvp_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_volunteer_rides_rsvp_id_rsvps"), type_="foreignkey")
        batch_op.drop_column("rsvp_id")
        batch_op.alter_column("delegation_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("volunteer_roles", schema=None) as batch_op:
        batch_op.drop_column("riders_by_drivers")

    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_column("ride_from")
