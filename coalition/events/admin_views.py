"""Coalition admins: the moderation queue, event types, the moderation setting."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coalition.access import access, admin
from coalition.core.buttons import button_post
from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
from coalition.events import lifecycle as event_lifecycle
from coalition.events import operations as ops
from coalition.events.forms import (
    TYPE_NAME_LANGUAGES,
    ModerationSettingsForm,
    ReasonForm,
    TypeForm,
)
from coalition.events.models import Event, EventStatus, EventType
from coalition.events.permissions import load_event
from coalition.extensions import db
from coalition.settings.operations import get_setting, set_setting

bp = Blueprint("events_admin", __name__, url_prefix="/admin/events")

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@bp.route("/pending")
@access(admin)
def pending():
    events = db.session.scalars(
        sa.select(Event).where(Event.status == EventStatus.pending).order_by(Event.start_at)
    ).all()
    return render_template("events/admin/pending.html", events=events, reason_form=ReasonForm())


@bp.route("/<int:event_id>/approve", methods=["POST"])
@access(admin)
def approve(event_id: int):
    event = load_event(event_id)
    return button_post(lambda: event_lifecycle.approve(event), _("Published."),
                       url_for("events_admin.pending"), refused=ops.EventError)  # fmt: skip


@bp.route("/<int:event_id>/unpublish", methods=["POST"])
@access(admin)
def unpublish(event_id: int):
    event = load_event(event_id)
    form = ReasonForm()
    return button_post(
        lambda: event_lifecycle.unpublish(event, form.reason.data.strip()),
        _("Unpublished; the organizers are told why."),
        url_for("events.show", event_id=event.id),
        refused=ops.EventError, form=form, invalid=_("Write a note to the organization first."),
    )  # fmt: skip


@bp.route("/settings", methods=["GET", "POST"])
@access(admin)
def settings():
    form = ModerationSettingsForm()
    if request.method == "GET":
        form.events_require_approval.data = get_setting("events_require_approval")
    if form.validate_on_submit():
        set_setting("events_require_approval", bool(form.events_require_approval.data))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("events_admin.settings"))
    return render_template("events/admin/settings.html", form=form)


@bp.route("/types", methods=["GET", "POST"])
@access(admin)
def types():
    """Add a type; rename, retire or bring back existing ones (types in use are never deleted)."""
    form = TypeForm()
    if form.validate_on_submit():
        slug = form.slug.data.strip().lower()
        if not _SLUG.match(slug):
            form.slug.errors.append(_("Use lower-case letters, digits and dashes."))
        elif db.session.scalar(sa.select(EventType.id).where(EventType.slug == slug)):
            form.slug.errors.append(_("This key is taken; choose another."))
        else:
            position = db.session.scalar(
                sa.select(sa.func.coalesce(sa.func.max(EventType.position), 0))
            )
            names = {
                code: (form[f"name_{code}"].data or "").strip() for code in TYPE_NAME_LANGUAGES
            }
            db.session.add(
                EventType(slug=slug, position=position + 1,
                          names={code: name for code, name in names.items() if name})
            )  # fmt: skip
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("events_admin.types"))
    rows = db.session.scalars(sa.select(EventType).order_by(EventType.position)).all()
    return render_template("events/admin/types.html", form=form, rows=rows), (
        400 if form.errors else 200
    )


@bp.route("/types/<int:type_id>", methods=["POST"])
@access(admin)
def update_type(type_id: int):
    event_type = db.session.get(EventType, type_id)
    if event_type is None:
        return action_refused(_("There is nothing at this address."), 404)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    names = {
        code: (request.form.get(f"name_{code}") or "").strip()[:80] for code in TYPE_NAME_LANGUAGES
    }
    if names["en"] and names["es"]:  # English and Spanish are required; an empty other is removed
        event_type.names = {
            code: name for code, name in {**event_type.names, **names}.items() if name
        }
    if "toggle" in request.form:
        event_type.is_active = not event_type.is_active
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("events_admin.types"))
