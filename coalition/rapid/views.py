"""Rapid response pages: the roster and dispatch (dispatchers only, every look audited), joining
by invitation, a responder's private page, and the private answer page of each alert."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import flask
import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from coalition.access import access, admin, public, signed_in
from coalition.auth.models import User
from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
from coalition.core.responses import invalid_link, private
from coalition.db import commit_look, utcnow
from coalition.events.permissions import load as load_occurrence_of
from coalition.extensions import db, limiter
from coalition.orgs.permissions import can_manage_org, load_org
from coalition.rapid import operations as ops
from coalition.rapid.availability import format_hours
from coalition.rapid.forms import (
    AlertForm,
    AnswerForm,
    CloseForm,
    DispatcherForm,
    ResponderForm,
    RetentionForm,
    UpdateForm,
)
from coalition.rapid.labels import KIND_LABELS, ROLE_LABELS, STATE_LABELS
from coalition.rapid.live import live_lists
from coalition.rapid.models import Alert, Answer, CoalitionDispatcher, Responder
from coalition.rapid.permissions import (
    can_dispatch,
    can_dispatch_alert,
    can_invite_responders,
    can_invite_trainees,
    dispatched_orgs,
    dispatches_anywhere,
)
from coalition.rsvps.models import AuditEntry
from coalition.rsvps.operations import record_access
from coalition.settings.operations import get_setting, set_setting
from coalition.tokens import TokenError

bp = flask.Blueprint("rapid", __name__)

_form_limit = limiter.limit("10 per minute;60 per hour", methods=["POST"])
#: A dispatcher's page refreshing its answers leaves one audit entry per this period.
POLL_AUDIT_EVERY = timedelta(minutes=1)


@bp.app_context_processor
def _labels():
    return {
        "rapid_kinds": KIND_LABELS,
        "rapid_roles": ROLE_LABELS,
        "rapid_states": STATE_LABELS,
        "format_hours": format_hours,
        "rapid_time": _time,
        # The header's "Rapid response" link: asked only on pages of signed-in people.
        "dispatches": lambda: dispatches_anywhere(current_user),
        # The dashboard's invitation of a training's checked-in attendees (None: no training).
        "rapid_training_reach": _training_reach,
    }


def _training_reach(event, occurrence):
    return ops.training_reach(occurrence) if ops.is_training(event) else None


def _time(moment, zone: str) -> str:
    """A moment in the alert's zone, always with its date: "Mar 15, 2027 2:30 PM EDT" (to the
    minute, so each minute is written once a request however many arrived in it)."""
    from coalition.events.formatting import format_moment

    if moment is None:
        return ""
    key = (moment.replace(second=0, microsecond=0), zone)
    written = g.setdefault("rapid_times", {})
    if key not in written:
        written[key] = format_moment(key[0], ZoneInfo(zone))
    return written[key]


def _page(template: str, status: int = 200, **context):
    return private((render_template(template, **context), status))


# Dispatchers ------------------------------------------------------------------------------------


@bp.route("/rapid")
@access(signed_in)
def hub():
    """The organizations the signed-in person dispatches for."""
    return _page("rapid/hub.html", orgs=dispatched_orgs(current_user))


def _day_arg(name: str) -> tuple[date | None, bool]:
    """A YYYY-MM-DD query argument: (the day or None, whether it was readable)."""
    value = (request.args.get(name) or "").strip()
    if not value:
        return None, True
    try:
        return date.fromisoformat(value), True
    except ValueError:
        return None, False


@bp.route("/orgs/<slug>/rapid/roster")
@access(can_dispatch)
def roster(slug: str):
    """The responders (contacts shown only here), filtered and sorted by the training's date;
    audited."""
    org = load_org(slug)
    trained_from, ok_from = _day_arg("trained_from")
    trained_to, ok_to = _day_arg("trained_to")
    sort = request.args.get("sort") or "joined"
    if sort not in ops.ROSTER_SORTS:
        sort, ok_to = "joined", False
    responders = ops.roster(org, trained_from=trained_from, trained_to=trained_to, sort=sort)
    ops.audit(current_user, org, "view_roster")
    db.session.commit()
    error = None if ok_from and ok_to else _("We could not read this filter: use dates like "
                                             "2026-10-04.")  # fmt: skip
    return _page("rapid/roster.html", 400 if error else 200, org=org, responders=responders,
                 filter_error=error, sort=sort, trained_from=trained_from,
                 trained_to=trained_to, filtered=bool(trained_from or trained_to))  # fmt: skip


@bp.route("/orgs/<slug>/rapid/invite")
@access(can_invite_responders)
def invite(slug: str):
    """A fresh invitation link to join the roster (signed, valid 14 days)."""
    org = load_org(slug)
    return _page("rapid/invite.html", org=org, link=ops.invitation_url(org),
                 days=ops.INVITE_MAX_AGE // 86400)  # fmt: skip


@bp.route("/orgs/<slug>/rapid/dispatchers", methods=["GET", "POST"])
@access(can_manage_org)
def dispatchers(slug: str):
    """Owners choose which of their people dispatch."""
    org = load_org(slug)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        chosen = set(request.form.getlist("dispatcher", type=int))
        for membership in org.memberships:
            membership.is_dispatcher = membership.id in chosen
        db.session.commit()
        flash(_("Dispatchers saved."), "success")
        return redirect(request.path)
    members = sorted(org.memberships, key=lambda m: m.user.name.casefold())
    return _page("rapid/dispatchers.html", org=org, members=members, form=form)


@bp.route("/orgs/<slug>/rapid/alerts")
@access(can_dispatch)
def alerts(slug: str):
    org = load_org(slug)
    rows = db.session.scalars(
        sa.select(Alert).where(Alert.org_id == org.id).order_by(Alert.created_at.desc()).limit(50)
    ).all()
    ops.audit(current_user, org, "view_alerts")
    db.session.commit()
    return _page("rapid/alerts.html", org=org, alerts=rows)


@bp.route("/orgs/<slug>/rapid/alerts/new", methods=["GET", "POST"])
@access(can_dispatch)
def new_alert(slug: str):
    """The phone form: what, town, place, when, how many; sent at once on submit."""
    org = load_org(slug)
    form = AlertForm()
    zone_name = current_app.config["COALITION_TIMEZONE"]
    if form.validate_on_submit():
        now = utcnow()
        happens_at = now
        if form.happens_at.data:
            happens_at = form.happens_at.data.replace(tzinfo=ZoneInfo(zone_name)).astimezone(UTC)
        data = ops.AlertInput(
            kind=form.kind.data,
            town=form.town.data,
            place=form.place.data,
            happens_at=happens_at,
            zone=zone_name,
            needed=form.needed.data,
            roles=form.roles.data or [],
            note=form.note.data,
            language=form.language.data or "",
            is_drill=form.is_drill.data,
            ring_size=form.ring_size.data if form.use_rings.data else None,
            ring_minutes=form.ring_minutes.data if form.use_rings.data else None,
        )
        alert = ops.open_alert(org, current_user, data, now)
        count = len(alert.answers)
        db.session.commit()
        flash(
            ngettext(
                "Alert sent to %(num)d responder.", "Alert sent to %(num)d responders.", count
            ),
            "success",
        )
        return redirect(f"/orgs/{org.slug}/rapid/alerts/{alert.id}")
    status = 400 if request.method == "POST" else 200
    towns = sorted({t for r in ops.roster(org) for t in r.towns})
    return _page("rapid/new_alert.html", status, org=org, form=form, towns=towns)


def _live(alert, state: ops.LiveState) -> str:
    """The live list's HTML, rendered for every dispatcher once per version and language
    (`rapid/live.py`): a look at an unchanged list reads and decrypts nothing more."""

    def render() -> str:
        found = ops.live_answers(alert)
        left = _("(left the roster)")
        return render_template(
            "rapid/_answers.html",
            tally=state.tally,
            lines=_answer_lines(found.lines, alert.zone, left),
            more_waiting=Markup(", ").join(left if n is None else n for n in found.more_waiting),
            waiting_folded=len(found.more_waiting),
        )

    key = (alert.id, str(get_locale() or "en"), "answers")
    return live_lists().get(key, state.version, utcnow(), render)


def _answer_lines(answers: list[ops.LiveAnswer], zone: str, left: str) -> Markup:
    """The live list's lines, written here rather than by a template loop (hundreds of lines:
    each label translated and escaped once, not once a line; names and numbers escaped)."""
    labels = {state: str(escape(label)) for state, label in STATE_LABELS.items()}
    left = str(escape(left))
    etas: dict[int, str] = {}
    lines = []
    for a in answers:
        details = ""
        if a.state == "going" and a.eta_minutes:
            if a.eta_minutes not in etas:
                etas[a.eta_minutes] = ", " + str(escape(_("ETA %(n)d min", n=a.eta_minutes)))
            details = etas[a.eta_minutes]
        elif a.state == "arrived" and a.arrived_at:
            details = " " + str(escape(_time(a.arrived_at, zone)))
        if a.phone:
            phone = str(escape(a.phone))
            details += f' · <a href="tel:{phone}">{phone}</a>'
        name = left if a.name is None else str(escape(a.name))
        lines.append(f'  <li class="rapid-{escape(a.state)!s}"><strong>{name}</strong>: '
                     f"{labels[a.state]}{details}</li>\n")  # fmt: skip
    return Markup("".join(lines))


def _skipped(alert, state: ops.LiveState) -> str:
    """The responders not alerted, by reason, rendered once per minute (weekly hours are kept
    to the minute), version of the answers, roster and text reach, and language: the rules of
    hundreds of responders are not evaluated again on every look. Empty when nobody was
    skipped or the alert is closed."""
    if not alert.is_open:
        return ""
    now = utcnow()
    minute = now.replace(second=0, microsecond=0)

    def render() -> str:
        groups = _skipped_groups(alert, now)
        if not groups:
            return ""
        return render_template("rapid/_skipped.html", alert=alert, skipped=groups,
                               alerted_count=state.tally.alerted)  # fmt: skip

    version = f"{state.skipped_version}|{minute.isoformat()}|{alert.needed}"
    key = (alert.id, str(get_locale() or "en"), "skipped")
    return live_lists().get(key, version, now, render)


def _updates(alert, state: ops.LiveState) -> str:
    """The updates sent, rendered once per update sent (none: nothing read)."""
    if not state.updates:
        return ""

    def render() -> str:
        return render_template("rapid/_updates.html", alert=alert, updates=alert.updates)

    key = (alert.id, str(get_locale() or "en"), "updates")
    return live_lists().get(key, state.updates_version, utcnow(), render)


@bp.route("/orgs/<slug>/rapid/alerts/<int:alert_id>")
@access(can_dispatch_alert)
def alert(slug: str, alert_id: int):
    """Who is going, their ETA, who arrived, who was not alerted and why; updates and closing.
    Audited."""
    org, alert = load_org(slug), g.alert
    # Everything shown is read first (one aggregate query, then only what changed since the
    # last look), then the look is recorded and committed before the page is written: one
    # transaction, and rendering reads nothing more.
    state = ops.live_state(alert, page=True)
    live, skipped, updates = _live(alert, state), _skipped(alert, state), _updates(alert, state)
    ops.audit(current_user, org, "view_alert", alert)
    commit_look(db.session)
    return _page(
        "rapid/alert.html",
        org=org,
        alert=alert,
        alerted_count=state.tally.alerted,
        live=Markup(live),
        skipped=Markup(skipped),
        updates=Markup(updates),
        # The forms' fields are stored fragments: a form is made only to render them again.
        new_update_form=UpdateForm,
        new_close_form=CloseForm,
        refresh_seconds=current_app.config.get("RAPID_REFRESH_SECONDS", 5),
        # The header's link: whoever passed `can_dispatch_alert` dispatches for this active
        # organization (asked again, it would be one more query after the commit).
        dispatches=lambda: True,
    )


def _language_in_page(code: str) -> str:
    """A language named in the page's language ("Spanish", "español"), else by its endonym."""
    from babel import Locale, UnknownLocaleError
    from flask_babel import get_locale

    from coalition.languages import language_name

    try:
        return Locale.parse(str(get_locale() or "en")).languages.get(code) or language_name(code)
    except (ValueError, UnknownLocaleError):
        return language_name(code)


