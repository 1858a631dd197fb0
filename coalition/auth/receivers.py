"""What accounts answer when something below them asks (connected by the app factory)."""

from __future__ import annotations

import sqlalchemy as sa

from coalition import signals
from coalition.extensions import db


def _admin_contacts(_sender, **_) -> list[tuple[str, str]]:
    from coalition.auth.models import User

    admins = db.session.scalars(sa.select(User).where(User.is_admin.is_(True)))
    return [(admin.email, getattr(admin, "language", None) or "en") for admin in admins]


def _two_factor_pending(user, **_) -> bool:
    from coalition.auth.two_factor import setup_required

    return setup_required(user)


def connect() -> None:
    signals.admin_contacts.connect(_admin_contacts)
    signals.two_factor_pending.connect(_two_factor_pending)
