"""Pictures, flyers and the embeddable calendar."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import flask
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from markupsafe import Markup

from coalition.access import access, public
from coalition.calendar_version import PUBLIC, UPCOMING
from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
from coalition.core.http import accepts_upload, embeddable
from coalition.core.render_cache import render_cached
from coalition.db import utcnow
from coalition.events.models import Occurrence
from coalition.events.permissions import can_manage_event, can_organize_org, load_event
from coalition.events.privacy import hidden_place_note, public_location, town
from coalition.events.public_views import _viewable, can_view_event
from coalition.events.queries import (
    Cursor,
    FilterError,
    longest_occurrence,
    occurrences_query,
    parse_filters,
)
from coalition.extensions import db, limiter
from coalition.i18n import supported_languages
from coalition.orgs.permissions import can_view_org, load_org
from coalition.reach import operations as ops
from coalition.reach.flyer import pdf, qr_data_uri
from coalition.reach.forms import ImageForm
from coalition.reach.images import ImageError
from coalition.reach.previews import (
    calendar_preview,
    event_preview,
    image_url,
    org_preview,
    plain_text,
)
from coalition.reach.share import share_links
from coalition.reach.storage import IMMUTABLE, NAME, get_storage
from coalition.urls import external_url

bp = flask.Blueprint("reach", __name__)

EMBED_PER_PAGE = 20
#: The embedded list may be kept by browsers and proxies this long (it shows public data only).
EMBED_CACHE_CONTROL = "public, max-age=60"


# Pictures -----------------------------------------------------------------------------------


@bp.route("/media/<name>")
@access(public)
def media(name: str):
    """A stored picture; its name is its content's hash, so it may be cached for a year."""
    if not NAME.match(name):
        abort(404)
    data = get_storage().get(name)
    if data is None:
        abort(404)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = IMMUTABLE
    return response


@bp.route("/events/<int:event_id>/image", methods=["GET", "POST"])
@access(can_manage_event)
@accepts_upload("IMAGE_MAX_BYTES")
def image(event_id: int):
    """Upload, replace or describe the event's picture."""
    event = load_event(event_id)
    current = ops.image_of(event.id)
    form = ImageForm(
        data=None if request.method == "POST" else {"alt_text": current and current.alt_text}
    )
    if form.validate_on_submit():
        upload = form.picture.data
        try:
            if upload:
                replaced = ops.set_image(event, upload.read(), form.alt_text.data)
            elif current is not None:
                replaced = []
                ops.set_alt_text(event, form.alt_text.data)
            else:
                raise ImageError(_("Choose a picture to upload."))
        except ImageError as exc:
            db.session.rollback()
            form.picture.errors = [*form.picture.errors, str(exc)]
        else:
            db.session.commit()
            ops.delete_files(replaced)
            flash(_("The picture is saved."), "success")
            return redirect(url_for("events.show", event_id=event.id))
    return render_template(
        "reach/image.html",
        event=event,
        form=form,
        current=current,
        remove_form=EmptyForm(),
        max_mb=current_app.config["IMAGE_MAX_BYTES"] // (1024 * 1024),
    ), 400 if form.errors else 200


@bp.route("/events/<int:event_id>/image/remove", methods=["POST"])
@access(can_manage_event)
def remove_image(event_id: int):
    event = load_event(event_id)
    if not EmptyForm().validate_on_submit():
        return action_refused(_("The form has expired. Reload the page and try again."), 400)
    removed = ops.remove_image(event)
    db.session.commit()
    ops.delete_files(removed)
    flash(_("The picture is removed."), "success")
    return redirect(url_for("events.show", event_id=event.id))


# Flyers -------------------------------------------------------------------------------------


def _flyer_languages() -> list[str] | None:
    """[lang] or [lang, lang2] from the query, or None when one is not a language we print."""
    languages = supported_languages()
    first = request.args.get("lang") or str(get_locale() or "en")
    second = request.args.get("lang2") or ""
    if first not in languages or (second and second not in languages):
        return None
    return [first] if not second or second == first else [first, second]


def _flyer_html(event_id: int, occurrence_id: int, *, for_pdf: bool) -> str | tuple:
    event = _viewable(event_id)
    occurrence = db.session.get(Occurrence, occurrence_id)
    if occurrence is None or occurrence.event_id != event.id:
        abort(404)
    languages = _flyer_languages()
    if languages is None:
        return action_refused(_("Choose the flyer's languages from the list."), 400)
    rsvp_url = external_url("rsvps.new", event_id=event.id, occurrence_id=occurrence.id)
    picture = ops.image_of(event.id)
    context = {
        "event": event,
        "occurrence": occurrence,
        "location": public_location(event, occurrence),
        "town": town(event, occurrence),
        "rsvp_url": rsvp_url,
        "picture": picture,
        "picture_url": picture and image_url(picture.variant_for(960)[2]),
    }
    sides = []
    for code in languages:
        with force_locale(code):
            sides.append(
                Markup(
                    render_template(
                        "reach/_flyer_side.html",
                        language=code,
                        text=event.translation(code),
                        note=hidden_place_note(event, occurrence),
                        single=len(languages) == 1,
                        **context,
                    )
                )
            )
    return render_template(
        "reach/flyer.html",
        sides=sides,
        qr=qr_data_uri(rsvp_url),
        languages=languages,
        choices=supported_languages(),
        for_pdf=for_pdf,
        **context,
    )


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>/flyer")
@access(can_view_event)
@render_cached(PUBLIC)
def flyer(event_id: int, occurrence_id: int):
    """A one-page flyer to print, in one or two languages, with the RSVP page's QR code."""
    return _flyer_html(event_id, occurrence_id, for_pdf=False)


