"""events: an organization's events by start (its organizers' dashboard), replacing the index
on host_org_id alone

Revision ID: b5e1c9d3a7f2
Revises: a7d2e9c4b1f8
Create Date: 2026-12-07 02:00:00
"""

from alembic import op

revision = "b5e1c9d3a7f2"
down_revision = "a7d2e9c4b1f8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_events_host_org_id_start_at_id", "events", ["host_org_id", "start_at", "id"]
    )
    op.drop_index("ix_events_host_org_id", table_name="events")


def downgrade():
    op.create_index("ix_events_host_org_id", "events", ["host_org_id"])
    op.drop_index("ix_events_host_org_id_start_at_id", table_name="events")
