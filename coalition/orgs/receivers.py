"""What organizations answer when the ground floor asks (connected by the app factory)."""

from __future__ import annotations

import sqlalchemy as sa

from coalition import signals
from coalition.extensions import db


def _member_organizations(_sender, **_) -> list:
    from coalition.orgs.models import Organization, OrgStatus

    return db.session.scalars(
        sa.select(Organization)
        .where(Organization.status == OrgStatus.active)
        .order_by(sa.func.lower(Organization.name))
    ).all()


def _organization_colors(_sender, **_) -> list:
    from coalition.orgs.models import Organization

    return db.session.execute(sa.select(Organization.id, Organization.color)).all()


def connect() -> None:
    signals.member_organizations.connect(_member_organizations)
    signals.organization_colors.connect(_organization_colors)
