"""The organizers' dashboard for one occurrence; every look at attendee data is audited."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from coalition.access import access
from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
from coalition.core.kept import kept_copies
from coalition.core.message_form import message_form
from coalition.core.responses import PRIVATE_HEADERS
from coalition.dashboard import operations as ops
from coalition.dashboard.forms import DecisionForm, WalkInForm
from coalition.db import commit_look, utcnow
from coalition.delegations import operations as delegation_ops
from coalition.delegations.models import Delegation
from coalition.events.models import Event, Occurrence
from coalition.events.permissions import (
    can_decide_attendees,
    can_handle_attendees,
    can_read_audit,
    can_see_attendees,
    can_see_counts,
    load,
)
from coalition.extensions import db
from coalition.orgs.permissions import load_org
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.labels import needs_labels, status_names
from coalition.rsvps.models import RSVP, AuditEntry
from coalition.rsvps.operations import record_access

bp = Blueprint("dashboard", __name__)

#: What each audit action means, for the audit page.
AUDIT_ACTIONS = {
    "view_attendees": _l("Looked at the attendee list"),
    "export_csv": _l("Exported the attendee list (CSV)"),
    "view_roster": _l("Looked at a delegation's roster"),
    "check_in": _l("Checked in at the door"),
    "message": _l("Sent a message"),
    "approve": _l("Approved a request to attend"),
    "decline": _l("Declined a request to attend"),
}

PREFIX = "/events/<int:event_id>/occurrences/<int:occurrence_id>"


def _audit(event, occurrence, action: str, detail: str | None = None) -> None:
    record_access(current_user, event.host_org_id, action, occurrence_id=occurrence.id,
                  detail=detail)  # fmt: skip


@bp.route(f"{PREFIX}/attendees")
@access(can_see_counts)
def occurrence(event_id: int, occurrence_id: int):
    """Counts for hosts and co-sponsors; the attendee list for those it is shared with. A look at
    the list is recorded in the transaction that read what the page shows and committed last,
    before the page is sent (one BEGIN and one COMMIT a request)."""
    event, occ = load(event_id, occurrence_id)
    show_list = can_see_attendees(event, current_user)
    may_decide = event.can_manage(current_user)
    query = (request.args.get("q") or "").strip()[:80]
    counts = ops.counts(occ)
    body = render_template(
        "dashboard/occurrence.html", event=event, occurrence=occ, counts=counts,
        query=query, show_list=show_list, may_decide=may_decide,
        # No request waits when the counts have none (erased or not): no query then.
        pending=ops.pending_requests(occ)
        if may_decide and "pending" in counts.by_status else ([], 0),
        waiting_delegations=counts.waiting_delegations if may_decide else [],
        failures=ops.failed_deliveries(occ) if show_list and counts.failed else [],
        # The sessions' and helpers' panels read nothing when the date has none.
        session_count=counts.sessions, role_count=counts.roles,
        unreachable=_unreachable(occ, counts) if show_list else "",
        attendee_table=_attendee_table(
            event, occ, counts, query, request.args.get("page", 1, type=int)
        ) if show_list else "",
    )  # fmt: skip
    if show_list:  # no page without its look committed
        _audit(event, occ, "view_attendees")
        commit_look(db.session)
    return Response(body, headers=PRIVATE_HEADERS)


def _attendee_table(event, occ, counts: ops.Counts, query: str, page: int) -> Markup:
    """One page of the attendee list, rendered once per version of the date's RSVPs, search,
    page and language, and kept in this process (`core/kept.py`): another look, by the same
    organizer or another, decrypts and writes nothing again until an RSVP changes."""

    def render() -> str:
        return render_template(
            "dashboard/_attendee_table.html", event=event, occurrence=occ, query=query,
            page=ops.attendee_page(occ, query=query, page=page),
            status_names=status_names(), needs_labels=needs_labels(),
        )  # fmt: skip

    key = (occ.id, str(get_locale() or "en"), "attendees", query, page)
    return Markup(kept_copies("dashboard").get(key, counts.version, utcnow(), render))


def _unreachable(occ, counts: ops.Counts) -> Markup:
    """Who texts cannot reach, rendered once per version of the date's RSVPs, of what is
    known about their numbers (read on every look: a STOP changes no RSVP) and language."""
    why = ops.unreachable_reasons(occ)

    def render() -> str:
        found = ops.unreachable_by_text(occ, why)
        if not found:
            return ""
        return render_template(
            "dashboard/_unreachable.html", unreachable=found,
            reasons={why: str(text) for why, text in ops.UNREACHABLE_REASONS.items()},
        )  # fmt: skip

    version = f"{counts.version}|{'off' if why is None else sorted(why.items())}"
    key = (occ.id, str(get_locale() or "en"), "unreachable")
    return Markup(kept_copies("dashboard").get(key, version, utcnow(), render))


#: A spreadsheet runs a cell that starts like a formula; people type their own names here.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    value = value or ""
    return "'" + value if value.startswith(_FORMULA_START) else value


@bp.route(f"{PREFIX}/attendees.csv")
@access(can_handle_attendees)
def export_csv(event_id: int, occurrence_id: int):
    """The attendee list as CSV (UTF-8 with a BOM, so Excel reads accents)."""
    event, occ = load(event_id, occurrence_id)
    _audit(event, occ, "export_csv")
    db.session.commit()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Name"), _("Email"), _("Phone"), _("Language"), _("People"),
                     _("Interpretation"), _("Childcare"), _("Rides"), _("Needs"), _("Status"),
                     _("Delegation"), _("Walk-in"), _("Checked in")])  # fmt: skip
    for r in ops.attendees(occ):
        writer.writerow([_cell(r.name), _cell(r.email), r.phone or "", r.language, r.party_size,
                         int(r.needs_interpretation), int(r.needs_childcare), int(r.needs_ride),
                         _cell(r.note), r.status.value,
                         _cell(r.delegation.name if r.delegation else ""), int(r.is_walk_in),
                         r.checked_in_at.isoformat() if r.checked_in_at else ""])  # fmt: skip
    filename = f"attendees-{event.id}-{occ.local_start:%Y%m%d}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route(f"{PREFIX}/checkin")
@access(can_handle_attendees)
def checkin(event_id: int, occurrence_id: int):
    """Check-in on a phone: search a name, tap to check in, add a walk-in."""
    event, occ = load(event_id, occurrence_id)
    query = (request.args.get("q") or "").strip()[:80]
    _audit(event, occ, "view_attendees", detail="check-in")
    commit_look(db.session)
    rows = ops.confirmed_for_check_in(occ, query=query)
    body = render_template("dashboard/checkin.html", event=event, occurrence=occ, rows=rows,
                           query=query, button=EmptyForm(), walk_in=WalkInForm(),
                           counts=ops.counts(occ))  # fmt: skip
    return Response(body, headers=PRIVATE_HEADERS)


@bp.route(f"{PREFIX}/checkin/<int:rsvp_id>", methods=["POST"])
@access(can_handle_attendees)
def check_in(event_id: int, occurrence_id: int, rsvp_id: int):
    event, occ = load(event_id, occurrence_id)
    rsvp = db.session.get(RSVP, rsvp_id)
    if rsvp is None or rsvp.occurrence_id != occ.id:
        return action_refused(_("There is nothing at this address."), 404)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    ops.toggle_check_in(rsvp)
    _audit(event, occ, "check_in", detail=str(rsvp.id))
    db.session.commit()
    return redirect(url_for("dashboard.checkin", event_id=event.id, occurrence_id=occ.id,
                            q=request.form.get("q") or None))  # fmt: skip


@bp.route(f"{PREFIX}/rsvps/<int:rsvp_id>/<any(approve, decline):decision>", methods=["POST"])
@access(can_decide_attendees)
def decide(event_id: int, occurrence_id: int, rsvp_id: int, decision: str):
    """Approve or decline a request to attend (events whose hosts approve attendees)."""
    event, occ = load(event_id, occurrence_id)
    rsvp = db.session.get(RSVP, rsvp_id)
    back = url_for("dashboard.occurrence", event_id=event.id, occurrence_id=occ.id)
    if rsvp is None or rsvp.occurrence_id != occ.id or rsvp.erased_at is not None:
        return action_refused(_("There is nothing at this address."), 404, back=back)
    form = DecisionForm()
    if not form.validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400,
                              back=back)  # fmt: skip
    try:
        if decision == "approve":
            rsvp_ops.approve(rsvp)
        else:
            rsvp_ops.decline(rsvp, form.message.data)
    except rsvp_ops.RSVPError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), exc.status, back=back)
    _audit(event, occ, decision, detail=str(rsvp.id))
    db.session.commit()
    flash(_("Approved.") if decision == "approve" else _("Declined; the person is told."),
          "success")  # fmt: skip
    return redirect(back, 303)


@bp.route(f"{PREFIX}/delegations/<int:delegation_id>/approve", methods=["POST"])
@access(can_decide_attendees)
def approve_delegation(event_id: int, occurrence_id: int, delegation_id: int):
    """Let people join a delegation (events whose delegations need approval)."""
    event, occ = load(event_id, occurrence_id)
    delegation = db.session.get(Delegation, delegation_id)
    back = url_for("dashboard.occurrence", event_id=event.id, occurrence_id=occ.id)
    if delegation is None or delegation.occurrence_id != occ.id:
        return action_refused(_("There is nothing at this address."), 404, back=back)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400,
                              back=back)  # fmt: skip
    try:
        delegation_ops.approve(delegation)
    except delegation_ops.DelegationError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), exc.status, back=back)
    db.session.commit()
    flash(_("The delegation is approved: people can join it now."), "success")
    return redirect(back, 303)


@bp.route(f"{PREFIX}/walk-in", methods=["POST"])
@access(can_handle_attendees)
def walk_in(event_id: int, occurrence_id: int):
    event, occ = load(event_id, occurrence_id)
    form = WalkInForm()
    back = url_for("dashboard.checkin", event_id=event.id, occurrence_id=occ.id)
    if not form.validate_on_submit():
        return action_refused(_("Write a name and how many people."), 400, back=back)
    ops.add_walk_in(occ, name=form.name.data, phone=form.phone.data,
                    party_size=form.party_size.data)  # fmt: skip
    _audit(event, occ, "check_in", detail="walk-in")
    db.session.commit()
    flash(_("Walk-in added and checked in."), "success")
    return redirect(back)


@bp.route(f"{PREFIX}/message", methods=["GET", "POST"])
@access(can_handle_attendees)
def message(event_id: int, occurrence_id: int):
    """Write to attendees; each gets the version in their language when there is one."""
    event, occ = load(event_id, occurrence_id)
    form = message_form(event.primary_language)
    delegations = db.session.scalars(
        sa.select(Delegation).where(Delegation.occurrence_id == occ.id).order_by(Delegation.name)
    ).all()
    form.audience.choices = [("all", _("Everyone who RSVPed")), ("confirmed", _("Confirmed")),
                             ("waitlisted", _("Waitlist"))] + [
        (f"delegation-{d.id}", _("Delegation: %(name)s", name=d.name)) for d in delegations
    ]  # fmt: skip
    if form.validate_on_submit():
        subjects, bodies = form.written()
        audience = form.audience.data
        delegation_id = None
        if audience.startswith("delegation-"):
            audience, delegation_id = "all", int(audience.removeprefix("delegation-"))
        sent = ops.message_attendees(occ, audience=audience, subjects=subjects, bodies=bodies,
                                     delegation_id=delegation_id)  # fmt: skip
        _audit(event, occ, "message", detail=f"{form.audience.data}: {sent} recipients")
        db.session.commit()
        flash(
            ngettext("Message sent to %(num)d person.", "Message sent to %(num)d people.", sent),
            "success",
        )
        return redirect(url_for("dashboard.occurrence", event_id=event.id, occurrence_id=occ.id))
    reach = ops.reach(occ)
    return render_template(
        "dashboard/message.html", event=event, occurrence=occ, form=form, reach=reach
    ), (400 if form.errors else 200)


@bp.route("/orgs/<slug>/audit")
@access(can_read_audit)
def audit(slug: str):
    """Who looked at or exported attendee data (for owners and coalition admins)."""
    org = load_org(slug)
    page = db.paginate(
        sa.select(AuditEntry).where(AuditEntry.org_id == org.id)
        .options(sa.orm.selectinload(AuditEntry.user))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()),
        page=request.args.get("page", 1, type=int), per_page=50, error_out=False,
    )  # fmt: skip
    occurrence_ids = {e.occurrence_id for e in page.items if e.occurrence_id}
    delegation_ids = {e.delegation_id for e in page.items if e.delegation_id}
    delegations = {
        d.id: d
        for d in db.session.scalars(sa.select(Delegation).where(Delegation.id.in_(delegation_ids)))
    }
    occurrence_ids |= {d.occurrence_id for d in delegations.values()}
    occurrences = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Occurrence).where(Occurrence.id.in_(occurrence_ids))
            .options(sa.orm.selectinload(Occurrence.event).selectinload(Event.translations))
        )
    }  # fmt: skip
    return render_template("dashboard/audit.html", org=org, page=page, occurrences=occurrences,
                           delegations=delegations, actions=AUDIT_ACTIONS)  # fmt: skip
