"""The public side: calendar, month view, past events, event and occurrence pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events", __name__)
