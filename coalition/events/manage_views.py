"""Organizers: create, preview, publish, edit, duplicate, cancel events and occurrences;
co-sponsors. Every rule lives in `coalition.events.permissions`."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coalition.access import access
from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
from coalition.events import lifecycle as event_lifecycle
from coalition.events import occurrences as occurrence_ops
from coalition.events import operations as ops
from coalition.events.forms import (
    CosponsorInviteForm,
    EventForm,
    OccurrenceForm,
    ReasonForm,
    event_to_form_data,
    form_to_input,
)
from coalition.events.models import CosponsorStatus, Event, EventCosponsor, EventStatus
from coalition.events.permissions import (
    can_manage_event,
    can_organize_org,
    load_event,
    load_occurrence,
)
from coalition.events.summaries import dates_summary
from coalition.extensions import db
from coalition.orgs.models import Organization, OrgStatus
from coalition.orgs.permissions import load_org

bp = Blueprint("events_manage", __name__)


def _field_error(form, exc: ops.EventError) -> None:
    """Put an operation's refusal next to the field it concerns (the title for texts)."""
    name = exc.field or ""
    field = getattr(form, name, None) or getattr(form, "type_slug", None) or form.csrf_token
    field.errors = [*field.errors, str(exc.message)]


@bp.route("/orgs/<slug>/events")
@access(can_organize_org)
def org_events(slug: str):
    """The organization's events, drafts and pending ones included."""
    org = load_org(slug)
    events = db.session.scalars(
        sa.select(Event).where(Event.host_org_id == org.id).order_by(Event.start_at.desc())
    ).all()
    invitations = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(EventCosponsor)
        .where(EventCosponsor.org_id == org.id, EventCosponsor.status == CosponsorStatus.invited)
    )
    return render_template(
        "events/manage/org_events.html",
        org=org,
        events=events,
        invitations=invitations,
        dates=dates_summary(events),
    )


@bp.route("/orgs/<slug>/events/new", methods=["GET", "POST"])
@access(can_organize_org)
def create(slug: str):
    """Post an event (saved as a draft; publish it from its preview)."""
    org = load_org(slug)
    form = EventForm()
    if request.method == "GET":
        form.primary_language.data = org.languages[0] if org.languages else "en"
    if form.validate_on_submit():
        try:
            event = ops.create_event(org, current_user, form_to_input(form))
        except ops.EventError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("Saved as a draft. Check the preview, then publish."), "success")
            return redirect(url_for("events.show", event_id=event.id))
    return render_template("events/manage/form.html", form=form, org=org, event=None), (
        400 if form.errors else 200
    )


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@access(can_manage_event)
def edit(event_id: int):
    event = load_event(event_id)
    form = EventForm(data=None if request.method == "POST" else event_to_form_data(event))
    if form.validate_on_submit():
        try:
            ops.update_event(event, form_to_input(form))
        except ops.EventError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("The event is saved."), "success")
            return redirect(url_for("events.show", event_id=event.id))
    return render_template("events/manage/form.html", form=form, org=event.host_org, event=event), (
        400 if form.errors else 200
    )


def _state_change(event: Event, action, message: str, *args):
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    try:
        action(*args)
    except ops.EventError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), 409, back=url_for("events.show", event_id=event.id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/events/<int:event_id>/publish", methods=["POST"])
@access(can_manage_event)
def publish(event_id: int):
    event = load_event(event_id)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    try:
        status = event_lifecycle.publish(event, current_user)
    except ops.EventError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), 409, back=url_for("events.show", event_id=event.id))
    db.session.commit()
    if status == EventStatus.pending:
        flash(_("Sent for approval. A coalition admin will publish it."), "info")
    else:
        flash(_("Published. It is on the calendar now."), "success")
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/events/<int:event_id>/cancel", methods=["POST"])
@access(can_manage_event)
def cancel(event_id: int):
    event = load_event(event_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return action_refused(_("Write the reason for the cancellation."), 400,
                              back=url_for("events.show", event_id=event.id))  # fmt: skip
    try:
        event_lifecycle.cancel_event(event, form.reason.data.strip())
    except ops.EventError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), 409, back=url_for("events.show", event_id=event.id))
    db.session.commit()
    flash(_("The event is cancelled; people who RSVPed are told."), "success")
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/events/<int:event_id>/duplicate", methods=["POST"])
@access(can_manage_event)
def duplicate(event_id: int):
    """Post it again: a draft copy one month later."""
    event = load_event(event_id)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    copy = event_lifecycle.duplicate(event, current_user)
    db.session.commit()
    flash(_("A copy one month later is saved as a draft. Check the date and publish."), "success")
    return redirect(url_for("events_manage.edit", event_id=copy.id))


