"""Translated names of kinds, roles and answers (short: they go into texts)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "raid": _l("Raid"),
    "arrest": _l("Arrest"),
    "checkpoint": _l("Checkpoint"),
    "court": _l("Court date"),
    "other": _l("Other"),
}

ROLE_LABELS = {
    "responder": _l("Rapid responder"),
    "legal_observer": _l("Legal observer"),
    "interpreter": _l("Interpreter"),
    "driver": _l("Driver"),
    "court": _l("Court accompaniment"),
    "hotline": _l("Hotline"),
}

STATE_LABELS = {
    "alerted": _l("No answer yet"),
    "going": _l("On my way"),
    "cant": _l("Can't"),
    "arrived": _l("Arrived"),
    "left": _l("Left"),
}
