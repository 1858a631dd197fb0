"""The public RSVP form and the private manage page (the signed link is the authorisation)."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from coalition import signals
from coalition.access import access, public, signed_in
from coalition.core.forms import EmptyForm
from coalition.core.private_links import PrivateLink
from coalition.core.responses import invalid_link, private
from coalition.extensions import db, limiter
from coalition.rsvps import identity
from coalition.rsvps import operations as ops
from coalition.rsvps.forms import ManageForm, RSVPForm
from coalition.rsvps.public import visible_occurrence

bp = Blueprint("rsvps", __name__)

_form_limit = limiter.limit("10 per minute;60 per hour", methods=["POST"])
_link = PrivateLink(ops.rsvp_for_token, "rsvps.manage")


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>/rsvp", methods=["GET", "POST"])
@access(public)
@_form_limit
def new(event_id: int, occurrence_id: int):
    """RSVP for one date: no account needed; signed-in people in one click."""
    occurrence = visible_occurrence(event_id, occurrence_id)
    event = occurrence.event
    for elsewhere in signals.answers(signals.rsvp_form_elsewhere, occurrence):
        return redirect(elsewhere, 303)  # one registration for every part (`coalition.sessions`)
    closed = ops.closed_reason(occurrence)
    form = RSVPForm()
    if request.method == "GET":
        form.language.data = str(get_locale() or "en")
        if current_user.is_authenticated:
            form.name.data, form.email.data = current_user.name, current_user.email
            form.language.data = current_user.language
    status = 200
    if request.method == "POST":
        if closed is not None:
            status = 409
        elif request.form.get("website"):
            # A bot filled the honeypot: answer like a success, write nothing.
            return redirect(url_for("events.occurrence", event_id=event.id,
                                    occurrence_id=occurrence.id), 303)  # fmt: skip
        elif form.validate_on_submit():
            try:
                data = form.to_input()
                sessions = [
                    chosen
                    for answer in signals.answers(
                        signals.rsvp_form_posted, occurrence, form=request.form, data=data
                    )
                    for chosen in answer
                ]  # the sessions chosen with the form (`coalition.sessions`)
                outcome = ops.submit(
                    occurrence, data, user=current_user if current_user.is_authenticated else None,
                )  # fmt: skip
            except ops.RSVPError as exc:
                db.session.rollback()
                form.show_refusal(exc)
                status = exc.status
            else:
                db.session.commit()
                outcome.receipt.sessions = sessions
                return after_submission(outcome, event, occurrence)
        else:
            status = 400
    upcoming = [o for o in event.occurrences if ops.closed_reason(o) is None][:20]
    return render_template(
        "rsvps/new.html", form=form, event=event, occurrence=occurrence, closed=closed,
        seats_left=ops.seats_left(occurrence), upcoming=upcoming,
    ), status  # fmt: skip


def after_submission(outcome: ops.Outcome, event, occurrence, delegation=None):
    """The page after an RSVP: the same whether or not the contact was known (only what was
    typed, and where the link went), except for a signed-in person's own RSVP."""
    if outcome.owned:
        return redirect(url_for("rsvps.manage", token=ops.manage_token(outcome.rsvp)), 303)
    return private(render_template(
        "rsvps/sent.html", receipt=outcome.receipt, event=event, occurrence=occurrence,
        delegation=delegation,
    ))  # fmt: skip


@bp.route("/rsvp/<token>")
@access(public)
def manage(token: str):
    """The confirmation and manage page."""
    rsvp = _link.find(token)
    if rsvp is None:
        return invalid_link()
    form = ManageForm(obj=rsvp)
    return private(_manage_page(rsvp, token, form))


def _manage_page(rsvp, token, form, status=200):
    occurrence = rsvp.occurrence
    return render_template(
        "rsvps/manage.html", rsvp=rsvp, token=token, form=form, occurrence=occurrence,
        event=occurrence.event, location=ops.location_for_rsvp(rsvp), button=EmptyForm(),
        reachable=identity.reachable(rsvp),
    ), status  # fmt: skip


@bp.route("/rsvp/<token>/update", methods=["POST"])
@access(public)
@_form_limit
def update(token: str):
    rsvp = _link.find(token)
    if rsvp is None:
        return invalid_link()
    form = ManageForm()
    if not form.validate_on_submit():
        return private(_manage_page(rsvp, token, form, 400))
    try:
        ops.change(rsvp, party_size=form.party_size.data,
                   needs_interpretation=form.needs_interpretation.data,
                   needs_childcare=form.needs_childcare.data, needs_ride=form.needs_ride.data,
                   ride_from=form.ride_from.data, note=form.note.data, notify=True)  # fmt: skip
    except ops.RSVPError as exc:
        db.session.rollback()
        getattr(form, exc.field or "party_size", form.party_size).errors.append(str(exc.message))
        return private(_manage_page(rsvp, token, form, exc.status))
    return _link.done(token, _("Your RSVP is updated."))


@bp.route("/rsvp/<token>/account", methods=["POST"])
@access(signed_in)
def link_account(token: str):
    """Keep this RSVP in the signed-in account (the link proves it is theirs)."""
    return _link.act(token, lambda rsvp: ops.link_to_account(rsvp, current_user),
                     _("This RSVP is now in your account."))  # fmt: skip


@bp.route("/rsvp/<token>/rejoin", methods=["POST"])
@access(public)
@_form_limit
def rejoin(token: str):
    """Sign up again after cancelling."""
    return _link.act(token, ops.rejoin, _("You are signed up again."), refused=ops.RSVPError)


@bp.route("/rsvp/<token>/cancel", methods=["GET", "POST"])
@access(public)
def cancel(token: str):
    """GET asks "are you sure?"; POST cancels and confirms it (email, else a text)."""
    if request.method == "POST":
        return _link.act(token, partial(ops.cancel, notify=True),
                         _("Your RSVP is cancelled. Thank you for telling us."))  # fmt: skip
    rsvp = _link.find(token)
    if rsvp is None:
        return invalid_link()
    if not rsvp.is_active:
        return _link.back(token)
    occurrence = rsvp.occurrence
    return private(render_template(
        "rsvps/cancel.html", rsvp=rsvp, token=token, occurrence=occurrence,
        event=occurrence.event, button=EmptyForm(), reachable=identity.reachable(rsvp),
    ))  # fmt: skip


_link.add_person_routes(
    bp,
    "/rsvp/<token>",
    erase=ops.erase,
    event_of=lambda rsvp: rsvp.occurrence.event,
    set_consent=ops.set_reminder_consent,
    unsubscribe_page=lambda rsvp, token: render_template(
        "rsvps/unsubscribe.html", rsvp=rsvp, token=token
    ),
)
