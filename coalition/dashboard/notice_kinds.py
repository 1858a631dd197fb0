"""What organizers send to the people who RSVPed for a date (coalition/notices)."""

from coalition.notices import ATTENDEE, Notice

NOTICES = (
    Notice("organizer_message", ATTENDEE, email="dashboard/message", sms="dashboard/message"),
)
