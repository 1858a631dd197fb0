"""What volunteer helpers are sent (coalition/notices)."""

from coalition.notices import HELPER, Notice

NOTICES = (
    Notice(
        "helper_confirmation",
        HELPER,
        email="volunteers/confirmation",
        sms="volunteers/confirmation",
    ),
    Notice("helper_already", HELPER, email="volunteers/already", sms="volunteers/already"),
    Notice("helper_cancelled", HELPER, email="volunteers/cancelled", sms="volunteers/cancelled"),
    Notice("helper_reminder", HELPER, email="volunteers/reminder", sms="reminders/attendee"),
    Notice("helper_message", HELPER, email="volunteers/message", sms="dashboard/message"),
)
