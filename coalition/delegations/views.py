"""Start a delegation, join it, and the lead's private roster."""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from coalition.access import access, public
from coalition.core.forms import EmptyForm
from coalition.core.kept import kept_copies
from coalition.core.private_links import PrivateLink
from coalition.core.responses import invalid_link, private
from coalition.db import commit_look, utcnow
from coalition.delegations import operations as ops
from coalition.delegations.forms import (
    TRAVEL_LABELS,
    DelegationEditForm,
    DelegationForm,
    GuestForm,
    JoinForm,
    MessageForm,
)
from coalition.delegations.models import Delegation, TravelMode
from coalition.delegations.permissions import (
    can_start_delegation,
    can_view_delegation,
    is_delegation_lead,
    may_start,
)
from coalition.events.models import Event, Occurrence
from coalition.extensions import db, limiter
from coalition.languages import message_locale
from coalition.mail.operations import queue_email
from coalition.orgs.models import Organization, OrgStatus
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.labels import needs_labels
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.rsvps.views import after_submission
from coalition.sms.operations import queue_sms
from coalition.tokens import TokenError

bp = Blueprint("delegations", __name__)

_form_limit = limiter.limit("10 per minute;60 per hour", methods=["POST"])
_lead_link = PrivateLink(ops.delegation_for_lead_token, "delegations.lead")


def _refused(form, exc: ops.DelegationError) -> int:
    """Undo what the operation wrote and show why under the field it names; its status."""
    db.session.rollback()
    getattr(form, exc.field or "name", form.name).errors.append(str(exc.message))
    return exc.status


@bp.route(
    "/events/<int:event_id>/occurrences/<int:occurrence_id>/delegations/new",
    methods=["GET", "POST"],
)
@access(can_start_delegation)
@_form_limit
def new(event_id: int, occurrence_id: int):
    """Start a delegation: a group that travels together."""
    event = db.session.get(Event, event_id)
    occurrence = db.session.get(Occurrence, occurrence_id)
    form = DelegationForm()
    orgs = db.session.scalars(
        sa.select(Organization).where(Organization.status == OrgStatus.active)
        .order_by(sa.func.lower(Organization.name))
    ).all()  # fmt: skip
    form.sponsor_org.choices = [("", _("None"))] + [(str(o.id), o.name) for o in orgs]
    if request.method == "GET":
        form.lead_language.data = str(get_locale() or "en")
        if current_user.is_authenticated:
            form.lead_name.data, form.lead_email.data = current_user.name, current_user.email
    closed = rsvp_ops.closed_reason(occurrence)
    status = 200
    if form.validate_on_submit():
        departure = _departure(form, event)
        data = ops.DelegationInput(
            name=form.name.data, town=form.town.data, lead_name=form.lead_name.data,
            lead_email=form.lead_email.data, lead_phone=form.lead_phone.data,
            lead_language=form.lead_language.data,
            expected_headcount=form.expected_headcount.data,
            travel_mode=TravelMode(form.travel_mode.data), meeting_point=form.meeting_point.data,
            departure_at=departure, seat_limit=form.seat_limit.data,
            sponsor_org_id=int(form.sponsor_org.data) if form.sponsor_org.data else None,
        )  # fmt: skip
        try:
            delegation = ops.start(
                occurrence, data, user=current_user if current_user.is_authenticated else None
            )
        except ops.DelegationError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            flash(_("Your delegation is started. Share the join link below; this page is your "
                    "private roster, keep its address to yourself."), "success")  # fmt: skip
            return redirect(url_for("delegations.lead", token=ops.lead_token(delegation)), 303)
    else:
        status = 400 if form.errors else 200
    return render_template("delegations/new.html", form=form, event=event,
                           occurrence=occurrence, closed=closed), status  # fmt: skip