def _skip_label(reason: ops.SkipReason, count: int, alert: Alert) -> str:
    labels = {
        ops.SkipReason.paused: ngettext("%(num)d paused their alerts",
                                        "%(num)d paused their alerts", count),
        ops.SkipReason.town: ngettext("%(num)d in another town", "%(num)d in other towns", count),
        ops.SkipReason.role: ngettext("%(num)d without the roles asked for",
                                      "%(num)d without the roles asked for", count),
        ops.SkipReason.language: ngettext(
            "%(num)d does not speak %(language)s", "%(num)d do not speak %(language)s", count,
            language=_language_in_page(alert.language) if alert.language else "",
        ),
        ops.SkipReason.hours: ngettext("%(num)d outside their hours",
                                       "%(num)d outside their hours", count),
        ops.SkipReason.unreachable: ngettext(
            "%(num)d cannot be reached (texts stopped or failed, no email)",
            "%(num)d cannot be reached (texts stopped or failed, no email)", count,
        ),
        ops.SkipReason.wave: ngettext("%(num)d can go now, not alerted yet",
                                      "%(num)d can go now, not alerted yet", count),
    }  # fmt: skip
    return labels[reason]


def _skipped_groups(alert: Alert, now) -> list[dict]:
    """The responders not alerted, by reason: a label with the count, the names (this page is
    the dispatchers' only), and whether they may be alerted anyway."""
    found = ops.skipped(alert, now, contacts=False)
    return [
        {
            "reason": reason.value,
            "label": _skip_label(reason, len(people), alert),
            "people": people,
            "can_alert": reason in ops.OVERRIDABLE,
        }
        for reason, people in found.by_reason.items()
    ]


