"""What templates get from events: dates and times in the page's language, Markdown, the
public place, status names (registered by the app factory)."""

from __future__ import annotations

from flask import Flask

from coalition.events.formatting import (
    format_clock,
    format_day,
    format_month,
    format_weekday,
    format_when,
)
from coalition.events.labels import COSPONSOR_STATUS_NAMES, EVENT_STATUS_NAMES
from coalition.events.markdown import render_markdown
from coalition.events.privacy import hidden_place_note, town


def init_templating(app: Flask) -> None:
    env = app.jinja_env
    env.filters["markdown"] = render_markdown
    env.globals.update(
        event_status_names=EVENT_STATUS_NAMES,
        cosponsor_status_names=COSPONSOR_STATUS_NAMES,
        format_when=format_when,
        hidden_place_note=hidden_place_note,
        public_town=town,
        format_day=format_day,
        format_clock=format_clock,
        format_month=format_month,
        format_weekday=format_weekday,
    )
