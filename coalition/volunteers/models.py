"""Volunteer roles of an event date, the helpers who signed up, and rides: a delegation's
people, or one RSVP that needs a ride, in a driver's car.

Personal data (a helper's name, contacts, note and leave-from town) lives only on `Helper` rows
and is erased like an RSVP's (`coalition.erasure`): on request from the private link, and by the
daily purge after the date. Counts survive. Contacts are encrypted at rest and found by keyed
hash (`coalition.crypto`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.db import UTCDateTime, enum_column, utcnow
from coalition.events.models import ended_before
from coalition.extensions import db
from coalition.people import ERASED, Contact, PersonalRecord, register, unique_contact

if TYPE_CHECKING:
    from coalition.delegations.models import Delegation
    from coalition.events.models import Occurrence
    from coalition.rsvps.models import RSVP


class RoleKind(enum.StrEnum):
    driver = "driver"
    childcare = "childcare"
    #: With a language pair (`language_from`, `language_to`).
    interpreter = "interpreter"
    marshal = "marshal"
    food = "food"
    setup = "setup"
    #: Named by the organizers (`custom_name`).
    custom = "custom"


class HelperStatus(enum.StrEnum):
    signed_up = "signed_up"
    cancelled = "cancelled"


class VolunteerRole(db.Model):
    """What one date asks for: "3 drivers from Springfield, 8:00-10:00"."""

    __tablename__ = "volunteer_roles"
    __table_args__ = (sa.CheckConstraint("needed >= 1", name="needed_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrences.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RoleKind] = mapped_column(enum_column(RoleKind))
    #: The role's name when `kind` is custom ("Medics", "Photographers").
    custom_name: Mapped[str | None] = mapped_column(sa.String(80))
    #: Interpreters: the two languages (content language codes).
    language_from: Mapped[str | None] = mapped_column(sa.String(8))
    language_to: Mapped[str | None] = mapped_column(sa.String(8))
    #: Drivers: the town rides are needed from (public, like a delegation's town).
    town: Mapped[str | None] = mapped_column(sa.String(120))
    #: How many helpers the organizers want.
    needed: Mapped[int] = mapped_column(default=1)
    #: The shift, entered in the event's zone; None: the date's own times.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The organizers' note to helpers (public, like the event's description).
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: Drivers: they may seat people who need a ride themselves, from their private page (where
    #: they see a first name and a pickup town, nothing more). Off: only organizers match.
    riders_by_drivers: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    occurrence: Mapped[Occurrence] = relationship()
    helpers: Mapped[list[Helper]] = relationship(
        back_populates="role", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def shift_start(self) -> datetime:
        return self.starts_at or self.occurrence.start_at

    @property
    def shift_end(self) -> datetime:
        return self.ends_at or self.occurrence.end_at


class Helper(Contact, db.Model):
    """One person helping in one role (the same contact may help in several roles); their
    contact is `Contact`'s."""

    __tablename__ = "volunteer_helpers"
    __table_args__ = (
        unique_contact("uq_volunteer_helpers_role_email_hash", "role_id", "email_hash"),
        unique_contact("uq_volunteer_helpers_role_phone_hash", "role_id", "phone_hash"),
        sa.CheckConstraint("seats IS NULL OR seats >= 1", name="seats_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(
        sa.ForeignKey("volunteer_roles.id", ondelete="CASCADE"), index=True
    )
    #: The role's date, kept here for the purge and the reminders.
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrences.id", ondelete="CASCADE"), index=True
    )
    #: Drivers: seats for riders (the driver not counted). Kept after erasure (a count).
    seats: Mapped[int | None] = mapped_column()
    #: Drivers: the town they leave from. None once erased.
    town: Mapped[str | None] = mapped_column(sa.String(120))
    #: Anything the organizers should know. None once erased.
    note: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[HelperStatus] = mapped_column(
        enum_column(HelperStatus), default=HelperStatus.signed_up
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role: Mapped[VolunteerRole] = relationship(back_populates="helpers")
    occurrence: Mapped[Occurrence] = relationship()
    rides: Mapped[list[RideAssignment]] = relationship(
        back_populates="driver", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_active(self) -> bool:
        return self.status == HelperStatus.signed_up


#: Erased like an RSVP: on request and after the date's retention, with the messages about them
#: (`OutgoingEmail.helper_id`). Seats and ride counts stay.
register(
    PersonalRecord(
        Helper,
        blank=dict.fromkeys((*Contact.PERSONAL, "note", "town")),
        secrets={"manage_secret": ERASED},
        expired=lambda cutoff, _now: Helper.occurrence_id.in_(ended_before(cutoff)),
        hashed=Contact.HASHED,
    )
)


class RideAssignment(db.Model):
    """Seats in a driver's car: riders of a delegation, or one RSVP that needs a ride (its
    whole party). Organizers match them, and drivers too where the role allows it."""

    __tablename__ = "volunteer_rides"
    __table_args__ = (
        sa.UniqueConstraint("driver_id", "delegation_id"),
        #: One car per person who needs a ride.
        sa.UniqueConstraint("rsvp_id"),
        sa.CheckConstraint("riders >= 1", name="riders_positive"),
        sa.CheckConstraint(
            "(delegation_id IS NULL) <> (rsvp_id IS NULL)", name="delegation_or_rider"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    driver_id: Mapped[int] = mapped_column(
        sa.ForeignKey("volunteer_helpers.id", ondelete="CASCADE"), index=True
    )
    delegation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegations.id", ondelete="CASCADE"), index=True
    )
    #: A person who asked for a ride on their RSVP (its `ride_from` is the pickup town).
    rsvp_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rsvps.id", ondelete="CASCADE"))
    #: People in this car: of the delegation, or the rider's party.
    riders: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    driver: Mapped[Helper] = relationship(back_populates="rides")
    delegation: Mapped[Delegation | None] = relationship()
    rsvp: Mapped[RSVP | None] = relationship()