@bp.route("/orgs/<slug>/rapid/alerts/<int:alert_id>/more", methods=["POST"])
@access(can_dispatch_alert)
def alert_more(slug: str, alert_id: int):
    """Alert responders skipped for their hours, town, language or roles anyway: all of one
    reason, or the chosen ones. Never the paused or the unreachable."""
    org, alert = load_org(slug), g.alert
    back = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400,
                              back=back)  # fmt: skip
    if not alert.is_open:
        flash(_("This alert is closed."), "error")
        return redirect(back)
    reason = request.form.get("reason") or None
    chosen = [] if reason else request.form.getlist("responder", type=int)
    sent = ops.alert_more(alert, reason=reason, responder_ids=chosen, now=utcnow())
    db.session.commit()
    if sent:
        flash(ngettext("Alert sent to %(num)d more responder.",
                       "Alert sent to %(num)d more responders.", sent), "success")  # fmt: skip
    else:
        flash(_("Nobody more to alert: choose people skipped for their hours, town, language "
                "or roles."), "error")  # fmt: skip
    return redirect(back)


@bp.route("/orgs/<slug>/rapid/alerts/<int:alert_id>/answers")
@access(can_dispatch_alert)
def alert_answers(slug: str, alert_id: int):
    """The live part of the alert page (fetched every few seconds by rapid.js). Audited at most
    once a minute per person and alert."""
    org, alert = load_org(slug), g.alert
    detail = f"alert {alert.id}"
    last = db.session.scalar(
        sa.select(sa.func.max(AuditEntry.created_at)).where(
            AuditEntry.user_id == current_user.id,
            AuditEntry.org_id == org.id,
            AuditEntry.action == "view_alert",
            AuditEntry.detail == detail,
        )
    )
    if last is None or last.replace(tzinfo=last.tzinfo or UTC) < utcnow() - POLL_AUDIT_EVERY:
        ops.audit(current_user, org, "view_alert", alert)
        commit_look(db.session)
    # The list changes only when an answer or a responder does: rapid.js sends the ETag back
    # and an unchanged list is a 304 without a body (one aggregate query, nothing decrypted);
    # a changed one is rendered once for every dispatcher (`_live`).
    state = ops.live_state(alert)
    etag = hashlib.sha256(f"{state.version}|{get_locale()}".encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = private(("", 304))
    else:
        response = private((_live(alert, state), 200))
    response.set_etag(etag)
    return response


@bp.route("/orgs/<slug>/rapid/alerts/<int:alert_id>/update", methods=["POST"])
@access(can_dispatch_alert)
def update(slug: str, alert_id: int):
    org, alert = load_org(slug), g.alert
    form = UpdateForm()
    if not form.validate_on_submit() or not alert.is_open:
        flash(_("Write the update (300 characters at most)."), "error")
        return redirect(f"/orgs/{org.slug}/rapid/alerts/{alert.id}")
    sent = ops.send_update(alert, current_user, form.body.data, form.audience.data)
    db.session.commit()
    flash(
        ngettext("Update sent to %(num)d person.", "Update sent to %(num)d people.", sent),
        "success",
    )
    return redirect(f"/orgs/{org.slug}/rapid/alerts/{alert.id}")


@bp.route("/orgs/<slug>/rapid/alerts/<int:alert_id>/close", methods=["POST"])
@access(can_dispatch_alert)
def close(slug: str, alert_id: int):
    org, alert = load_org(slug), g.alert
    form = CloseForm()
    if not form.validate_on_submit():
        abort(400)
    if alert.is_open:
        ops.close_alert(alert, form.outcome.data)
        db.session.commit()
        flash(_("Alert closed."), "success")
    return redirect(f"/orgs/{org.slug}/rapid/alerts/{alert.id}")


# Responders -------------------------------------------------------------------------------------


def _invitation(token: str):
    """The invitation, or the 404 page to answer (expired, tampered with, used, erased)."""
    try:
        invitation = ops.read_invitation(token)
    except TokenError as error:
        return None, private((render_template("auth/token_error.html", reason=error.reason), 404))
    if invitation is None:
        return None, invalid_link()
    return invitation, None


@bp.route("/rapid/join/<token>", methods=["GET", "POST"])
@access(public)  # the signed invitation is the key
@_form_limit
def join(token: str):
    """Join a roster; from a training's invitation the training and its date are filled in
    (the person still chooses everything else, or declines)."""
    invitation, refusal = _invitation(token)
    if refusal is not None:
        return refusal
    org = invitation.org
    form = ResponderForm(locale=invitation.locale) if invitation.locale else ResponderForm()
    if invitation.training is not None:
        del form.training, form.trained_on  # recorded from the invitation, not typed
    if form.validate_on_submit():
        data = _responder_input(form)
        if invitation.training is not None:
            data.training, data.trained_on = invitation.training_name, invitation.trained_on
            data.training_occurrence_id = invitation.training.occurrence_id
        ops.join(org, data, training=invitation.training)
        db.session.commit()
        return _page("rapid/joined.html", org=org)
    status = 400 if request.method == "POST" else 200
    return _page("rapid/join.html", status, org=org, form=form, invitation=invitation,
                 token=token)  # fmt: skip


@bp.route("/rapid/join/<token>/no")
@access(public)  # the signed invitation is the key
def decline(token: str):
    """Saying no to an invitation: nothing is stored, nobody is told."""
    invitation, refusal = _invitation(token)
    if refusal is not None:
        return refusal
    return _page("rapid/declined.html", org=invitation.org)


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>/rapid-invitations",
          methods=["POST"])  # fmt: skip
