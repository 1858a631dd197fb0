"""What people are sent about sessions and series (coalition/notices)."""

from coalition.notices import ATTENDEE, SERIES_ATTENDEE, Notice

NOTICES = (
    Notice("session_promoted", ATTENDEE, email="sessions/promoted", sms="sessions/promoted"),
    Notice("series_confirmation", SERIES_ATTENDEE, email="sessions/series"),
    Notice("series_already", SERIES_ATTENDEE, email="sessions/series"),
    Notice("series_promoted", SERIES_ATTENDEE, email="sessions/series"),
    # A date RSVP's person, when its event becomes a series (on their channel: a phone only too).
    Notice(
        "series_switched",
        ATTENDEE,
        email="sessions/series_switched",
        sms="sessions/series_switched",
    ),
)
