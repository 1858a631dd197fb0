"""What delegations' leads and members are sent (coalition/notices)."""

from coalition.notices import ATTENDEE, LEAD, Notice

NOTICES = (
    Notice("delegation_started", LEAD, email="delegations/started", sms="delegations/started"),
    Notice("delegation_joined", LEAD, email="delegations/joined", sms="delegations/joined"),
    # The lead's message to the members: a member who gave only a phone gets it as a text.
    Notice("delegation_message", ATTENDEE, email="delegations/message", sms="dashboard/message"),
    # The lead moved the meeting point or the departure: every member, on their channel.
    Notice("delegation_changed", ATTENDEE, email="delegations/changed", sms="delegations/changed"),
)
