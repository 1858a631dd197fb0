"""Access rules for organization pages (used with `coalition.access.access`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user

from coalition.extensions import db
from coalition.orgs.models import Organization, OrgStatus, loaded_memberships


def load_org(slug: str) -> Organization:
    """The organization for a URL, cached for the request; 404 when it is not there for this user.

    Organizations that are not (or no longer) members are visible only to their own people and to
    coalition admins.
    """
    cached = g.get("org")
    if cached is not None and cached.slug == slug:
        return cached
    org = _among_own(slug) or db.session.scalar(
        sa.select(Organization).where(Organization.slug == slug)
    )
    if org is None:
        abort(404)
    if (
        org.status != OrgStatus.active
        and org.role_of(current_user) is None
        and not (current_user.is_authenticated and current_user.is_admin)
    ):
        abort(404)
    g.org = org
    return org


def _among_own(slug: str) -> Organization | None:
    """One of the signed-in person's organizations, loaded with them (no query)."""
    if not current_user.is_authenticated:
        return None
    for membership in loaded_memberships(current_user) or ():
        org = membership.org
        if org is not None and org.slug == slug:
            return org
    return None


def can_view_org(slug: str, **_kwargs) -> bool:
    load_org(slug)
    return True


def can_manage_org(slug: str, **_kwargs) -> bool:
    return load_org(slug).can_manage(current_user)