@access(can_invite_trainees)
def invite_trainees(event_id: int, occurrence_id: int):
    """From a training's dashboard: invite its checked-in attendees to the host's roster."""
    event, occurrence = load_occurrence_of(event_id, occurrence_id)
    back = url_for("dashboard.occurrence", event_id=event.id, occurrence_id=occurrence.id)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400,
                              back=back)  # fmt: skip
    sent = ops.invite_trainees(occurrence, current_user)
    record_access(current_user, event.host_org_id, "message", occurrence_id=occurrence.id,
                  detail=f"rapid response invitations: {sent.sent} recipients")  # fmt: skip
    db.session.commit()
    if sent.sent:
        flash(ngettext("Invitation sent to %(num)d person (%(emails)d by email, %(texts)d by "
                       "text).", "Invitations sent to %(num)d people (%(emails)d by email, "
                       "%(texts)d by text).", sent.sent, emails=sent.emails, texts=sent.texts),
              "success")  # fmt: skip
    else:
        flash(_("Nobody new to invite: everyone checked in was invited already."), "success")
    if sent.unreachable:
        flash(ngettext("%(num)d person checked in cannot be reached (no email, and texts do "
                       "not reach their phone).", "%(num)d people checked in cannot be reached "
                       "(no email, and texts do not reach their phone).", sent.unreachable),
              "error")  # fmt: skip
    return redirect(back, 303)


