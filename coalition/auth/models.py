"""Accounts."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.db import UTCDateTime, utcnow
from coalition.extensions import db

if TYPE_CHECKING:
    from coalition.orgs.models import Membership


def _hasher() -> PasswordHasher:
    """Argon2id. Production uses RFC 9106's low-memory profile (OWASP's recommendation);
    tests may choose the cheapest profile through ARGON2_PROFILE to stay fast."""
    profile = current_app.config.get("ARGON2_PROFILE", "RFC_9106_LOW_MEMORY")
    return PasswordHasher.from_parameters(getattr(profiles, profile))


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased; the login name.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    #: Argon2id hash, never the password.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: How the person wants to be addressed; a first name is enough.
    name: Mapped[str] = mapped_column(sa.String(120))
    #: Interface and email language (a key of LANGUAGES).
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: Coalition admin: approves organizations and may manage everything.
    is_admin: Mapped[bool] = mapped_column(default=False)
    #: A disabled account cannot sign in; nothing of it is deleted.
    is_disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Secret in the URL of the person's private calendar feeds; reset to revoke old links.
    feed_token: Mapped[str] = mapped_column(
        sa.String(43), unique=True, default=lambda: secrets.token_urlsafe(32)
    )

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return not self.is_disabled

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher().hash(password)

    def check_password(self, password: str) -> bool:
        """Verify, and upgrade the hash in place when the parameters have changed."""
        try:
            _hasher().verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher().check_needs_rehash(self.password_hash):
            self.set_password(password)
        return True
