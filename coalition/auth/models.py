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

from coalition.crypto import EncryptedString
from coalition.db import UTCDateTime, utcnow
from coalition.extensions import db
from coalition.people import PersonalRecord, register

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

    #: Part of the id kept in the session and the remember-me cookie: raising it (password
    #: change or reset, "sign out everywhere", a second factor reset) ends every session.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: Base32 TOTP secret of the person's authenticator app; None until two-factor is set up.
    #: Encrypted under CONTACT_KEYS: a copy of the database alone cannot make codes.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString)
    #: The last TOTP time step accepted, so that one code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return not self.is_disabled

    def get_id(self) -> str:
        """Flask-Login's id: the user's id and session version, so sessions can be ended."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Every session and remember-me cookie issued before now stops working."""
        self.session_version = (self.session_version or 1) + 1

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None

    @property
    def sees_attendee_data(self) -> bool:
        """Admins, and organizers or owners of any organization: two-factor is for them."""
        from coalition.orgs.models import OrgRole

        return self.is_admin or any(m.role.at_least(OrgRole.organizer) for m in self.memberships)

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


#: The TOTP secret is encrypted like contacts (re-encrypted by key rotation); accounts are
#: deleted by their owners or admins, not by the retention purge.
register(PersonalRecord(User, stamp=None))


class RecoveryCode(db.Model):
    """A one-time code that replaces the authenticator app once (ten are given at setup)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the code (the codes are long random strings, not passwords).
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class ApiToken(db.Model):
    """A personal API token of a coalition admin, for the reports API (`/api/v1/reports/...`,
    GET only). Shown once when made; only its SHA-256 is stored. It stops working when revoked,
    when it expires, and when the account signs out everywhere or changes its password."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: What the owner calls it ("funder dashboard").
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The first characters, to tell tokens apart (not enough to use one).
    prefix: Mapped[str] = mapped_column(sa.String(12))
    #: The account's session version when it was made (`User.end_sessions` ends it).
    session_version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def works(self, now: datetime) -> bool:
        return (
            self.revoked_at is None
            and self.expires_at > now
            and self.session_version == self.user.session_version
        )


class AccountEvent(db.Model):
    """Security changes made to an account by someone else (e.g. an admin resetting a second
    factor), kept for the account's owner and the admins."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The account that was changed.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Who changed it (None once that account is deleted).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: e.g. "two_factor_reset".
    action: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class PendingRegistration(db.Model):
    """An account waiting for its email address to be confirmed (the emailed link's secret is
    stored hashed; the password only as its Argon2id hash, and never in the link)."""

    __tablename__ = "pending_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the secret in the emailed link.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    language: Mapped[str] = mapped_column(sa.String(8))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: Where to go once the account exists (a path on this site).
    next_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
