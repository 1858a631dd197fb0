"""Link previews: Open Graph and Twitter card tags, in the page's language.

They carry the title, the date, the town and the description, and never the place: the town is
public in every mode (`events/privacy.py`), the rest of the place is left out even when the
visitor may see it (a preview travels further than the page)."""

from __future__ import annotations

import html
import re

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from coalition.events.formatting import format_when
from coalition.events.markdown import render_markdown
from coalition.events.privacy import town
from coalition.reach.models import EventImage
from coalition.reach.storage import get_storage
from coalition.urls import external_url

DESCRIPTION_LENGTH = 200
#: The variant a preview shows (Facebook and WhatsApp like 1200 px or so).
PREVIEW_WIDTH = 1200


def plain_text(markdown: str | None, limit: int = DESCRIPTION_LENGTH) -> str:
    """Markdown as one line of plain text, cut at a word before `limit` characters."""
    # The rendered HTML is already sanitized: dropping its tags leaves its text.
    rendered = str(render_markdown(markdown or ""))
    rendered = re.sub(r"<(br|hr)\s*/?>|</(p|li|h\d|blockquote|pre)>", " ", rendered)
    text = html.unescape(re.sub(r"<[^>]*>", "", rendered))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def image_url(name: str) -> str:
    return get_storage().public_url(name) or external_url("reach.media", name=name)


def _image(image: EventImage | None) -> dict | None:
    if image is None:
        return None
    width, height, name = image.variant_for(PREVIEW_WIDTH)
    return {"url": image_url(name), "width": width, "height": height, "alt": image.alt_text}


def _site(**values) -> dict:
    values.setdefault("site_name", current_app.config["COALITION_NAME"])
    values.setdefault("locale", str(get_locale() or "en"))
    values.setdefault("type", "website")
    values.setdefault("image", None)
    return values


def event_preview(event, occurrence, image: EventImage | None, *, single_date: bool) -> dict:
    language = str(get_locale() or "en")
    text = event.translation(language)
    facts = []
    if occurrence is not None:
        facts.append(
            format_when(
                occurrence.start_at, occurrence.end_at, event.zone, all_day=event.is_all_day
            )
        )
    place_town = town(event, occurrence)
    if place_town:
        facts.append(place_town)
    description = " · ".join(facts)
    body = plain_text(text.description)
    if body:
        description = f"{description}. {body}" if description else body
    if single_date and occurrence is not None:
        url = external_url("events.occurrence", event_id=event.id, occurrence_id=occurrence.id)
    else:
        url = external_url("events.show", event_id=event.id)
    return _site(
        title=text.title,
        description=description,
        url=url,
        image=_image(image),
        type="event",
        content_language=text.language,
    )


def org_preview(org) -> dict:
    parts = [org.city] if org.city else []
    body = plain_text(org.description)
    if body:
        parts.append(body)
    return _site(
        title=org.name,
        description=". ".join(parts)
        or _(
            "A member organization of %(coalition)s.",
            coalition=current_app.config["COALITION_NAME"],
        ),
        url=external_url("orgs.show", slug=org.slug),
    )


def calendar_preview(args: dict) -> dict:
    return _site(
        title=_("Upcoming actions and events"),
        description=_(
            "Actions, trainings and meetings of the member organizations of %(coalition)s.",
            coalition=current_app.config["COALITION_NAME"],
        ),
        url=external_url("events.calendar", **args),
    )
