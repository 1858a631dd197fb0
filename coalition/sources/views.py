"""Organizers' pages for subscribed calendars, the review queue, and admins' partner feeds.

Thin views: load → the access rule (`sources/permissions.py`) → validate → an operation →
commit once → flash/redirect."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, g, has_request_context, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from coalition.access import access, admin
from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
from coalition.db import utcnow
from coalition.events.operations import EventError, active_types
from coalition.extensions import db
from coalition.orgs.models import Organization, OrgStatus
from coalition.orgs.permissions import load_org
from coalition.sources import messages, reasons
from coalition.sources import operations as ops
from coalition.sources.forms import (
    EDITABLE_LABELS,
    RULE_WHERE_LABELS,
    PartnerEditForm,
    PartnerForm,
    SourceForm,
    rule_rows,
)
from coalition.sources.models import ImportedEvent, Source, SourceKind
from coalition.sources.permissions import (
    can_manage_source,
    can_manage_sources,
    can_review,
    load_imported,
    load_source,
)

bp = Blueprint("sources", __name__)


def _input(form: SourceForm) -> ops.SourceInput:
    return ops.SourceInput(
        name=form.name.data or "",
        url=form.url.data or "",
        type_slug=form.type_slug.data or "",
        language=form.language.data or "en",
        default_city=form.default_city.data,
        publishes_at_once=bool(form.publishes_at_once.data),
        editable_fields=tuple(form.editable_fields.data or ()),
        poll_minutes=form.poll_minutes.data or 60,
        filter_category=getattr(form, "filter_category", None) and form.filter_category.data,
        filter_city=getattr(form, "filter_city", None) and form.filter_city.data,
        type_rules=tuple(
            ops.TypeRule(
                where=row.where.data or "",
                contains=row.contains.data or "",
                type_slug=row.type_slug.data or "",
            )
            for row in (r.form for r in form.type_rules)
        ),
        rsvps_here=bool(getattr(form, "rsvps_here", None) and form.rsvps_here.data),
    )


def _refuse(form, exc: ops.SourceError) -> None:
    """The refusal's message on its field (a rule's: "type_rules-<row>-<field>")."""
    name = exc.field or ""
    field = getattr(form, name, None)
    if name.startswith("type_rules-"):  # on the row's field, and above the rules
        _, row, sub = name.split("-", 2)
        field = form.type_rules[int(row)].form[sub]
        form.type_rules.errors = [*form.type_rules.errors, str(exc.message)]
    field = field or form.url
    field.errors = [*field.errors, str(exc.message)]


@bp.route("/orgs/<slug>/calendars")
@access(can_manage_sources)
def index(slug: str):
    """The organization's subscribed calendars, their state, and the events waiting for review."""
    org = load_org(slug)
    sources = list(
        db.session.scalars(sa.select(Source).where(Source.org_id == org.id).order_by(Source.name))
    )
    return render_template(
        "sources/index.html", org=org, sources=sources, waiting=ops.waiting(org),
        csrf_form=EmptyForm(),
    )  # fmt: skip


@bp.route("/orgs/<slug>/calendars/new", methods=["GET", "POST"])
@access(can_manage_sources)
def new(slug: str):
    """Add a calendar: its address and how its events come in."""
    org = load_org(slug)
    form = SourceForm(language=str(get_locale() or "en"))
    if form.validate_on_submit():
        try:
            source = ops.add_source(org, current_user, _input(form))
        except ops.SourceError as exc:
            db.session.rollback()
            _refuse(form, exc)
        else:
            db.session.commit()
            flash(_("The calendar is added. Its events appear within a few minutes."), "success")
            return redirect(url_for("sources.show", slug=org.slug, source_id=source.id))
    return render_template("sources/form.html", org=org, form=form), 400 if form.errors else 200


@bp.route("/orgs/<slug>/calendars/<int:source_id>")
@access(can_manage_source)
def show(slug: str, source_id: int):
    """One calendar: when it was last read, what went wrong, the events it brought."""
    source = load_source(slug, source_id)
    imported = list(
        db.session.scalars(
            sa.select(ImportedEvent)
            .where(ImportedEvent.source_id == source.id)
            .order_by(ImportedEvent.id)
        )
    )
    return render_template(
        "sources/show.html", org=source.org, source=source, imported=imported,
        editable_labels=EDITABLE_LABELS, csrf_form=EmptyForm(), rule_where_labels=RULE_WHERE_LABELS,
        type_names={t.slug: t.name(str(get_locale() or "en")) for t in active_types()},
    )  # fmt: skip


@bp.route("/orgs/<slug>/calendars/<int:source_id>/edit", methods=["GET", "POST"])
@access(can_manage_source)
def edit(slug: str, source_id: int):
    """Change a calendar's address and how its events come in."""
    source = load_source(slug, source_id)
    form_class = PartnerEditForm if source.is_partner else SourceForm
    form = form_class(
        obj=source, type_slug=source.type.slug, type_rules=rule_rows(source.type_rules),
        language=str(get_locale() or "en"),
    )  # fmt: skip
    if form.validate_on_submit():
        try:
            ops.update_source(source, _input(form))
        except ops.SourceError as exc:
            db.session.rollback()
            _refuse(form, exc)
        else:
            db.session.commit()
            flash(_("The calendar's settings are saved. The next reading applies them."),
                  "success")  # fmt: skip
            return redirect(url_for("sources.show", slug=slug, source_id=source.id))
    return render_template(
        "sources/form.html", org=source.org, form=form, source=source
    ), 400 if form.errors else 200


