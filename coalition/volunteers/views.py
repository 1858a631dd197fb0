"""Helpers: the organizers' roles and helper list, the public sign-up form, the private page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from coalition.access import access, public
from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
from coalition.core.message_form import message_form
from coalition.core.private_links import PrivateLink
from coalition.core.responses import PRIVATE_HEADERS, invalid_link, private
from coalition.delegations.models import Delegation
from coalition.events.models import Occurrence
from coalition.events.permissions import can_decide_attendees, can_handle_attendees, load
from coalition.extensions import db, limiter
from coalition.rsvps.identity import reachable
from coalition.rsvps.models import RSVP
from coalition.rsvps.operations import closed_reason, record_access
from coalition.rsvps.public import visible_occurrence
from coalition.volunteers import operations as ops
from coalition.volunteers.forms import HelperForm, RideForm, RiderForm, RoleForm, TakeRiderForm
from coalition.volunteers.models import Helper, RideAssignment, RoleKind, VolunteerRole

bp = Blueprint("volunteers", __name__)

PREFIX = "/events/<int:event_id>/occurrences/<int:occurrence_id>"
_form_limit = limiter.limit("10 per minute;60 per hour", methods=["POST"])
_link = PrivateLink(ops.helper_for_token, "volunteers.manage")


@bp.app_template_global("volunteer_roles")
def _volunteer_roles(occurrence: Occurrence | None) -> list[ops.RoleCount]:
    """Roles of a date with counts only (the public page, the dashboard)."""
    return ops.role_counts([occurrence.id]) if occurrence is not None else []


@bp.app_template_global("volunteer_still_needed")
def _volunteer_still_needed(occurrence: Occurrence) -> list[str]:
    return ops.still_needed(occurrence)


@bp.app_template_global("ride_of")
def _ride_of(rsvp) -> dict | None:
    """A rider's seat in a car, as their own page shows it: the driver's first name and town."""
    ride = ops.ride_of(rsvp)
    if ride is None:
        return None
    return {"driver": ops.first_name(ride.driver.name), "town": ride.driver.town or ""}


@bp.app_template_global("volunteer_role_title")
def _volunteer_role_title(role: VolunteerRole) -> str:
    return ops.role_title(role)


def _role(occurrence: Occurrence, role_id: int) -> VolunteerRole:
    role = db.session.get(VolunteerRole, role_id)
    if role is None or role.occurrence_id != occurrence.id:
        abort(404)
    return role


def _role_input(form: RoleForm) -> ops.RoleInput:
    return ops.RoleInput(
        kind=RoleKind(form.kind.data), needed=form.needed.data,
        custom_name=form.custom_name.data, language_from=form.language_from.data or None,
        language_to=form.language_to.data or None, town=form.town.data, day=form.day.data,
        start_time=form.start_time.data, end_time=form.end_time.data, note=form.note.data,
        riders_by_drivers=form.riders_by_drivers.data,
    )  # fmt: skip


def _role_form_data(role: VolunteerRole) -> dict:
    zone = role.occurrence.event.zone
    data = {
        "kind": role.kind.value, "custom_name": role.custom_name, "needed": role.needed,
        "language_from": role.language_from or "", "language_to": role.language_to or "",
        "town": role.town, "note": role.note, "riders_by_drivers": role.riders_by_drivers,
    }  # fmt: skip
    if role.starts_at is not None:
        start, end = role.starts_at.astimezone(zone), role.ends_at.astimezone(zone)
        data.update(day=start.date(), start_time=start.time(), end_time=end.time())
    return data


def _save_role(form: RoleForm, operation, target) -> tuple[bool, int]:
    """A posted role form: `operation(target, the input)` committed → (True, 200); else the form
    shows why → (False, 400 or the operation's status)."""
    if not form.validate_on_submit():
        return False, 400
    try:
        operation(target, _role_input(form))
    except ops.VolunteerError as exc:
        db.session.rollback()
        getattr(form, exc.field or "kind").errors.append(str(exc.message))
        return False, exc.status
    db.session.commit()
    return True, 200


# Organizers ----------------------------------------------------------------------------------


@bp.route(f"{PREFIX}/roles", methods=["GET", "POST"])
@access(can_decide_attendees)
def roles(event_id: int, occurrence_id: int):
    """The helpers a date asks for; add a role."""
    event, occ = load(event_id, occurrence_id)
    form = RoleForm()
    status = 200
    if request.method == "POST":
        saved, status = _save_role(form, ops.add_role, occ)
        if saved:
            flash(_("The role is added."), "success")
            return redirect(url_for("volunteers.roles", event_id=event.id,
                                    occurrence_id=occ.id), 303)  # fmt: skip
    if request.method == "GET":
        form.day.data = occ.local_start.date()
    return render_template(
        "volunteers/roles.html", event=event, occurrence=occ, form=form,
        counts=ops.role_counts([occ.id]), button=EmptyForm(),
    ), status  # fmt: skip


@bp.route(f"{PREFIX}/roles/<int:role_id>", methods=["GET", "POST"])
@access(can_decide_attendees)
def edit_role(event_id: int, occurrence_id: int, role_id: int):
    event, occ = load(event_id, occurrence_id)
    role = _role(occ, role_id)
    form = RoleForm(data=_role_form_data(role)) if request.method == "GET" else RoleForm()
    status = 200
    if request.method == "POST":
        saved, status = _save_role(form, ops.change_role, role)
        if saved:
            flash(_("The role is saved."), "success")
            return redirect(url_for("volunteers.roles", event_id=event.id,
                                    occurrence_id=occ.id), 303)  # fmt: skip
    return render_template("volunteers/edit_role.html", event=event, occurrence=occ, role=role,
                           form=form), status  # fmt: skip


@bp.route(f"{PREFIX}/roles/<int:role_id>/delete", methods=["POST"])
@access(can_decide_attendees)
def delete_role(event_id: int, occurrence_id: int, role_id: int):
    event, occ = load(event_id, occurrence_id)
    role = _role(occ, role_id)
    back = url_for("volunteers.roles", event_id=event.id, occurrence_id=occ.id)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400,
                              back=back)  # fmt: skip
    try:
        ops.remove_role(role)
    except ops.VolunteerError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), exc.status, back=back)
    db.session.commit()
    flash(_("The role is removed."), "success")
    return redirect(back, 303)


