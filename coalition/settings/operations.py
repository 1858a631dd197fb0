"""Read and write coalition settings, with defaults for those never set."""

from __future__ import annotations

from typing import Any

from coalition.extensions import db
from coalition.settings.models import Setting

DEFAULTS: dict[str, Any] = {
    #: Events of member organizations wait for an admin before they are public.
    "events_require_approval": False,
    #: Days after an occurrence ends before attendees' personal data is erased.
    "purge_after_days": 30,
    #: Days after a rapid-response alert closes before its text, place and answers are erased
    #: (counts stay). Drills go after one day.
    "rapid_purge_after_days": 30,
    #: Reminder offsets before an occurrence starts, in minutes (1 day and 2 hours).
    "reminder_offsets": [1440, 120],
    #: Texts sent per day (in the coalition's zone) at most; more wait for the next day. 0: no cap.
    "sms_daily_cap": 500,
    #: The coalition's colour for the header, buttons and links (#rrggbb; too light for text on
    #: white and the default is used instead).
    "brand_color": "#0b5d7a",
    #: Address of the coalition's logo shown in the header ("" shows the built-in mark).
    "logo_url": "",
}


def get_setting(key: str) -> Any:
    row = db.session.get(Setting, key)
    return DEFAULTS[key] if row is None else row.value


def set_setting(key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
