"""What volunteer helpers are sent (coalition/notices)."""

from coalition.notices import ATTENDEE, HELPER, Notice

NOTICES = (
    Notice(
        "helper_confirmation",
        HELPER,
        email="volunteers/confirmation",
        sms="volunteers/confirmation",
    ),
    Notice("helper_already", HELPER, email="volunteers/already", sms="volunteers/already"),
    Notice("helper_cancelled", HELPER, email="volunteers/cancelled", sms="volunteers/cancelled"),
    Notice("helper_restored", HELPER, email="volunteers/restored", sms="volunteers/restored"),
    Notice("helper_reminder", HELPER, email="volunteers/reminder", sms="reminders/attendee"),
    Notice("helper_message", HELPER, email="volunteers/message", sms="dashboard/message"),
    # Rides: the person who asked for one on their RSVP, and the driver (a helper).
    Notice("ride_rider", ATTENDEE, email="volunteers/ride_rider", sms="volunteers/ride_rider"),
    Notice(
        "ride_rider_ended",
        ATTENDEE,
        email="volunteers/ride_rider_ended",
        sms="volunteers/ride_rider_ended",
    ),
    Notice("ride_driver", HELPER, email="volunteers/ride_driver", sms="volunteers/ride_driver"),
    Notice(
        "ride_driver_ended",
        HELPER,
        email="volunteers/ride_driver_ended",
        sms="volunteers/ride_driver_ended",
    ),
)