def _ride_form(occ: Occurrence, needs) -> RideForm:
    form = RideForm(prefix="ride")
    form.delegation.choices = [
        (str(n.delegation.id), f"{n.delegation.name} ({n.delegation.town}): {n.unplaced}")
        for n in needs
    ]
    return form


def _confirm_across_towns(exc: ops.AcrossTowns, *, action: str, fields: dict, back: str,
                          confirm: str = "across_towns"):  # fmt: skip
    """The car leaves from another town than its riders': ask before seating them (409, nothing
    saved); the button posts the same choice again, confirmed (`confirm`: that field's name)."""
    return private((render_template(
        "volunteers/confirm_ride.html", message=str(exc.message), action=action,
        fields={**fields, confirm: "y"}, back=back, button=EmptyForm(),
    ), 409))  # fmt: skip


@bp.route(f"{PREFIX}/helpers")
@access(can_handle_attendees)
def helpers(event_id: int, occurrence_id: int):
    """Who helps, with contacts (audited), and rides: delegations and people who asked for a
    ride matched to drivers."""
    event, occ = load(event_id, occurrence_id)
    record_access(current_user, event.host_org_id, "view_attendees", occurrence_id=occ.id,
                  detail="helpers")  # fmt: skip
    db.session.commit()
    needs = ops.ride_needs(occ)
    people = ops.helpers_of(occ)
    seats_taken = {h.id: sum(r.riders for r in h.rides) for h in people}
    drivers = [h for h in people if h.is_active and h.role.kind == RoleKind.driver]
    body = render_template(
        "volunteers/helpers.html", event=event, occurrence=occ, counts=ops.role_counts([occ.id]),
        helpers=people, needs=needs, ride_form=_ride_form(occ, needs),
        seats_taken=seats_taken, button=EmptyForm(), riders=ops.rider_needs(occ),
        drivers=drivers, same_town=ops.same_town,
    )  # fmt: skip
    return body, 200, PRIVATE_HEADERS


@bp.route(f"{PREFIX}/riders/<int:rsvp_id>/ride", methods=["POST"])
@access(can_handle_attendees)
def seat_rider(event_id: int, occurrence_id: int, rsvp_id: int):
    """Seat a person who asked for a ride in a driver's car; both are told on their channel."""
    event, occ = load(event_id, occurrence_id)
    back = url_for("volunteers.helpers", event_id=event.id, occurrence_id=occ.id)
    rsvp = db.session.get(RSVP, rsvp_id)
    if rsvp is None or rsvp.occurrence_id != occ.id:
        return action_refused(_("There is nothing at this address."), 404, back=back)
    form = RiderForm()
    form.driver.choices = [(str(h.id), h.name or "") for h in ops.helpers_of(occ)]
    if not form.validate_on_submit():
        return action_refused(_("Choose a driver."), 400, back=back)
    driver = db.session.get(Helper, int(form.driver.data))
    try:
        ops.assign_rider(driver, rsvp, across_towns=form.across_towns.data)
    except ops.AcrossTowns as exc:
        db.session.rollback()
        return _confirm_across_towns(
            exc, action=url_for("volunteers.seat_rider", event_id=event.id,
                                occurrence_id=occ.id, rsvp_id=rsvp_id),
            fields={"driver": form.driver.data}, back=back,
        )  # fmt: skip
    except ops.VolunteerError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), exc.status, back=back)
    db.session.commit()
    flash(_("The rider has a seat. The rider and the driver are told."), "success")
    return redirect(back, 303)


