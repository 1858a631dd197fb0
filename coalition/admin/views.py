"""Admin pages. Every route here is for coalition admins only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from coalition.access import access, admin
from coalition.admin import operations as admin_ops
from coalition.admin.forms import NoteForm
from coalition.auth import two_factor
from coalition.auth.models import User
from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
from coalition.extensions import db
from coalition.orgs import operations as org_ops
from coalition.orgs.models import Membership, Organization, OrgStatus

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50
#: Page numbers beyond this are clamped (a huge ?page= would overflow the database's OFFSET).
MAX_PAGE = 10_000


def _org(org_id: int) -> Organization:
    org = db.session.get(Organization, org_id)
    if org is None:
        abort(404)
    return org


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/")
@access(admin)
def dashboard():
    counts = dict(
        db.session.execute(
            sa.select(Organization.status, sa.func.count()).group_by(Organization.status)
        ).all()
    )
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    return render_template("admin/dashboard.html", counts=counts, users=users)


@bp.route("/applications")
@access(admin)
def applications():
    """Organizations waiting for a decision."""
    orgs = db.session.scalars(
        sa.select(Organization)
        .where(Organization.status == OrgStatus.pending)
        .options(selectinload(Organization.memberships).selectinload(Membership.user))
        .order_by(Organization.created_at)
    ).all()
    return render_template(
        "admin/applications.html", orgs=orgs, button_form=EmptyForm(), note_form=NoteForm()
    )


@bp.route("/orgs")
@access(admin)
def orgs():
    status = request.args.get("status")
    query = sa.select(Organization).order_by(sa.func.lower(Organization.name))
    if status:
        try:
            query = query.where(Organization.status == OrgStatus(status))
        except ValueError:
            abort(400)
    return render_template(
        "admin/orgs.html",
        orgs=db.session.scalars(query).all(),
        status=status,
        statuses=list(OrgStatus),
        button_form=EmptyForm(),
        note_form=NoteForm(),
    )


def _decide(org_id: int, action, *, needs_note: bool, done: str, back: str):
    org = _org(org_id)
    form = NoteForm() if needs_note else EmptyForm()
    if not form.validate_on_submit():
        return action_refused(_("Write a note to the organization first."), 400, back=url_for(back))
    try:
        if needs_note:
            action(org, form.note.data.strip())
        else:
            action(org)
    except org_ops.OrgError as exc:
        return action_refused(str(exc), 409, back=url_for(back))
    db.session.commit()
    flash(done % {"org": org.name}, "success")
    return redirect(url_for(back))


@bp.route("/orgs/<int:org_id>/approve", methods=["POST"])
@access(admin)
def approve(org_id: int):
    return _decide(
        org_id,
        org_ops.approve,
        needs_note=False,
        done=_("%(org)s is approved."),
        back="admin.applications",
    )


@bp.route("/orgs/<int:org_id>/decline", methods=["POST"])
@access(admin)
def decline(org_id: int):
    return _decide(
        org_id,
        org_ops.decline,
        needs_note=True,
        done=_("%(org)s is declined."),
        back="admin.applications",
    )


@bp.route("/orgs/<int:org_id>/suspend", methods=["POST"])
@access(admin)
def suspend(org_id: int):
    return _decide(
        org_id, org_ops.suspend, needs_note=True, done=_("%(org)s is suspended."), back="admin.orgs"
    )


@bp.route("/orgs/<int:org_id>/reinstate", methods=["POST"])
@access(admin)
def reinstate(org_id: int):
    return _decide(
        org_id,
        org_ops.reinstate,
        needs_note=False,
        done=_("%(org)s is reinstated."),
        back="admin.orgs",
    )


@bp.route("/users")
@access(admin)
def users():
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    q = (request.args.get("q") or "").strip()
    query = sa.select(User).order_by(User.created_at.desc())
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            sa.or_(sa.func.lower(User.email).like(like), sa.func.lower(User.name).like(like))
        )
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/users.html", pagination=pagination, q=q, button_form=EmptyForm())


@bp.route(
    "/users/<int:user_id>/<any(disable, enable, 'make-admin', 'revoke-admin', "
    "'reset-two-factor'):action>",
    methods=["POST"],
)
@access(admin)
def user_action(user_id: int, action: str):
    user = _user(user_id)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    try:
        if action in ("disable", "enable"):
            admin_ops.set_disabled(user, action == "disable", acting=current_user)
        elif action == "reset-two-factor":
            two_factor.admin_reset(user, by=current_user)
        else:
            admin_ops.set_admin(user, action == "make-admin", acting=current_user)
    except admin_ops.AdminError as exc:
        return action_refused(str(exc), 409, back=url_for("admin.users"))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("admin.users"))