def _departure(form: DelegationEditForm, event: Event):
    """The departure typed on the event's wall clock, in UTC (None when left empty)."""
    if not form.departure.data:
        return None
    return form.departure.data.replace(tzinfo=event.zone).astimezone(UTC)


@bp.route("/delegations/<int:delegation_id>")
@access(can_view_delegation)
def show(delegation_id: int):
    """A delegation's public card, whole: name, town, how it travels, how many are going and
    seats left; never its members, meeting point or lead. Joining takes the lead's link."""
    delegation = db.session.get(Delegation, delegation_id)
    occurrence = delegation.occurrence
    seats = ops.seats_left_in(delegation)
    leads_it = current_user.is_authenticated and delegation.lead_user_id == current_user.id
    return render_template(
        "delegations/show.html", delegation=delegation, occurrence=occurrence,
        event=occurrence.event, coming=ops.members_headcount(delegation, confirmed_only=True) + 1,
        seats_left=seats, travel_labels=TRAVEL_LABELS, leads_it=leads_it,
        closed=rsvp_ops.closed_reason(occurrence),
    )  # fmt: skip


@bp.route("/delegations/<int:delegation_id>/join/<secret>", methods=["GET", "POST"])
@access(public)
@_form_limit
def join(delegation_id: int, secret: str):
    """Join a delegation with the short RSVP form."""
    try:
        delegation = ops.delegation_for_join(delegation_id, secret)
    except TokenError:
        abort(404)
    occurrence = delegation.occurrence
    form = JoinForm()
    if request.method == "GET":
        form.language.data = str(get_locale() or "en")
    status = 200
    if request.method == "POST" and request.form.get("website"):
        return redirect(url_for("events.occurrence", event_id=occurrence.event_id,
                                occurrence_id=occurrence.id), 303)  # fmt: skip
    if form.validate_on_submit():
        try:
            outcome = ops.join(
                delegation, form.to_input(),
                user=current_user if current_user.is_authenticated else None,
            )  # fmt: skip
        except rsvp_ops.RSVPError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name", form.name).errors.append(str(exc.message))
            status = exc.status
        else:
            db.session.commit()
            return after_submission(outcome, occurrence.event, occurrence, delegation)
    elif request.method == "POST":
        status = 400
    seats = ops.seats_left_in(delegation)
    return private((render_template(
        "delegations/join.html", form=form, delegation=delegation, occurrence=occurrence,
        event=occurrence.event, seats_left=seats, closed=rsvp_ops.closed_reason(occurrence),
    ), status))  # fmt: skip


def _members(delegation) -> list[sa.Row]:
    """The roster's members, oldest first: rows of what the roster shows (no ORM object), each
    with the email and phone the lead may see (None unless the member shares them) and whether
    the lead added them without a contact. One query: only the contacts shown are decrypted."""
    shared = RSVP.shares_contact_with_lead
    return db.session.execute(
        sa.select(RSVP.id, RSVP.name, RSVP.status, RSVP.party_size, RSVP.needs_interpretation,
                  RSVP.needs_childcare, RSVP.needs_ride, RSVP.note, shared,
                  sa.case((shared, RSVP.email)).label("email"),
                  sa.case((shared, RSVP.phone)).label("phone"),
                  rsvp_ops.guest_clause().label("guest"))
        .where(RSVP.delegation_id == delegation.id, RSVP.erased_at.is_(None),
               RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted,
                                RSVPStatus.pending]))
        .order_by(RSVP.created_at, RSVP.id)
    ).all()  # fmt: skip