@bp.route("/orgs/<slug>/calendars/<int:source_id>/delete", methods=["GET", "POST"])
@access(can_manage_source)
def delete(slug: str, source_id: int):
    """Stop following a calendar for good, after a confirmation. Its events are kept as the
    organization's own, detached from the calendar."""
    source = load_source(slug, source_id)
    form = EmptyForm()
    if form.is_submitted():
        if not form.validate_on_submit():
            return action_refused(_("The form has expired. Reload the page and try again."), 400)
        name = source.name
        ops.delete_source(source)
        db.session.commit()
        flash(_("The calendar %(name)s is removed. Its events stay on the calendar as your "
                "organization's own.", name=name), "success")  # fmt: skip
        return redirect(url_for("sources.index", slug=slug))
    published = sum(1 for item in source.imported if not item.is_waiting)
    waiting = sum(1 for item in source.imported if item.is_waiting)
    return render_template(
        "sources/delete.html", org=source.org, source=source, csrf_form=form,
        published=published, waiting=waiting,
    )  # fmt: skip


@bp.route("/orgs/<slug>/calendars/<int:source_id>/check", methods=["POST"])
@access(can_manage_source)
def check_now(slug: str, source_id: int):
    """Ask the worker to read the calendar at its next round (within a minute)."""
    source = load_source(slug, source_id)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    source.next_poll_at = utcnow()
    source.is_active = True
    db.session.commit()
    flash(_("The calendar will be read again within a minute."), "success")
    return redirect(url_for("sources.show", slug=slug, source_id=source.id))


@bp.route("/orgs/<slug>/calendars/<int:source_id>/pause", methods=["POST"])
@access(can_manage_source)
def pause(slug: str, source_id: int):
    """Stop reading the calendar (its events stay as they are)."""
    source = load_source(slug, source_id)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    source.is_active = False
    db.session.commit()
    flash(_("The calendar is no longer read. Its events stay as they are."), "success")
    return redirect(url_for("sources.show", slug=slug, source_id=source.id))


@bp.route("/orgs/<slug>/calendars/review/<int:imported_id>/<any(accept, decline):answer>",
          methods=["POST"])  # fmt: skip
@access(can_review)
def review(slug: str, imported_id: int, answer: str):
    """Publish an event that waited for review, or leave it out of this calendar."""
    imported = load_imported(slug, imported_id)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    if not imported.is_waiting:
        return action_refused(_("This event was reviewed already."), 409,
                              url_for("sources.index", slug=slug))  # fmt: skip
    try:
        if answer == "accept":
            ops.accept(imported, current_user)
            flash(_("The event is published."), "success")
        else:
            ops.decline(imported)
            flash(_("The event is left out of this calendar."), "success")
    except EventError as exc:
        db.session.rollback()
        return action_refused(str(exc.message), 409, url_for("sources.index", slug=slug))
    db.session.commit()
    return redirect(url_for("sources.index", slug=slug))


# Partner coalitions (admins) ----------------------------------------------------------------------


@bp.route("/admin/partners", methods=["GET", "POST"])
@access(admin)
def partners():
    """Other coalitions' public feeds, filtered; their events link to the partner's page."""
    form = PartnerForm(language=str(get_locale() or "en"))
    orgs = list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.status == OrgStatus.active)
            .order_by(Organization.name)
        )
    )
    form.org_id.choices = [(o.id, o.name) for o in orgs]
    if form.validate_on_submit():
        org = db.session.get(Organization, form.org_id.data)
        try:
            ops.add_source(org, current_user, _input(form), kind=SourceKind.partner)
        except ops.SourceError as exc:
            db.session.rollback()
            _refuse(form, exc)
        else:
            db.session.commit()
            flash(_("The partner's calendar is added."), "success")
            return redirect(url_for("sources.partners"))
    listed = list(
        db.session.scalars(
            sa.select(Source).where(Source.kind == SourceKind.partner).order_by(Source.name)
        )
    )
    return render_template(
        "sources/partners.html", form=form, partners=listed
    ), 400 if form.errors else 200


@bp.app_template_global()
def imported_from(event) -> ImportedEvent | None:
    """The source an event came from, for "from <source>" on its page (None: posted here)."""
    if event is None or event.id is None:
        return None
    # Asked more than once by one page (the note, the RSVP box, cancelled dates): read once.
    known = g.setdefault("imported_from", {}) if has_request_context() else {}
    if event.id not in known:
        known[event.id] = reasons.imported_from(event)
    return known[event.id]


@bp.app_template_global()
def source_cancel_reason(event, occurrence=None) -> str:
    """Why an imported event (or, with `occurrence`, one of its dates) is cancelled when its
    feed cancelled it (nothing typed by an organizer), in the reader's language; "" else."""
    return reasons.feed_cancel_reason(event, occurrence) or ""


@bp.app_template_global()
def source_time(moment) -> str:
    """A moment of a source's life (last read, next read) in the coalition's zone."""
    if moment is None:
        return _("never")
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime
    from flask import current_app

    zone = ZoneInfo(current_app.config["COALITION_TIMEZONE"])
    locale = str(get_locale() or "en")
    return format_datetime(moment, "short", tzinfo=zone, locale="fr" if locale == "ht" else locale)


@bp.app_template_global()
def source_said(source) -> str:
    """A source's last problem in the reader's language: from its key and parameters; a row
    from before the keys has only the English words, shown translated when the catalogs hold
    them, else as they are."""
    code = source.last_error_code
    if code in messages.ERRORS:
        return messages.render(code, source.last_error_params)
    text = source.last_error
    return _(text) if text else ""