@bp.route("/events/<int:event_id>/occurrences/<int:occurrence_id>/flyer.pdf")
@access(can_view_event)
@render_cached(PUBLIC)
@limiter.limit("20 per minute")
def flyer_pdf(event_id: int, occurrence_id: int):
    html = _flyer_html(event_id, occurrence_id, for_pdf=True)
    if not isinstance(html, str):
        return html
    response = Response(
        pdf(html, base_url=current_app.config["BASE_URL"]), mimetype="application/pdf"
    )
    response.headers["Content-Disposition"] = (
        f'inline; filename="flyer-{event_id}-{occurrence_id}.pdf"'
    )
    return response


# The embeddable calendar --------------------------------------------------------------------


def _embed_language() -> str:
    code = request.args.get("hl") or ""
    return code if code in supported_languages() else str(get_locale() or "en")


def _embed(org=None):
    """The compact list for an <iframe>: public events only, whoever is signed in, no cookies."""
    language = _embed_language()
    with force_locale(language):
        try:
            filters = parse_filters(request.args)
            cursor = Cursor.parse(request.args.get("after"))
        except FilterError as exc:
            body = render_template("reach/embed.html", error=str(exc.args[0]), org=org, days={})
            return _embed_response(body, 400)
        if org is not None:
            filters.org_ids = [org.id]
        zone = ZoneInfo(current_app.config["COALITION_TIMEZONE"])
        query = occurrences_query(
            filters,
            user=AnonymousUserMixin(),
            zone=zone,
            after=None if filters.start else utcnow(),
            cursor=cursor,
            longest=longest_occurrence(),
        )
        rows = db.session.scalars(query.limit(EMBED_PER_PAGE + 1)).all()
        items = list(rows[:EMBED_PER_PAGE])
        days: dict = {}
        for occurrence in items:
            days.setdefault(occurrence.local_start.date(), []).append(occurrence)
        args = filters.to_args().to_dict(flat=False)
        if request.args.get("hl"):
            args["hl"] = [language]
        following = None
        if len(rows) > EMBED_PER_PAGE:
            following = request.path + "?" + _query({**args, "after": [str(Cursor.of(items[-1]))]})
        full = external_url("orgs.show", slug=org.slug) if org else None
        body = render_template(
            "reach/embed.html",
            org=org,
            days=dict(sorted(days.items())),
            following=following,
            full_calendar=full
            or external_url("events.calendar", **filters.to_args().to_dict(flat=False)),
            error=None,
        )
    return _embed_response(body, 200)


def _query(args: dict) -> str:
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, values in args.items() for v in values])


def _embed_response(body: str, status: int) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = EMBED_CACHE_CONTROL
    return response


@bp.route("/embed/calendar")
@access(public)
@embeddable("*")
@render_cached(PUBLIC, UPCOMING)
def embed_calendar():
    """The coalition's calendar for other sites, with the calendar's filters."""
    return _embed()


@bp.route("/embed/orgs/<slug>/calendar")
@access(can_view_org)
@embeddable("*")
@render_cached(PUBLIC, UPCOMING)
def embed_org_calendar(slug: str):
    """One member organization's events (hosted or co-sponsored) for its own site."""
    org = load_org(slug)
    if not org.is_active:
        abort(404)
    return _embed(org)


@bp.route("/orgs/<slug>/embed")
@access(can_organize_org)
def embed_settings(slug: str):
    """The copy-paste snippet that puts the organization's calendar on its own site, in the
    language chosen for the frame (`?hl=`; none: each visitor's browser language)."""
    org = load_org(slug)
    languages = supported_languages()
    language = request.args.get("hl") or ""
    status = 200
    if language and language not in languages:
        flash(_("Choose one of the languages offered."), "error")
        language, status = "", 400
    src = external_url("reach.embed_org_calendar", slug=org.slug, **({"hl": language} if language
                       else {}))  # fmt: skip
    script = external_url("static", filename="embed-parent.js")
    with force_locale(language or str(get_locale() or "en")):
        title = _("Upcoming events: %(org)s", org=org.name)
    snippet = (
        f'<iframe src="{src}" title="{Markup.escape(title)}" data-coalition-embed '
        'width="100%" height="600" loading="lazy"></iframe>\n'
        f'<script src="{script}" async></script>'
    )
    page = render_template("reach/embed_settings.html", org=org, snippet=snippet, src=src,
                           languages=languages, language=language)  # fmt: skip
    return page, status


# Template helpers ---------------------------------------------------------------------------


@bp.app_template_global()
def media_url(name: str) -> str:
    return image_url(name)


@bp.app_template_global()
def flyer_summary(markdown: str | None, limit: int) -> str:
    return plain_text(markdown, limit)


bp.add_app_template_global(share_links, "share_links")
bp.add_app_template_global(external_url, "external_url")


@bp.app_template_global()
def event_picture(event) -> object:
    """The event's picture (an EventImage) or None: the public pages' `picture`."""
    return ops.image_of(event.id)


# Link previews of the public pages (events' and organizations'), which include
# `reach/_preview.html`.
bp.add_app_template_global(event_preview, "event_preview")
bp.add_app_template_global(calendar_preview, "calendar_preview")
bp.add_app_template_global(org_preview, "org_preview")
