"""What people who RSVPed are sent about their RSVP (coalition/notices): by email, or as a
text to a person who gave only a phone."""

from coalition.notices import ATTENDEE, Notice

NOTICES = (
    Notice("rsvp_confirmation", ATTENDEE, email="rsvps/confirmation", sms="rsvps/confirmation"),
    Notice("rsvp_already", ATTENDEE, email="rsvps/already", sms="rsvps/already"),
    Notice("rsvp_promoted", ATTENDEE, email="rsvps/promoted", sms="rsvps/promoted"),
    Notice("waitlist_offer", ATTENDEE, email="rsvps/waitlist_offer", sms="rsvps/waitlist_offer"),
    Notice("waitlist_closed", ATTENDEE, email="rsvps/waitlist_closed", sms="rsvps/waitlist_closed"),
    Notice("rsvp_declined", ATTENDEE, email="rsvps/declined", sms="rsvps/declined"),
    Notice("rsvp_changed", ATTENDEE, email="rsvps/changed", sms="rsvps/changed"),
    Notice("rsvp_cancelled", ATTENDEE, email="rsvps/cancelled", sms="rsvps/cancelled"),
)
