"""Organizers: create, preview, publish, edit, duplicate, cancel events and occurrences;
co-sponsors."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events_manage", __name__)