def _roster(
    delegation: Delegation, token: str, *, guest_form: GuestForm | None = None, status: int = 200
):
    """The lead's roster page; every view of it is written to the audit log, committed before
    the page is shown (in the transaction that read what it shows: one round of BEGIN and
    COMMIT)."""
    state = ops.roster_state(delegation)
    body = render_template(
        "delegations/lead.html", delegation=delegation, token=token,
        headcount=state.headcount, roster_rows=_roster_rows(delegation, token, state),
        join_url=ops.join_url(delegation), lead_url=ops.lead_url(delegation),
        travel_labels=TRAVEL_LABELS, occurrence=delegation.occurrence,
        event=delegation.occurrence.event, guest_form=guest_form,
        # The forms' fields are stored fragments: a form is made only to render them again.
        new_guest_form=GuestForm, new_message_form=MessageForm,
    )  # fmt: skip
    rsvp_ops.record_access(
        current_user if current_user.is_authenticated else None,
        delegation.occurrence.event.host_org_id, "view_roster", delegation_id=delegation.id,
    )  # fmt: skip
    commit_look(db.session)
    return private((body, status))


def _roster_rows(delegation: Delegation, token: str, state: ops.RosterState) -> Markup:
    """The lead's and members' rows, rendered once per version of the roster, link and language
    and kept in this process (`core/kept.py`): another look decrypts and writes nothing again
    until a member or the delegation changes (the remove buttons submit one form outside them,
    which holds the viewer's own CSRF field)."""

    def render() -> str:
        # Each row's remove button posts to its own address: built once, the id put in per row.
        remove_url = url_for("delegations.remove_member", token=token, rsvp_id=_ID_SLOT)
        return render_template(
            "delegations/_roster_rows.html", delegation=delegation, members=_members(delegation),
            needs_labels=needs_labels(), remove_url=remove_url.split(str(_ID_SLOT)),
        )  # fmt: skip

    key = (delegation.id, str(get_locale() or "en"), "roster", token)
    return Markup(kept_copies("delegations").get(key, state.version, utcnow(), render))


#: A member id no row has, put in a URL built once and replaced by each row's id.
_ID_SLOT = 987654321987654321


@bp.route("/delegations/lead/<token>")
@access(public)
def lead(token: str):
    """The lead's private roster (every view is written to the audit log)."""
    delegation = _lead_link.find(token)
    if delegation is None:
        return invalid_link()
    return _roster(delegation, token)


@bp.route("/delegations/lead/<token>/edit", methods=["GET", "POST"])
@access(public)
@_form_limit
def edit(token: str):
    """The lead changes the name, expected headcount, meeting point, departure or seats; a new
    meeting point or departure time is sent to the members."""
    delegation = _lead_link.find(token)
    if delegation is None:
        return invalid_link()
    event = delegation.occurrence.event
    form = DelegationEditForm(obj=delegation) if request.method == "GET" else DelegationEditForm()
    if request.method == "GET" and delegation.departure_at is not None:
        form.departure.data = delegation.departure_at.astimezone(event.zone).replace(tzinfo=None)
    status = 200
    if form.validate_on_submit():
        changes = ops.DelegationChanges(
            name=form.name.data, expected_headcount=form.expected_headcount.data,
            meeting_point=form.meeting_point.data, departure_at=_departure(form, event),
            seat_limit=form.seat_limit.data,
        )  # fmt: skip
        try:
            told = ops.edit(delegation, changes)
        except ops.DelegationError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            flash(_("The delegation is saved."), "success")
            if told:
                flash(ngettext("The new meeting point and time were sent to %(num)d member.",
                               "The new meeting point and time were sent to %(num)d members.",
                               told), "success")  # fmt: skip
            return _lead_link.back(token)
    elif request.method == "POST":
        status = 400
    return private((render_template(
        "delegations/edit.html", form=form, delegation=delegation, token=token, event=event,
        occurrence=delegation.occurrence,
    ), status))  # fmt: skip