def _responder_input(form: ResponderForm) -> ops.ResponderInput:
    return ops.ResponderInput(
        name=form.name.data,
        email=form.email.data or None,
        phone=form.phone.data or None,
        use_sms=form.use_sms.data,
        use_email=form.use_email.data,
        locale=form.locale.data,
        towns=(form.towns.data or "").split(","),
        languages=form.languages.data or [],
        roles=form.roles.data or [],
        training=form.training.data if form.training is not None else "",
        trained_on=form.trained_on.data if form.trained_on is not None else None,
        is_always=form.availability.data != "weekly",
        weekly_hours=form.hours,
        zone=form.zone.data,
    )


def _responder(responder_id: int, secret: str) -> Responder | None:
    responder = db.session.get(Responder, responder_id)
    if responder is None or not secrets.compare_digest(responder.manage_secret, secret):
        return None
    return responder


@bp.route("/rapid/me/<int:responder_id>/<secret>", methods=["GET", "POST"])
@access(public)  # the secret is the key
def me(responder_id: int, secret: str):
    """A responder's own page: change what they gave, pause, resume, leave."""
    responder = _responder(responder_id, secret)
    if responder is None:
        return invalid_link()
    form = ResponderForm(obj=None if request.method == "POST" else _prefill(responder))
    if form.validate_on_submit():
        ops.update_responder(responder, _responder_input(form))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(request.path)
    status = 400 if request.method == "POST" else 200
    return _page("rapid/me.html", status, responder=responder, form=form,
                 action_form=EmptyForm())  # fmt: skip


