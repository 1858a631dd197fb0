"""Sessions (organizers' pages, a person's choice from their private link) and series
registration (the form, the private page of a registration, the organizers' settings and
attendance)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from coalition.access import access, public
from coalition.core.forms import EmptyForm
from coalition.core.private_links import PrivateLink
from coalition.core.responses import invalid_link, private
from coalition.db import utcnow
from coalition.events.models import Event
from coalition.events.permissions import (
    can_decide_attendees,
    can_handle_attendees,
    can_manage_event,
    load_event,
    load_occurrence,
)
from coalition.extensions import db, limiter
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.forms import RSVPForm
from coalition.rsvps.models import RSVP
from coalition.sessions import operations as ops
from coalition.sessions import series
from coalition.sessions.forms import (
    MoveForm,
    SeriesForm,
    SessionForm,
    chosen_per_date,
    chosen_session_ids,
)
from coalition.sessions.models import EventSession, SeriesMode, SeriesSettings, SessionSignup

bp = Blueprint("sessions", __name__)

PREFIX = "/events/<int:event_id>/occurrences/<int:occurrence_id>/sessions"
_form_limit = limiter.limit("10 per minute;60 per hour", methods=["POST"])
_rsvp_link = PrivateLink(rsvp_ops.rsvp_for_token, "rsvps.manage")
_series_link = PrivateLink(series.registration_for_token, "sessions.series_manage")


def _session(occurrence, session_id: int) -> EventSession:
    session = db.session.get(EventSession, session_id)
    if session is None or session.occurrence_id != occurrence.id:
        abort(404)
    return session


def _field_error(form, exc: ops.SessionError) -> None:
    name = {"end": "end_time", "start": "start_time"}.get(exc.field or "", exc.field or "")
    field = getattr(form, name, None) or form.title
    field.errors = [*field.errors, str(exc.message)]


def _save(form, event, operation, target) -> tuple[bool, int]:
    """A posted session form: `operation(target, the input)` committed → (True, 200); else the
    form shows why → (False, 400 or the operation's status)."""
    if not form.validate_on_submit():
        return False, 400
    try:
        operation(target, form.to_input(event.zone))
    except ops.SessionError as exc:
        db.session.rollback()
        _field_error(form, exc)
        return False, exc.status
    db.session.commit()
    return True, 200


def _to_index(event, occurrence):
    return redirect(url_for("sessions.index", event_id=event.id, occurrence_id=occurrence.id), 303)


# Organizers ------------------------------------------------------------------------------------


@bp.route(PREFIX, methods=["GET", "POST"])
@access(can_manage_event)
def index(event_id: int, occurrence_id: int):
    """The date's sessions with their counts, and a form to add one."""
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    form = SessionForm()
    status = 200
    if request.method == "GET":
        form.date.data = occurrence.start_at.astimezone(event.zone).date()
    else:
        saved, status = _save(form, event, ops.create_session, occurrence)
        if saved:
            flash(_("The session is added."), "success")
            return _to_index(event, occurrence)
    sessions = ops.sessions_of(occurrence.id)
    return render_template(
        "sessions/index.html", event=event, occurrence=occurrence, form=form, sessions=sessions,
        counts=ops.headcounts([s.id for s in sessions]), slots=ops.time_slots(sessions),
    ), status  # fmt: skip


@bp.route(f"{PREFIX}/<int:session_id>/edit", methods=["GET", "POST"])
@access(can_manage_event)
def edit(event_id: int, occurrence_id: int, session_id: int):
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    session = _session(occurrence, session_id)
    form = SessionForm()
    status = 200
    if request.method == "GET":
        form.fill(session, event.zone)
    else:
        saved, status = _save(form, event, ops.update_session, session)
        if saved:
            flash(_("The session is saved."), "success")
            return _to_index(event, occurrence)
    return render_template(
        "sessions/edit.html", event=event, occurrence=occurrence, session=session, form=form,
        button=EmptyForm(),
    ), status  # fmt: skip


@bp.route(f"{PREFIX}/<int:session_id>/delete", methods=["POST"])
@access(can_manage_event)
def delete(event_id: int, occurrence_id: int, session_id: int):
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    session = _session(occurrence, session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    ops.delete_session(session)
    db.session.commit()
    flash(_("The session is deleted."), "success")
    return _to_index(event, occurrence)


@bp.route(f"{PREFIX}/<int:session_id>/people")
@access(can_handle_attendees)
def people(event_id: int, occurrence_id: int, session_id: int):
    """Who is in a session (and who waits), with a way to move each person."""
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    session = _session(occurrence, session_id)
    rsvp_ops.record_access(current_user, event.host_org_id, "view_attendees",
                           occurrence_id=occurrence.id, detail=f"session {session.id}")  # fmt: skip
    db.session.commit()
    others = [s for s in ops.sessions_of(occurrence.id) if s.id != session.id]
    move_form = MoveForm()
    move_form.target.choices = [(s.id, s.title) for s in others]
    return private(render_template(
        "sessions/people.html", event=event, occurrence=occurrence, session=session,
        signups=ops.people(session), move_form=move_form, may_move=event.can_manage(current_user)
        and bool(others),
    ))  # fmt: skip


@bp.route(f"{PREFIX}/<int:session_id>/people/<int:signup_id>/move", methods=["POST"])
@access(can_decide_attendees)
def move(event_id: int, occurrence_id: int, session_id: int, signup_id: int):
    event = load_event(event_id)
    occurrence = load_occurrence(event, occurrence_id)
    session = _session(occurrence, session_id)
    signup = db.session.get(SessionSignup, signup_id)
    if signup is None or signup.session_id != session.id:
        abort(404)
    form = MoveForm()
    form.target.choices = [(s.id, s.title) for s in ops.sessions_of(occurrence.id)]
    back = url_for("sessions.people", event_id=event.id, occurrence_id=occurrence.id,
                   session_id=session.id)  # fmt: skip
    if not form.validate_on_submit():
        flash(_("Choose a session of the same date."), "error")
        return redirect(back, 303)
    try:
        ops.move(signup, _session(occurrence, form.target.data),
                 over_capacity=form.over_capacity.data)  # fmt: skip
    except ops.SessionError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(back, 303)
    db.session.commit()
    flash(_("Moved."), "success")
    return redirect(back, 303)


@bp.route("/events/<int:event_id>/series", methods=["GET", "POST"])
@access(can_manage_event)
def series_settings(event_id: int):
    """Make a repeating event a series or an open meeting; attendance per part. Becoming a
    series asks first when date RSVPs exist: a page lists them per date and what happens to
    them, and only its "yes" saves (and tells those people)."""
    event = load_event(event_id)
    if not event.rrule:
        abort(404)
    settings = series.settings_for(event)
    form = SeriesForm()
    status = 200
    if request.method == "GET":
        form.mode.data = settings.mode.value if settings else ""
        form.capacity.data = settings.capacity if settings else None
    elif form.validate_on_submit():
        mode = SeriesMode(form.mode.data) if form.mode.data else None
        effects = series.switch_effects(event, mode)
        shown = sum(len(e.rsvps) for e in effects)
        if effects and (not form.confirm.data or form.seen.data != str(shown)):
            changed = bool(form.confirm.data)  # RSVPs came in (or went) since the page
            form.confirm.data, form.seen.data = "y", str(shown)
            return render_template(
                "sessions/series_confirm.html", event=event, form=form, effects=effects,
                reach=series.reach_of(effects), changed=changed,
            ), 409 if changed else 200  # fmt: skip
        try:
            told = series.configure(event, mode, form.capacity.data)
        except rsvp_ops.RSVPError as exc:
            db.session.rollback()
            form.mode.errors = [*form.mode.errors, str(exc.message)]
            status = exc.status
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            if told:
                flash(ngettext("We told %(num)d person that the event is now a series.",
                               "We told %(num)d people that the event is now a series.",
                               told), "success")  # fmt: skip
            return redirect(url_for("sessions.series_settings", event_id=event.id), 303)
    else:
        status = 400
    return render_template(
        "sessions/series_settings.html", event=event, form=form, settings=settings,
        attendance=series.attendance(event), seats_left=series.seats_left(event),
    ), status  # fmt: skip


# People ----------------------------------------------------------------------------------------


@bp.route("/rsvp/<token>/sessions", methods=["POST"])
@access(public)
@_form_limit
def choose(token: str):
    """The person changes their sessions from their private link."""

    def save_choice(rsvp: RSVP) -> None:
        ops.choose(rsvp, ops.parse_choice(rsvp.occurrence, chosen_session_ids(request.form)))

    return _rsvp_link.act(token, save_choice, _("Your sessions are saved."),
                          refused=ops.SessionError)  # fmt: skip


@bp.route("/events/<int:event_id>/series/register", methods=["GET", "POST"])
@access(public)
@_form_limit
def series_register(event_id: int):
    """One RSVP for every date still ahead (a series, or an open meeting's "all dates")."""
    event = db.session.get(Event, event_id)
    if event is None or not event.can_view(current_user):
        abort(404)
    settings = series.settings_for(event)
    if settings is None:
        abort(404)
    form = RSVPForm()
    if request.method == "GET":
        form.language.data = str(get_locale() or "en")
    status = 200
    parts = series.upcoming_parts(event, utcnow())
    if request.method == "POST":
        if request.form.get("website"):
            return redirect(url_for("events.show", event_id=event.id), 303)
        if form.validate_on_submit():
            try:
                chosen = _series_choice(parts, request.form)
                outcome = series.register(event, form.to_input(), sessions=chosen)
            except rsvp_ops.RSVPError as exc:
                db.session.rollback()
                form.show_refusal(exc)
                status = exc.status
            else:
                db.session.commit()
                return private(render_template(
                    "sessions/series_sent.html", receipt=outcome.receipt, event=event,
                    parts=parts, chosen=chosen,
                ))  # fmt: skip
        else:
            status = 400
    return render_template(
        "sessions/series_register.html", event=event, form=form, settings=settings, parts=parts,
        seats_left=series.seats_left(event), picked=_picked(request.form),
    ), status  # fmt: skip


def _picked(form_data) -> list[int]:
    """The session ids a refused form had chosen (to show them chosen again)."""
    try:
        raw = chosen_per_date(form_data)
    except ValueError:
        return []
    return [int(v) for values in raw.values() for v in values if v.isdigit()]


def _series_choice(parts, form_data) -> series.SessionChoice:
    """The sessions a series form (or a date's form on the private page) chose, per date,
    checked: only the dates offered, their own sessions, one per time slot."""
    try:
        raw = chosen_per_date(form_data)
    except ValueError:
        raise ops.SessionError(_("Choose sessions from the list."), "sessions") from None
    offered = {o.id: o for o in parts}
    if set(raw) - set(offered):
        raise ops.SessionError(_("Choose sessions from the list."), "sessions")
    choice = {oid: ops.parse_choice(offered[oid], values) for oid, values in raw.items()}
    return {oid: sessions for oid, sessions in choice.items() if sessions}


@bp.route("/series/<token>")
@access(public)
def series_manage(token: str):
    registration = _series_link.find(token)
    if registration is None:
        return invalid_link()
    event = db.session.get(Event, registration.event_id)
    return private(render_template(
        "sessions/series_manage.html", registration=registration, event=event, token=token,
        parts=series.part_rsvps(registration), button=EmptyForm(), now=utcnow(),
    ))  # fmt: skip


@bp.route("/series/<token>/dates/<int:rsvp_id>/sessions", methods=["POST"])
@access(public)
@_form_limit
def series_choose(token: str, rsvp_id: int):
    """The person changes their sessions on one date of their registration."""
    registration = _series_link.find(token)
    if registration is None:
        return invalid_link()
    rsvp = db.session.get(RSVP, rsvp_id)
    if rsvp is None or rsvp.id not in {p.rsvp_id for p in registration.parts}:
        abort(404)

    def save_choice(registration) -> None:
        chosen = _series_choice([rsvp.occurrence], request.form)
        series.choose_sessions(registration, rsvp, chosen.get(rsvp.occurrence_id, []))

    return _series_link.act(token, save_choice, _("Your sessions are saved."),
                            refused=rsvp_ops.RSVPError)  # fmt: skip


@bp.route("/series/<token>/dates/<int:rsvp_id>/cancel", methods=["POST"])
@access(public)
def series_cancel_date(token: str, rsvp_id: int):
    registration = _series_link.for_button(token)
    if registration is None:
        return invalid_link()
    rsvp = db.session.get(RSVP, rsvp_id)
    if rsvp is None:
        abort(404)
    try:
        series.cancel_part(registration, rsvp)
    except rsvp_ops.RSVPError as exc:
        db.session.rollback()
        abort(exc.status)
    return _series_link.done(token, _("This date is cancelled for you. Your other dates stay."))


@bp.route("/series/<token>/cancel", methods=["POST"])
@access(public)
def series_cancel(token: str):
    return _series_link.act(
        token, series.cancel_all, _("Every date is cancelled for you. Thank you for telling us.")
    )


@bp.route("/series/<token>/erase", methods=["POST"])
@access(public)
def series_erase(token: str):
    return _series_link.erase(
        token, series.erase, lambda registration: db.session.get(Event, registration.event_id)
    )


# Template globals (small hooks in the RSVP form, the manage page and the event page) --------------


@bp.app_template_global()
def occurrence_sessions(occurrence) -> dict:
    """A date's sessions, their time slots and spots left (for the RSVP form and event page)."""
    sessions = ops.sessions_of(occurrence.id) if occurrence is not None else []
    return {
        "sessions": sessions,
        "slots": ops.time_slots(sessions),
        "spots_left": ops.spots_left_map(sessions),
    }


@bp.app_template_global()
def rsvp_sessions(rsvp) -> list:
    return ops.signups_of(rsvp)


@bp.app_template_global()
def event_series(event):
    """The series settings of a repeating event (one primary-key read for any event, so that an
    event page costs the same number of queries whether it repeats or not)."""
    if event is None:
        return None
    settings = db.session.get(SeriesSettings, event.id)
    return settings if event.rrule else None


@bp.app_template_global()
def series_dates_with_sessions(occurrences) -> set[int]:
    """Which of these dates have sessions (one query for the series form)."""
    return ops.dates_with_sessions([o.id for o in occurrences])


@bp.app_template_global()
def session_headcounts(sessions) -> dict:
    return ops.headcounts([s.id for s in sessions])
