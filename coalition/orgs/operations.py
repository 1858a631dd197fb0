"""Organization logic: applications, decisions, people, invitations.

Functions change state and flush; the caller commits once. Emails are queued in the same
transaction, so they leave only if the change is saved.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from slugify import slugify

from coalition.auth.models import User
from coalition.auth.operations import create_user, find_user, normalize_email
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.operations import queue_email
from coalition.orgs.models import Invitation, Membership, Organization, OrgRole, OrgStatus
from coalition.tokens import TokenError, make_token, read_token
from coalition.urls import external_url

INVITATION_PURPOSE = "org-invitation"
PROFILE_FIELDS = (
    "name",
    "description",
    "city",
    "website",
    "contact_email",
    "contact_phone",
    "languages",
    "color",
)


class OrgError(Exception):
    """A request that cannot be carried out; `str(exc)` is a message for the user."""


def unique_slug(name: str, wanted: str | None = None, exclude_id: int | None = None) -> str:
    base = slugify(wanted or name, max_length=70) or "org"
    slug, n = base, 2
    while True:
        query = sa.select(Organization.id).where(Organization.slug == slug)
        if exclude_id is not None:
            query = query.where(Organization.id != exclude_id)
        if db.session.scalar(query) is None:
            return slug
        slug, n = f"{base}-{n}", n + 1


def _check_name_free(name: str, exclude_id: int | None = None) -> None:
    query = sa.select(Organization.id).where(sa.func.lower(Organization.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Organization.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise OrgError(_l("An organization with this name exists already."))


def _check_slug_free(slug: str, exclude_id: int | None = None) -> None:
    query = sa.select(Organization.id).where(Organization.slug == slug)
    if exclude_id is not None:
        query = query.where(Organization.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise OrgError(_l("This web name is taken; choose another."))


def apply_to_join(applicant: User, data: dict) -> Organization:
    """An organizer asks for their organization to join; it waits for a coalition admin."""
    name = data["name"].strip()
    _check_name_free(name)
    if data.get("slug"):
        _check_slug_free(data["slug"])
    org = Organization(slug=unique_slug(name, data.get("slug")), status=OrgStatus.pending)
    _apply_profile(org, data)
    org.memberships.append(Membership(user=applicant, role=OrgRole.owner))
    db.session.add(org)
    db.session.flush()
    for admin in db.session.scalars(
        sa.select(User).where(User.is_admin.is_(True), User.is_disabled.is_(False))
    ):
        queue_email(
            to=admin.email,
            kind="org_application",
            subject=_l("%(org)s applies to join the coalition", org=org.name),
            template="orgs/application_received",
            locale=admin.language,
            org=org,
            applicant=applicant,
            review_url=external_url("admin.applications"),
        )
    return org


def _apply_profile(org: Organization, data: dict) -> None:
    for field in PROFILE_FIELDS:
        if field in data:
            value = data[field]
            if isinstance(value, str):
                value = value.strip() or (None if field != "description" else "")
            setattr(org, field, value)
    if org.description is None:
        org.description = ""


def update_profile(org: Organization, data: dict) -> None:
    _check_name_free(data["name"].strip(), exclude_id=org.id)
    if data.get("slug") and data["slug"] != org.slug:
        _check_slug_free(data["slug"], exclude_id=org.id)
        org.slug = data["slug"]
    _apply_profile(org, data)


def _notify_owners(org: Organization, *, kind: str, subject, template: str, **context) -> None:
    for owner in org.owners():
        queue_email(
            to=owner.email,
            kind=kind,
            subject=subject,
            template=template,
            locale=owner.language,
            org=org,
            user=owner,
            org_url=external_url("orgs.show", slug=org.slug),
            **context,
        )


def approve(org: Organization) -> None:
    if org.status not in (OrgStatus.pending, OrgStatus.declined):
        raise OrgError(_l("Only an application can be approved."))
    org.status = OrgStatus.active
    org.status_note = None
    org.decided_at = utcnow()
    _notify_owners(
        org,
        kind="org_approved",
        subject=_l("%(org)s is now a member of the coalition", org=org.name),
        template="orgs/approved",
    )


def decline(org: Organization, note: str) -> None:
    if org.status != OrgStatus.pending:
        raise OrgError(_l("Only a pending application can be declined."))
    org.status = OrgStatus.declined
    org.status_note = note
    org.decided_at = utcnow()
    _notify_owners(
        org,
        kind="org_declined",
        subject=_l("About the application of %(org)s", org=org.name),
        template="orgs/declined",
        note=note,
    )


def suspend(org: Organization, note: str) -> None:
    """Hide the organization and its events from public listings; nothing is deleted."""
    if org.status != OrgStatus.active:
        raise OrgError(_l("Only an active member organization can be suspended."))
    org.status = OrgStatus.suspended
    org.status_note = note
    org.decided_at = utcnow()
    _notify_owners(
        org,
        kind="org_suspended",
        subject=_l("%(org)s is suspended from the coalition", org=org.name),
        template="orgs/suspended",
        note=note,
    )


def reinstate(org: Organization) -> None:
    if org.status != OrgStatus.suspended:
        raise OrgError(_l("Only a suspended organization can be reinstated."))
    org.status = OrgStatus.active
    org.status_note = None
    org.decided_at = utcnow()
    _notify_owners(
        org,
        kind="org_reinstated",
        subject=_l("%(org)s is reinstated", org=org.name),
        template="orgs/reinstated",
    )


# People ------------------------------------------------------------------------------------


def invite(org: Organization, *, email: str, role: OrgRole, invited_by: User) -> Invitation:
    """Email an invitation link; re-inviting the same address refreshes the open invitation."""
    email = normalize_email(email)
    existing_user = find_user(email)
    if existing_user is not None and org.role_of(existing_user) is not None:
        raise OrgError(_l("This person is already in the organization."))
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.org_id == org.id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    )
    if invitation is None:
        invitation = Invitation(org=org, email=email)
        db.session.add(invitation)
    invitation.role = role
    invitation.invited_by = invited_by
    invitation.created_at = utcnow()
    db.session.flush()
    token = make_token(INVITATION_PURPOSE, {"id": invitation.id})
    queue_email(
        to=email,
        kind="org_invitation",
        subject=_l("%(name)s invites you to %(org)s", name=invited_by.name, org=org.name),
        template="orgs/invitation",
        locale=existing_user.language if existing_user else invited_by.language,
        org=org,
        invitation=invitation,
        inviter=invited_by,
        accept_url=external_url("orgs.accept_invitation", token=token),
        days=current_app.config["INVITATION_MAX_AGE"] // 86400,
    )
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The open invitation behind a link; TokenError when expired, tampered with or used."""
    payload = read_token(INVITATION_PURPOSE, token, current_app.config["INVITATION_MAX_AGE"])
    invitation = (
        db.session.get(Invitation, payload.get("id")) if isinstance(payload, dict) else None
    )
    if invitation is None or not invitation.is_open:
        raise TokenError("invalid")
    return invitation


