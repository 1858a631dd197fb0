"""Coalition admins: the moderation queue, event types, the moderation setting."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events_admin", __name__, url_prefix="/admin/events")