@bp.route(f"{PREFIX}/helpers/<int:helper_id>/rides", methods=["POST"])
@access(can_handle_attendees)
def assign_ride(event_id: int, occurrence_id: int, helper_id: int):
    """Seat riders of a delegation in a driver's car (never more than the car's seats)."""
    event, occ = load(event_id, occurrence_id)
    back = url_for("volunteers.helpers", event_id=event.id, occurrence_id=occ.id)
    driver = db.session.get(Helper, helper_id)
    needs = ops.ride_needs(occ)
    form = _ride_form(occ, needs)
    if driver is None or driver.occurrence_id != occ.id:
        return action_refused(_("There is nothing at this address."), 404, back=back)
    if not form.validate_on_submit():
        return action_refused(_("Choose a delegation and a number of riders."), 400, back=back)
    delegation = db.session.get(Delegation, int(form.delegation.data))
    try:
        ops.assign_ride(driver, delegation, form.riders.data, across_towns=form.across_towns.data)
    except ops.AcrossTowns as exc:
        db.session.rollback()
        return _confirm_across_towns(
            exc, action=url_for("volunteers.assign_ride", event_id=event.id,
                                occurrence_id=occ.id, helper_id=helper_id),
            fields={"ride-delegation": form.delegation.data,
                    "ride-riders": form.riders.data or ""}, back=back,
            confirm=form.across_towns.name,
        )  # fmt: skip
    except ops.VolunteerError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), exc.status, back=back)
    db.session.commit()
    flash(_("Riders assigned."), "success")
    return redirect(back, 303)


@bp.route(f"{PREFIX}/rides/<int:ride_id>/delete", methods=["POST"])
@access(can_handle_attendees)
def delete_ride(event_id: int, occurrence_id: int, ride_id: int):
    event, occ = load(event_id, occurrence_id)
    back = url_for("volunteers.helpers", event_id=event.id, occurrence_id=occ.id)
    ride = db.session.get(RideAssignment, ride_id)
    if ride is None or ride.driver.occurrence_id != occ.id:
        return action_refused(_("There is nothing at this address."), 404, back=back)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400,
                              back=back)  # fmt: skip
    ops.unassign_ride(ride)
    db.session.commit()
    flash(_("Riders unassigned."), "success")
    return redirect(back, 303)


@bp.route(f"{PREFIX}/roles/<int:role_id>/message", methods=["GET", "POST"])
@access(can_handle_attendees)
def message(event_id: int, occurrence_id: int, role_id: int):
    """Write to the helpers of one role (email, or text for phone-only helpers)."""
    event, occ = load(event_id, occurrence_id)
    role = _role(occ, role_id)
    form = message_form(event.primary_language)
    form.audience.choices = [(str(role.id), ops.role_title(role))]
    if form.validate_on_submit():
        subjects, bodies = form.written()
        sent = ops.message_helpers(role, subjects=subjects, bodies=bodies)
        record_access(current_user, event.host_org_id, "message", occurrence_id=occ.id,
                      detail=f"helpers {role.id}: {sent} recipients")  # fmt: skip
        db.session.commit()
        flash(
            ngettext("Message sent to %(num)d person.", "Message sent to %(num)d people.", sent),
            "success",
        )
        return redirect(url_for("volunteers.helpers", event_id=event.id, occurrence_id=occ.id))
    return render_template(
        "volunteers/message.html", event=event, occurrence=occ, role=role, form=form,
        title=ops.role_title(role), reach=ops.reach(role),
    ), (400 if form.errors else 200)  # fmt: skip


# The public form -----------------------------------------------------------------------------


