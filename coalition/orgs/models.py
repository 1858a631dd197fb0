"""Member organizations, their people, and invitations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.db import UTCDateTime, enum_column, utcnow
from coalition.extensions import db

if TYPE_CHECKING:
    # Only a name here: the mapper finds the `User` class by its name (coalition/models.py
    # imports every model), and auth.models asks this module for `OrgRole`, so an import at
    # run time would close a circle.
    from coalition.auth.models import User


class OrgStatus(enum.StrEnum):
    #: Applied to join; waits for a coalition admin.
    pending = "pending"
    #: A member of the coalition: listed, may post events.
    active = "active"
    declined = "declined"
    #: Hidden from public listings with its events; nothing is deleted.
    suspended = "suspended"


class OrgRole(enum.StrEnum):
    owner = "owner"
    organizer = "organizer"
    member = "member"

    @property
    def rank(self) -> int:
        return {"member": 1, "organizer": 2, "owner": 3}[self.value]

    def at_least(self, other: OrgRole) -> bool:
        return self.rank >= other.rank


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160), unique=True)
    #: URL name: /orgs/<slug>.
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    website: Mapped[str | None] = mapped_column(sa.String(300))
    #: Public contact shown on the org page (never a person's private address).
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    city: Mapped[str | None] = mapped_column(sa.String(120))
    #: Language codes the organization works in, e.g. ["en", "es", "ht"].
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Calendar color, "#rrggbb".
    color: Mapped[str] = mapped_column(sa.String(7), default="#1f6f8b")
    status: Mapped[OrgStatus] = mapped_column(enum_column(OrgStatus), default=OrgStatus.pending)
    #: The admin's note when declining or suspending (emailed to the owners).
    status_note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Any change to the profile or status (feeds use it to know they are stale).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="org", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organization {self.slug} {self.status}>"

    @property
    def is_active(self) -> bool:
        return self.status == OrgStatus.active

    def role_of(self, user: User | None) -> OrgRole | None:
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        # The signed-in person's memberships come with them (`auth/loader.py`): no query, and
        # not every membership of a large organization.
        known = loaded_memberships(user)
        if known is not None:
            for membership in known:
                # A membership not flushed yet has no org_id, only its organization.
                if membership.org_id == self.id or (
                    membership.org_id is None and membership.org is self
                ):
                    return membership.role
            return None
        for membership in self.memberships:
            if membership.user_id == user.id:
                return membership.role
        return None

    def has_role(self, user: User | None, role: OrgRole) -> bool:
        """True when `user` holds `role` or a higher one here; coalition admins hold every role."""
        if user is not None and getattr(user, "is_admin", False):
            return True
        held = self.role_of(user)
        return held is not None and held.at_least(role)

    def can_manage(self, user: User | None) -> bool:
        """Edit the profile, invite and remove people."""
        return self.has_role(user, OrgRole.owner)

    def can_organize(self, user: User | None) -> bool:
        """Post and manage events, see attendees (only once the org is a member)."""
        return self.is_active and self.has_role(user, OrgRole.organizer)

    def owners(self) -> list[User]:
        return [m.user for m in self.memberships if m.role == OrgRole.owner]


def loaded_memberships(user) -> list[Membership] | None:
    """`user.memberships` when already loaded (the signed-in person's are), else None."""
    target = user._get_current_object() if hasattr(user, "_get_current_object") else user
    try:
        state = sa.inspect(target)
    except sa.exc.NoInspectionAvailable:
        return None
    if "memberships" in state.unloaded:
        return None
    return target.memberships


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[OrgRole] = mapped_column(enum_column(OrgRole), default=OrgRole.member)
    #: Sends rapid-response alerts and sees the responders' roster (`coalition/rapid/`), whatever
    #: the role; set by the organization's owners.
    is_dispatcher: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    org: Mapped[Organization] = relationship(back_populates="memberships")


class Invitation(db.Model):
    """An emailed invitation to join an organization; the link is a signed token naming the row."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[OrgRole] = mapped_column(enum_column(OrgRole))
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when used; a used invitation cannot be used again.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship()
    invited_by: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
