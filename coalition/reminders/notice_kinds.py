"""Reminders, and what attendees are told when their event changes (coalition/notices)."""

from coalition.notices import ATTENDEE, LEAD, Notice

NOTICES = (
    Notice("reminder", ATTENDEE, email="reminders/attendee", sms="reminders/attendee"),
    Notice("lead_roster", LEAD, email="reminders/lead_roster", sms="reminders/lead_roster"),
    Notice("event_changed", ATTENDEE, email="reminders/changed", sms="reminders/changed"),
    Notice("event_cancelled", ATTENDEE, email="reminders/cancelled", sms="reminders/cancelled"),
    Notice("event_restored", ATTENDEE, email="reminders/restored", sms="reminders/restored"),
)
