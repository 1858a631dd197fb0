"""Member directory, organization pages, applying to join, people and invitations."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user

from coalition.access import access, public, signed_in
from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
from coalition.extensions import db, limiter
from coalition.i18n import normalize_language
from coalition.orgs import operations as ops
from coalition.orgs.forms import AcceptInvitationForm, InviteForm, OrganizationForm, RoleForm
from coalition.orgs.models import Invitation, Membership, Organization, OrgRole, OrgStatus
from coalition.orgs.permissions import can_manage_org, can_view_org, load_org
from coalition.tokens import TokenError

bp = Blueprint("orgs", __name__)


def _profile_data(form: OrganizationForm) -> dict:
    return {name: getattr(form, name).data for name in (*ops.PROFILE_FIELDS, "slug")}


@bp.route("/orgs")
@access(public)
def directory():
    """The coalition's member organizations."""
    orgs = db.session.scalars(
        sa.select(Organization)
        .where(Organization.status == OrgStatus.active)
        .order_by(sa.func.lower(Organization.name))
    ).all()
    return render_template("orgs/directory.html", orgs=orgs)


@bp.route("/orgs/apply", methods=["GET", "POST"])
@access(signed_in)
@limiter.limit("5 per hour", methods=["POST"])
def apply():
    """An organizer applies for their organization to join the coalition."""
    form = OrganizationForm()
    if form.validate_on_submit():
        try:
            org = ops.apply_to_join(current_user, _profile_data(form))
        except ops.OrgError as exc:
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(
                _(
                    "Thank you. A coalition admin will review the application of %(org)s.",
                    org=org.name,
                ),
                "success",
            )
            return redirect(url_for("orgs.show", slug=org.slug))
    return render_template("orgs/apply.html", form=form), 400 if form.errors else 200


_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@bp.route("/orgs/colors.css")
@access(public)
def org_colors():
    """Each organization's calendar color as a CSS variable on `.org-<id>`: a stylesheet, so
    that pages need no inline style (the Content-Security-Policy forbids it)."""
    rows = db.session.execute(sa.select(Organization.id, Organization.color)).all()
    css = "".join(
        f".org-{org_id}{{--org-color:{color}}}\n"
        for org_id, color in rows
        if color and _HEX_COLOR.match(color)
    )
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.set_etag(hashlib.sha256(css.encode()).hexdigest()[:32])
    return response.make_conditional(request)


@bp.route("/orgs/<slug>")
@access(can_view_org)
def show(slug: str):
    """An organization's public page."""
    from coalition.urls import external_url

    # Its upcoming events (`org_upcoming`) and its link preview (`org_preview`) are the template
    # globals of the features above: events and reach.
    org = load_org(slug)
    return render_template(
        "orgs/show.html",
        org=org,
        can_manage=org.can_manage(current_user),
        can_organize=org.can_organize(current_user),
        feed_url=external_url("feeds.org_calendar", slug=org.slug),
    )


@bp.route("/orgs/<slug>/edit", methods=["GET", "POST"])
@access(can_manage_org)
def edit(slug: str):
    org = load_org(slug)
    form = OrganizationForm(obj=org)
    if form.validate_on_submit():
        try:
            ops.update_profile(org, _profile_data(form))
        except ops.OrgError as exc:
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The profile is saved."), "success")
            return redirect(url_for("orgs.show", slug=org.slug))
    return render_template("orgs/edit.html", org=org, form=form), 400 if form.errors else 200


@bp.route("/orgs/<slug>/people", methods=["GET", "POST"])
@access(can_manage_org)
def people(slug: str):
    """The organization's people and open invitations; invite someone."""
    org = load_org(slug)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            ops.invite(
                org, email=form.email.data, role=OrgRole(form.role.data), invited_by=current_user
            )
        except ops.OrgError as exc:
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("orgs.people", slug=org.slug))
    invitations = db.session.scalars(
        sa.select(Invitation)
        .where(
            Invitation.org_id == org.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .order_by(Invitation.created_at.desc())
    ).all()
    memberships = sorted(org.memberships, key=lambda m: (-m.role.rank, m.user.name.lower()))
    return (
        render_template(
            "orgs/people.html",
            org=org,
            form=form,
            memberships=memberships,
            invitations=invitations,
            role_form=RoleForm(),
            button_form=EmptyForm(),
        ),
        400 if form.errors else 200,
    )


def _membership_of(org: Organization, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.org_id != org.id:
        abort(404)
    return membership


@bp.route("/orgs/<slug>/people/<int:membership_id>/role", methods=["POST"])
@access(can_manage_org)
def change_role(slug: str, membership_id: int):
    org = load_org(slug)
    membership = _membership_of(org, membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return action_refused(_("Choose a role from the list."), 400)
    try:
        ops.change_role(membership, OrgRole(form.role.data))
    except ops.OrgError as exc:
        return action_refused(str(exc), 409, back=url_for("orgs.people", slug=org.slug))
    db.session.commit()
    flash(_("Role changed."), "success")
    return redirect(url_for("orgs.people", slug=org.slug))


@bp.route("/orgs/<slug>/people/<int:membership_id>/remove", methods=["POST"])
@access(can_manage_org)
def remove_member(slug: str, membership_id: int):
    org = load_org(slug)
    membership = _membership_of(org, membership_id)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    try:
        ops.remove_member(membership)
    except ops.OrgError as exc:
        return action_refused(str(exc), 409, back=url_for("orgs.people", slug=org.slug))
    db.session.commit()
    flash(_("Removed from the organization."), "success")
    return redirect(url_for("orgs.people", slug=org.slug))


@bp.route("/orgs/<slug>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@access(can_manage_org)
def revoke_invitation(slug: str, invitation_id: int):
    org = load_org(slug)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.org_id != org.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    ops.revoke_invitation(invitation)
    db.session.commit()
    flash(_("Invitation withdrawn."), "success")
    return redirect(url_for("orgs.people", slug=org.slug))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@access(public)
@limiter.limit("20 per hour", methods=["POST"])
def accept_invitation(token: str):
    """Accept an emailed invitation: signed-in people join at once, new people set a password."""
    try:
        invitation = ops.invitation_for_token(token)
    except TokenError as exc:
        return render_template("auth/token_error.html", reason=exc.reason), 400
    existing = ops.find_user(invitation.email)
    if current_user.is_authenticated:
        if ops.normalize_email(current_user.email) != invitation.email:
            return action_refused(
                _(
                    "This invitation is for %(email)s. Sign out, then sign in with that "
                    "address (or create its account) to accept it.",
                    email=invitation.email,
                ),
                403,
            )
        form = EmptyForm()
        if form.validate_on_submit():
            ops.accept_invitation(invitation, current_user)
            db.session.commit()
            flash(_("You joined %(org)s.", org=invitation.org.name), "success")
            return redirect(url_for("orgs.show", slug=invitation.org.slug))
        return render_template("orgs/accept_invitation.html", invitation=invitation, form=form)
    if existing is not None:
        flash(_("Sign in to accept the invitation."), "info")
        return redirect(url_for("auth.login", next=request.path))
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        user = ops.accept_invitation_as_new_user(
            invitation,
            name=form.name.data,
            password=form.password.data,
            language=normalize_language(request.accept_languages.best),
        )
        db.session.commit()
        login_user(user)
        flash(_("Welcome to %(org)s.", org=invitation.org.name), "success")
        return redirect(url_for("orgs.show", slug=invitation.org.slug))
    return (
        render_template(
            "orgs/accept_invitation.html", invitation=invitation, form=form, new_account=True
        ),
        400 if form.errors else 200,
    )