@bp.route("/events/<int:event_id>/delete", methods=["POST"])
@access(can_manage_event)
def delete(event_id: int):
    event = load_event(event_id)
    slug = event.host_org.slug
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    try:
        event_lifecycle.delete_draft(event)
    except ops.EventError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), 409, back=url_for("events.show", event_id=event_id))
    db.session.commit()
    flash(_("The draft is deleted."), "success")
    return redirect(url_for("events_manage.org_events", slug=slug))


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>/edit", methods=["GET", "POST"])
@access(can_manage_event)
def edit_occurrence(event_id: int, occurrence_id: int):
    """Change one date's time, place, note or seats."""
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    if request.method == "GET":
        form = OccurrenceForm(
            data={
                "start_date": occurrence.local_start.date(),
                "start_time": occurrence.local_start.time(),
                "end_time": occurrence.local_end.time(),
                "venue": occurrence.venue,
                "address": occurrence.address,
                "city": occurrence.city,
                "map_url": occurrence.map_url,
                "note": occurrence.note,
                "capacity": occurrence.capacity,
            }
        )
    else:
        form = OccurrenceForm()
    if form.validate_on_submit():
        change = occurrence_ops.OccurrenceChange(
            start_date=form.start_date.data,
            start_time=form.start_time.data,
            end_time=form.end_time.data,
            venue=form.venue.data,
            address=form.address.data,
            city=form.city.data,
            map_url=form.map_url.data,
            note=form.note.data,
            capacity=form.capacity.data,
        )
        try:
            occurrence_ops.override_occurrence(occurrence, change)
        except ops.EventError as exc:
            db.session.rollback()
            getattr(form, exc.field or "start_date", form.start_date).errors.append(
                str(exc.message)
            )
        else:
            db.session.commit()
            flash(_("This date is changed; the rest of the series stays as it is."), "success")
            return redirect(
                url_for("events.occurrence", event_id=event.id, occurrence_id=occurrence.id)
            )
    return render_template(
        "events/manage/occurrence.html", form=form, event=event, occurrence=occurrence,
        reason_form=ReasonForm(),
    ), (400 if form.errors else 200)  # fmt: skip


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>/cancel", methods=["POST"])
@access(can_manage_event)
def cancel_occurrence(event_id: int, occurrence_id: int):
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    form = ReasonForm()
    back = url_for("events.occurrence", event_id=event.id, occurrence_id=occurrence.id)
    if not form.validate_on_submit():
        return action_refused(_("Write the reason for the cancellation."), 400, back=back)
    try:
        occurrence_ops.cancel_occurrence(occurrence, form.reason.data.strip())
    except ops.EventError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), 409, back=back)
    db.session.commit()
    flash(_("This date is cancelled; people who RSVPed are told."), "success")
    return redirect(back)


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>/restore", methods=["POST"])
@access(can_manage_event)
def restore_occurrence(event_id: int, occurrence_id: int):
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    return _state_change(
        event, occurrence_ops.restore_occurrence, _("This date is back on."), occurrence
    )