def _prefill(responder: Responder):
    class Data:
        pass

    data = Data()
    for name in ("name", "phone", "email", "use_sms", "use_email", "locale", "languages",
                 "roles", "training", "trained_on", "zone"):  # fmt: skip
        setattr(data, name, getattr(responder, name))
    data.towns = ", ".join(responder.towns)
    data.availability = "always" if responder.is_always else "weekly"
    data.weekly_hours = format_hours(responder.weekly_hours)
    return data


@bp.route("/rapid/me/<int:responder_id>/<secret>/<any(pause, resume, leave):action>",
          methods=["POST"])  # fmt: skip
@access(public)  # the secret is the key
def me_action(responder_id: int, secret: str, action: str):
    responder = _responder(responder_id, secret)
    if responder is None:
        return invalid_link()
    if not EmptyForm().validate_on_submit():
        abort(400)
    if action == "leave":
        ops.leave(responder)
        db.session.commit()
        return _page("rapid/left.html")
    ops.set_paused(responder, action == "pause")
    db.session.commit()
    flash(_("Paused: you get no alerts until you resume.") if action == "pause"
          else _("Resumed: you get alerts again."), "success")  # fmt: skip
    return redirect(request.path.rsplit("/", 1)[0])


# Answers ----------------------------------------------------------------------------------------