class WrongAccount(OrgError):
    """The invitation was sent to another address than the account's."""


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Join (or, for someone already in, take the invited role if it is higher).

    Only the account with the invited email may accept: the link proves nothing else.
    """
    if normalize_email(user.email) != normalize_email(invitation.email):
        raise WrongAccount(_l("This invitation is for another email address."))
    invitation.accepted_at = utcnow()
    membership = db.session.scalar(
        sa.select(Membership).where(
            Membership.org_id == invitation.org_id, Membership.user_id == user.id
        )
    )
    if membership is None:
        membership = Membership(org=invitation.org, user=user, role=invitation.role)
        db.session.add(membership)
    elif invitation.role.at_least(membership.role):
        membership.role = invitation.role
    db.session.flush()
    return membership


def accept_invitation_as_new_user(
    invitation: Invitation, *, name: str, password: str, language: str
) -> User:
    user = create_user(email=invitation.email, name=name, password=password, language=language)
    accept_invitation(invitation, user)
    return user


def revoke_invitation(invitation: Invitation) -> None:
    if invitation.is_open:
        invitation.revoked_at = utcnow()


def _owner_count(org: Organization) -> int:
    return sum(1 for m in org.memberships if m.role == OrgRole.owner)


def change_role(membership: Membership, role: OrgRole) -> None:
    if (
        membership.role == OrgRole.owner
        and role != OrgRole.owner
        and _owner_count(membership.org) == 1
    ):
        raise OrgError(_l("An organization keeps at least one owner."))
    membership.role = role


def remove_member(membership: Membership) -> None:
    if membership.role == OrgRole.owner and _owner_count(membership.org) == 1:
        raise OrgError(_l("An organization keeps at least one owner."))
    db.session.delete(membership)
