"""Imports every feature's models so that metadata (and Alembic) sees all tables."""

from coalition.auth.models import AccountEvent, RecoveryCode, User
from coalition.calendar_version import CalendarVersion
from coalition.delegations.models import Delegation
from coalition.events.models import Event, EventCosponsor, EventTranslation, EventType, Occurrence
from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import Invitation, Membership, Organization
from coalition.reminders.models import Reminder
from coalition.rsvps.models import RSVP, AuditEntry
from coalition.settings.models import Setting

__all__ = [
    "RSVP",
    "AccountEvent",
    "AuditEntry",
    "CalendarVersion",
    "Delegation",
    "Event",
    "EventCosponsor",
    "EventTranslation",
    "EventType",
    "Invitation",
    "Membership",
    "Occurrence",
    "Organization",
    "OutgoingEmail",
    "RecoveryCode",
    "Reminder",
    "Setting",
    "User",
]