@bp.route(f"{PREFIX}/help", methods=["GET", "POST"])
@access(public)
@_form_limit
def new(event_id: int, occurrence_id: int):
    """Sign up to help (no account needed; attending is a separate RSVP)."""
    occurrence = visible_occurrence(event_id, occurrence_id)
    event = occurrence.event
    counts = ops.role_counts([occurrence.id])
    open_roles = [c for c in counts if c.spots_left]
    closed = closed_reason(occurrence)
    form = HelperForm()
    form.role.choices = [(str(c.role.id), c.title) for c in open_roles]
    status = 200
    if request.method == "GET":
        form.language.data = str(get_locale() or "en")
        if request.args.get("role"):
            form.role.data = request.args["role"]
    elif closed is not None:
        status = 409
    elif request.form.get("website"):
        return redirect(url_for("events.occurrence", event_id=event.id,
                                occurrence_id=occurrence.id), 303)  # fmt: skip
    elif form.validate_on_submit():
        role = _role(occurrence, int(form.role.data))
        data = ops.HelperInput(
            name=form.name.data, email=form.email.data,
            phone=form.phone.data if form.offers_phone else None, language=form.language.data,
            seats=form.seats.data, town=form.town.data, note=form.note.data,
            consents_to_reminders=form.consents_to_reminders.data,
        )  # fmt: skip
        try:
            _helper, receipt = ops.submit(role, data)
        except ops.VolunteerError as exc:
            db.session.rollback()
            getattr(form, exc.field or "role", form.role).errors.append(str(exc.message))
            status = exc.status
        else:
            db.session.commit()
            return private(render_template("volunteers/sent.html", receipt=receipt, event=event,
                                           occurrence=occurrence))  # fmt: skip
    else:
        status = 400
    return render_template(
        "volunteers/new.html", form=form, event=event, occurrence=occurrence, closed=closed,
        counts=counts, open_roles=open_roles,
    ), status  # fmt: skip


# The private page ----------------------------------------------------------------------------


@bp.route("/help/<token>")
@access(public)
def manage(token: str):
    helper = _link.find(token)
    if helper is None:
        return invalid_link()
    occurrence = helper.occurrence
    picks = helper.is_active and helper.role.kind == RoleKind.driver
    waiting = (
        ops.rider_needs(occurrence, waiting_only=True)
        if picks and helper.role.riders_by_drivers
        else []
    )
    return private(render_template(
        "volunteers/manage.html", helper=helper, token=token, occurrence=occurrence,
        event=occurrence.event, title=ops.role_title(helper.role), button=EmptyForm(),
        location=ops.public_place(helper), reachable=reachable(helper),
        closed=closed_reason(occurrence), waiting_riders=waiting, first_name=ops.first_name,
        seats_free=max((helper.seats or 0) - ops.seats_taken(helper.id), 0),
        same_town=ops.same_town,
    ))  # fmt: skip


@bp.route("/help/<token>/riders/<int:rsvp_id>", methods=["POST"])
@access(public)
@_form_limit
def take_rider(token: str, rsvp_id: int):
    """A driver seats a rider in their own car, where the organizers allow it."""
    helper = _link.find(token)
    if helper is None:
        return invalid_link()
    back = url_for("volunteers.manage", token=token)
    rsvp = db.session.get(RSVP, rsvp_id)
    form = TakeRiderForm()
    if not form.validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400,
                              back=back)  # fmt: skip
    if rsvp is None or rsvp.occurrence_id != helper.occurrence_id:
        return action_refused(_("There is nothing at this address."), 404, back=back)
    try:
        ops.assign_rider(helper, rsvp, across_towns=form.across_towns.data, by_driver=True)
    except ops.AcrossTowns as exc:
        db.session.rollback()
        return _confirm_across_towns(
            exc, action=url_for("volunteers.take_rider", token=token, rsvp_id=rsvp_id),
            fields={}, back=back,
        )  # fmt: skip
    except ops.VolunteerError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), exc.status, back=back)
    return _link.done(token, _("The rider is in your car. We told them your first name."))


@bp.route("/help/<token>/cancel", methods=["POST"])
@access(public)
def cancel(token: str):
    return _link.act(
        token, ops.cancel,
        _("You are no longer signed up to help. Thank you for telling us."),
    )  # fmt: skip


@bp.route("/help/<token>/rejoin", methods=["POST"])
@access(public)
@_form_limit
def rejoin(token: str):
    return _link.act(token, ops.rejoin, _("You are signed up again."), refused=ops.VolunteerError)


_link.add_person_routes(
    bp,
    "/help/<token>",
    erase=ops.erase,
    event_of=lambda helper: helper.occurrence.event,
    set_consent=ops.set_reminder_consent,
    unsubscribe_page=lambda _helper, token: render_template(
        "volunteers/unsubscribe.html", token=token
    ),
)
