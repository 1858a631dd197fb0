"""Organizers: create, preview, publish, edit, duplicate, cancel events and occurrences;
co-sponsors. Every rule lives in `coalition.events.permissions`."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coalition.access import access
from coalition.core.buttons import button_post
from coalition.core.errors import action_refused
from coalition.events import lifecycle as event_lifecycle
from coalition.events import occurrences as occurrence_ops
from coalition.events import operations as ops
from coalition.events import org_listing
from coalition.events.forms import (
    CosponsorInviteForm,
    EventForm,
    OccurrenceForm,
    ReasonForm,
    event_to_form_data,
    form_to_input,
)
from coalition.events.models import Event, EventCosponsor, EventStatus
from coalition.events.permissions import (
    can_manage_event,
    can_organize_org,
    load_event,
    load_occurrence,
)
from coalition.extensions import db
from coalition.orgs.models import Organization, OrgStatus
from coalition.orgs.permissions import load_org

bp = Blueprint("events_manage", __name__)


def _shown(event: Event) -> str:
    """The event's page, where its organizers' buttons lead back to."""
    return url_for("events.show", event_id=event.id)


def _cosponsors(event: Event) -> str:
    return url_for("events_manage.cosponsors", event_id=event.id)


def _field_error(form, exc: ops.EventError) -> None:
    """Put an operation's refusal next to the field it concerns (the title for texts)."""
    name = exc.field or ""
    field = getattr(form, name, None) or getattr(form, "type_slug", None) or form.csrf_token
    field.errors = [*field.errors, str(exc.message)]


@bp.route("/orgs/<slug>/events")
@access(can_organize_org)
def org_events(slug: str):
    """The organization's events, drafts and pending ones included, a page at a time (an
    organization with years of weekly meetings has thousands): one query for the page, each
    row's markup shared by the organization's organizers (`coalition/events/org_listing.py`)."""
    org = load_org(slug)
    page = org_listing.org_events_page(org.id, request.args.get("page", 1, type=int))
    return render_template(
        "events/manage/org_events.html",
        org=org,
        page=page,
        rows=org_listing.render_rows(page.rows),
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


@bp.route("/events/<int:event_id>/publish", methods=["POST"])
@access(can_manage_event)
def publish(event_id: int):
    event = load_event(event_id)

    def said(status) -> tuple[str, str]:
        if status == EventStatus.pending:
            return _("Sent for approval. A coalition admin will publish it."), "info"
        return _("Published. It is on the calendar now."), "success"

    return button_post(lambda: event_lifecycle.publish(event, current_user), said,
                       _shown(event), refused=ops.EventError)  # fmt: skip


@bp.route("/events/<int:event_id>/cancel", methods=["POST"])
@access(can_manage_event)
def cancel(event_id: int):
    event = load_event(event_id)
    form = ReasonForm()
    return button_post(
        lambda: event_lifecycle.cancel_event(event, form.reason.data.strip()),
        _("The event is cancelled; people who RSVPed are told."), _shown(event),
        refused=ops.EventError, form=form, invalid=_("Write the reason for the cancellation."),
    )  # fmt: skip


@bp.route("/events/<int:event_id>/duplicate", methods=["POST"])
@access(can_manage_event)
def duplicate(event_id: int):
    """Post it again: a draft copy one month later."""
    event = load_event(event_id)
    return button_post(
        lambda: event_lifecycle.duplicate(event, current_user),
        _("A copy one month later is saved as a draft. Check the date and publish."),
        _shown(event), then=lambda copy: url_for("events_manage.edit", event_id=copy.id),
    )  # fmt: skip


@bp.route("/events/<int:event_id>/delete", methods=["POST"])
@access(can_manage_event)
def delete(event_id: int):
    event = load_event(event_id)
    return button_post(
        lambda: event_lifecycle.delete_draft(event), _("The draft is deleted."), _shown(event),
        refused=ops.EventError,
        then=url_for("events_manage.org_events", slug=event.host_org.slug),
    )  # fmt: skip


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
    return button_post(
        lambda: occurrence_ops.cancel_occurrence(occurrence, form.reason.data.strip()),
        _("This date is cancelled; people who RSVPed are told."),
        url_for("events.occurrence", event_id=event.id, occurrence_id=occurrence.id),
        refused=ops.EventError, form=form, invalid=_("Write the reason for the cancellation."),
    )  # fmt: skip


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>/restore", methods=["POST"])
@access(can_manage_event)
def restore_occurrence(event_id: int, occurrence_id: int):
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    return button_post(
        lambda: occurrence_ops.restore_occurrence(occurrence),
        _("This date is back on."),
        _shown(event),
        refused=ops.EventError,
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
    return button_post(lambda: event_lifecycle.remove_cosponsor(cosponsor),
                       _("Co-sponsor removed."), _cosponsors(event))  # fmt: skip


@bp.route("/events/<int:event_id>/cosponsors/<int:cosponsor_id>/share", methods=["POST"])
@access(can_manage_event)
def share_attendees(event_id: int, cosponsor_id: int):
    """Share the attendee list with a co-sponsor, or stop sharing it (counts are always shared)."""
    event = load_event(event_id)
    cosponsor = db.session.get(EventCosponsor, cosponsor_id)
    if cosponsor is None or cosponsor.event_id != event.id:
        return action_refused(_("There is nothing at this address."), 404)

    def toggle() -> bool:
        cosponsor.shares_attendees = not cosponsor.shares_attendees
        return cosponsor.shares_attendees

    def said(shares: bool) -> tuple[str, str]:
        if shares:
            return _("%(org)s now sees the attendee list.", org=cosponsor.org.name), "success"
        return _("%(org)s no longer sees the attendee list.", org=cosponsor.org.name), "success"

    return button_post(toggle, said, _cosponsors(event))


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
    return button_post(
        lambda: event_lifecycle.respond_to_cosponsorship(cosponsor, accept=answer == "accept"),
        _("Thank you for answering."), back, refused=ops.EventError,
    )  # fmt: skip
