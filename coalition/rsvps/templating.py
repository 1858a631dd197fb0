"""What templates get from RSVPs: status names, why a date takes no RSVP, seats left, who is
going (registered by the app factory)."""

from __future__ import annotations

from flask import Flask

from coalition.rsvps.labels import RSVP_STATUS_NAMES
from coalition.rsvps.operations import closed_reason, confirmed_headcount, seats_for_newcomers


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        rsvp_status_names=RSVP_STATUS_NAMES,
        rsvp_closed_reason=closed_reason,
        rsvp_seats_left=seats_for_newcomers,
        rsvp_going=lambda occurrence: confirmed_headcount(occurrence.id),
    )
