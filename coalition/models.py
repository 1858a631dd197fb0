"""Imports every feature's models so that metadata (and Alembic) sees all tables."""

from coalition.auth.models import User
from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import Invitation, Membership, Organization

__all__ = ["Invitation", "Membership", "Organization", "OutgoingEmail", "User"]
