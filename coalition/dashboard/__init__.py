"""The organizers' view of one occurrence: counts, attendees, export, check-in, messages."""
