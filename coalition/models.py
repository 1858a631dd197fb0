"""Imports every feature's models so that metadata (and Alembic) sees all tables."""

from coalition.auth.models import AccountEvent, PendingRegistration, RecoveryCode, User
from coalition.calendar_version import CalendarVersion
from coalition.delegations.models import Delegation
from coalition.events.models import Event, EventCosponsor, EventTranslation, EventType, Occurrence
from coalition.mail.models import ChannelState, OutgoingEmail
from coalition.orgs.models import Invitation, Membership, Organization
from coalition.rapid.models import (
    Alert,
    AlertMessage,
    AlertSummary,
    AlertUpdate,
    Answer,
    CoalitionDispatcher,
    Responder,
    TrainingInvitation,
)
from coalition.reach.models import EventImage
from coalition.reminders.models import Reminder
from coalition.reports.models import DateFigures, SeriesFigures
from coalition.rsvps.models import RSVP, AuditEntry
from coalition.sessions.models import (
    EventSession,
    SeriesPart,
    SeriesRegistration,
    SeriesSettings,
    SessionSignup,
)
from coalition.settings.models import Setting
from coalition.shortlinks.models import ShortLink
from coalition.sms.models import SmsNumber
from coalition.sources.models import ImportedEvent, Source
from coalition.volunteers.models import Helper, RideAssignment, VolunteerRole

__all__ = [
    "RSVP",
    "AccountEvent",
    "Alert",
    "AlertMessage",
    "AlertSummary",
    "AlertUpdate",
    "Answer",
    "AuditEntry",
    "CalendarVersion",
    "ChannelState",
    "CoalitionDispatcher",
    "DateFigures",
    "Delegation",
    "Event",
    "EventCosponsor",
    "EventImage",
    "EventSession",
    "EventTranslation",
    "EventType",
    "Helper",
    "ImportedEvent",
    "Invitation",
    "Membership",
    "Occurrence",
    "Organization",
    "OutgoingEmail",
    "PendingRegistration",
    "RecoveryCode",
    "Reminder",
    "Responder",
    "RideAssignment",
    "SeriesFigures",
    "SeriesPart",
    "SeriesRegistration",
    "SeriesSettings",
    "SessionSignup",
    "Setting",
    "ShortLink",
    "SmsNumber",
    "Source",
    "TrainingInvitation",
    "User",
    "VolunteerRole",
]