@bp.route("/events/<int:event_id>/cosponsors", methods=["GET", "POST"])
@access(can_manage_event)
def cosponsors(event_id: int):
    """Invite member organizations to co-sponsor; see who accepted."""
    event = load_event(event_id)
    form = CosponsorInviteForm()
    taken = {event.host_org_id} | {c.org_id for c in event.cosponsors}
    candidates = db.session.scalars(
        sa.select(Organization)
        .where(Organization.status == OrgStatus.active, Organization.id.not_in(taken))
        .order_by(sa.func.lower(Organization.name))
    ).all()
    form.org.choices = [(o.slug, o.name) for o in candidates]
    if form.validate_on_submit():
        org = db.session.scalar(sa.select(Organization).where(Organization.slug == form.org.data))
        try:
            event_lifecycle.invite_cosponsor(event, org)
        except ops.EventError as exc:
            db.session.rollback()
            form.org.errors.append(str(exc.message))
        else:
            db.session.commit()
            flash(_("Invitation sent to %(org)s.", org=org.name), "success")
            return redirect(url_for("events_manage.cosponsors", event_id=event.id))
    return render_template("events/manage/cosponsors.html", event=event, form=form), (
        400 if form.errors else 200
    )


@bp.route("/events/<int:event_id>/cosponsors/<int:cosponsor_id>/remove", methods=["POST"])
@access(can_manage_event)
def remove_cosponsor(event_id: int, cosponsor_id: int):
    event = load_event(event_id)
    cosponsor = db.session.get(EventCosponsor, cosponsor_id)
    if cosponsor is None or cosponsor.event_id != event.id:
        return action_refused(_("There is nothing at this address."), 404)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    event_lifecycle.remove_cosponsor(cosponsor)
    db.session.commit()
    flash(_("Co-sponsor removed."), "success")
    return redirect(url_for("events_manage.cosponsors", event_id=event.id))


@bp.route("/events/<int:event_id>/cosponsors/<int:cosponsor_id>/share", methods=["POST"])
@access(can_manage_event)
def share_attendees(event_id: int, cosponsor_id: int):
    """Share the attendee list with a co-sponsor, or stop sharing it (counts are always shared)."""
    event = load_event(event_id)
    cosponsor = db.session.get(EventCosponsor, cosponsor_id)
    if cosponsor is None or cosponsor.event_id != event.id:
        return action_refused(_("There is nothing at this address."), 404)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    cosponsor.shares_attendees = not cosponsor.shares_attendees
    db.session.commit()
    if cosponsor.shares_attendees:
        flash(_("%(org)s now sees the attendee list.", org=cosponsor.org.name), "success")
    else:
        flash(_("%(org)s no longer sees the attendee list.", org=cosponsor.org.name), "success")
    return redirect(url_for("events_manage.cosponsors", event_id=event.id))


@bp.route("/orgs/<slug>/cosponsorships")
@access(can_organize_org)
def cosponsorships(slug: str):
    """Invitations to co-sponsor other organizations' events."""
    org = load_org(slug)
    rows = db.session.scalars(
        sa.select(EventCosponsor)
        .where(EventCosponsor.org_id == org.id)
        .order_by(EventCosponsor.invited_at.desc())
    ).all()
    return render_template("events/manage/cosponsorships.html", org=org, rows=rows)


@bp.route(
    "/orgs/<slug>/cosponsorships/<int:cosponsor_id>/<any(accept, decline):answer>",
    methods=["POST"],
)
@access(can_organize_org)
def answer_cosponsorship(slug: str, cosponsor_id: int, answer: str):
    org = load_org(slug)
    cosponsor = db.session.get(EventCosponsor, cosponsor_id)
    back = url_for("events_manage.cosponsorships", slug=org.slug)
    if cosponsor is None or cosponsor.org_id != org.id:
        return action_refused(_("There is nothing at this address."), 404, back=back)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    try:
        event_lifecycle.respond_to_cosponsorship(cosponsor, accept=answer == "accept")
    except ops.EventError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), 409, back=back)
    db.session.commit()
    flash(_("Thank you for answering."), "success")
    return redirect(back)
