"""What rapid responders, and trainees invited to become one, are sent (coalition/notices)."""

from coalition.notices import ATTENDEE, RESPONDER, Notice

NOTICES = (
    Notice("rapid_link", RESPONDER, email="rapid/link", sms="rapid/link"),
    Notice("rapid_alert", RESPONDER, email="rapid/alert", sms="rapid/alert"),
    Notice("rapid_update", RESPONDER, email="rapid/update", sms="rapid/update"),
    # To a training's checked-in attendee (an RSVP: email, or a phone only).
    Notice(
        "rapid_training_invite",
        ATTENDEE,
        email="rapid/training_invite",
        sms="rapid/training_invite",
    ),
)