@bp.route("/delegations/lead/<token>/guests", methods=["POST"])
@access(public)
@_form_limit
def add_guest(token: str):
    """The lead adds someone who has no phone or email (an elder, a child)."""
    delegation = _lead_link.find(token)
    if delegation is None:
        return invalid_link()
    form = GuestForm()
    if not form.validate_on_submit():
        return _roster(delegation, token, guest_form=form, status=400)
    try:
        ops.add_guest(delegation, form.guest_name.data)
    except rsvp_ops.RSVPError as exc:
        db.session.rollback()
        form.guest_name.errors.append(str(exc.message))
        return _roster(delegation, token, guest_form=form, status=exc.status)
    return _lead_link.done(token, _("%(name)s is on the roster.", name=form.guest_name.data))


@bp.route("/delegations/lead/<token>/close", methods=["POST"])
@access(public)
def close(token: str):
    return _lead_link.act(token, ops.close, _l("The delegation is closed to new members."))


@bp.route("/delegations/lead/<token>/reopen", methods=["POST"])
@access(public)
def reopen(token: str):
    return _lead_link.act(token, ops.reopen, _l("The delegation is open again."))


@bp.route("/delegations/lead/<token>/members/<int:rsvp_id>/remove", methods=["POST"])
@access(public)
def remove_member(token: str, rsvp_id: int):
    delegation = _lead_link.find(token)
    if delegation is None:
        return invalid_link()
    rsvp = db.session.get(RSVP, rsvp_id)
    if rsvp is None or rsvp.delegation_id != delegation.id or not EmptyForm().validate_on_submit():
        abort(404)
    ops.remove_member(delegation, rsvp)
    return _lead_link.done(token, _("Removed from the delegation."))


@bp.route("/delegations/lead/<token>/message", methods=["POST"])
@access(public)
def message(token: str):
    """Email every member who gave an email."""
    delegation = _lead_link.find(token)
    if delegation is None:
        return invalid_link()
    form = MessageForm()
    if not form.validate_on_submit():
        flash(_("Write a subject and a message."), "error")
        return _lead_link.back(token)
    sent = 0
    for member in ops.active_members(delegation):
        if member.email:
            queue_email(
                about_delegation=delegation, about_rsvp=member,
                to=member.email, kind="delegation_message", subject=form.subject.data,
                template="delegations/message",
                locale=message_locale(member.language),
                delegation=delegation, body=form.body.data, rsvp=member,
                manage_url=rsvp_ops.manage_url(member),
            )  # fmt: skip
        elif queue_sms(
            to=member.phone, kind="delegation_message", locale=message_locale(member.language),
            org_id=delegation.occurrence.event.host_org_id, about_rsvp=member,
            about_delegation=delegation, subject=form.subject.data, body=form.body.data,
        ) is None:  # fmt: skip
            continue  # no phone either, texts off, or the number said STOP
        sent += 1
    rsvp_ops.record_access(current_user if current_user.is_authenticated else None,
                           delegation.occurrence.event.host_org_id, "message",
                           delegation_id=delegation.id, detail=f"{sent} recipients")  # fmt: skip
    return _lead_link.done(
        token, ngettext("Message sent to %(num)d person.", "Message sent to %(num)d people.", sent)
    )


@bp.route("/delegations/<int:delegation_id>/roster")
@access(is_delegation_lead)
def roster(delegation_id: int):
    """A signed-in lead's way to the roster from the event page (no emailed link needed)."""
    delegation = db.session.get(Delegation, delegation_id)
    return private(redirect(url_for("delegations.lead", token=ops.lead_token(delegation)), 303))


@bp.app_template_global()
def delegations_led_by_me(occurrence) -> set[int]:
    """Ids of this occurrence's delegations that the signed-in person leads."""
    if not current_user.is_authenticated:
        return set()
    return set(
        db.session.scalars(
            sa.select(Delegation.id).where(
                Delegation.occurrence_id == occurrence.id,
                Delegation.lead_user_id == current_user.id,
            )
        )
    )


@bp.app_template_global()
def may_start_delegation(occurrence) -> bool:
    """Show "start a delegation": the date takes RSVPs and this person may start one."""
    return rsvp_ops.closed_reason(occurrence) is None and may_start(occurrence.event, current_user)
