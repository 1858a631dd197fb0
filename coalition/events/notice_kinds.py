"""What hosts and admins are sent about events (coalition/notices)."""

from coalition.notices import ACCOUNT, Notice

NOTICES = (
    Notice("event_pending", ACCOUNT, email="events/pending"),
    Notice("event_approved", ACCOUNT, email="events/approved"),
    Notice("event_unpublished", ACCOUNT, email="events/unpublished"),
    Notice("cosponsor_invitation", ACCOUNT, email="events/cosponsor_invitation"),
)