def _answer(answer_id: int, secret: str) -> Answer | None:
    found = db.session.get(Answer, answer_id)
    if found is None or not secrets.compare_digest(found.secret, secret):
        return None
    return found


@bp.route("/rapid/a/<int:answer_id>/<secret>", methods=["GET", "POST"])
@access(public)  # the secret is the key
def answer(answer_id: int, secret: str):
    """A responder's page for one alert: what, where, updates; On my way / Can't / Arrived /
    Left."""
    found = _answer(answer_id, secret)
    if found is None:
        return invalid_link()
    alert = found.alert
    form = AnswerForm()
    if request.method == "POST":
        if not form.validate_on_submit() or not alert.is_open:
            flash(_("This alert is closed.") if not alert.is_open else _("Choose an answer."),
                  "error")  # fmt: skip
            return private(redirect(request.path))
        eta = int(form.eta.data) if form.eta.data else None
        ops.answer(found, form.state.data, eta_minutes=eta)
        db.session.commit()
        flash(_("Thank you: %(state)s.", state=STATE_LABELS[form.state.data]), "success")
        return private(redirect(request.path))
    locale = found.responder.locale if found.responder else None
    return _page("rapid/answer.html", answer=found, alert=alert, form=form,
                 zone=ZoneInfo(alert.zone), locale=locale)  # fmt: skip


# Admins -----------------------------------------------------------------------------------------


@bp.route("/admin/rapid", methods=["GET", "POST"])
@access(admin)
def admin_page():
    """Coalition-wide dispatchers, how long alerts are kept, and the counts they leave."""
    form = DispatcherForm(prefix="d")
    retention = RetentionForm(prefix="r", days=get_setting("rapid_purge_after_days"))
    if request.method == "POST" and request.form.get("what") == "dispatcher":
        if form.validate_on_submit():
            from coalition.crypto import normalize_email

            user = db.session.scalar(
                sa.select(User).where(sa.func.lower(User.email) == normalize_email(form.email.data))
            )
            if user is None:
                form.email.errors = [_("No account has this email.")]
            else:
                if db.session.get(CoalitionDispatcher, user.id) is None:
                    db.session.add(CoalitionDispatcher(user_id=user.id,
                                                       granted_by_id=current_user.id))  # fmt: skip
                db.session.commit()
                flash(_("%(name)s dispatches for every organization.", name=user.name), "success")
                return redirect(request.path)
    elif (
        request.method == "POST"
        and request.form.get("what") == "retention"
        and retention.validate_on_submit()
    ):
        set_setting("rapid_purge_after_days", retention.days.data)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(request.path)
    rows = db.session.scalars(sa.select(CoalitionDispatcher)).all()
    status = 400 if request.method == "POST" else 200
    return _page("rapid/admin.html", status, form=form, retention=retention, dispatchers=rows,
                 months=ops.report(), remove_form=EmptyForm())  # fmt: skip


@bp.route("/admin/rapid/dispatchers/<int:user_id>/remove", methods=["POST"])
@access(admin)
def remove_dispatcher(user_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    row = db.session.get(CoalitionDispatcher, user_id)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
    flash(_("Removed."), "success")
    return redirect("/admin/rapid")
