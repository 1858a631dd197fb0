"""Delegations to an occurrence."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.crypto import EncryptedString
from coalition.db import NEXT_REVISION, UTCDateTime, enum_column, utcnow
from coalition.events.models import ended_before
from coalition.extensions import db
from coalition.people import PersonalRecord, new_secret, register
from coalition.rsvps.models import RSVP

if TYPE_CHECKING:
    from coalition.events.models import Occurrence
    from coalition.orgs.models import Organization


class TravelMode(enum.StrEnum):
    bus = "bus"
    van = "van"
    carpool = "carpool"
    transit = "transit"
    walking = "walking"


def _join_secret() -> str:
    return secrets.token_urlsafe(12)


class Delegation(db.Model):
    """A group travelling together ("the Worcester delegation"); its members are RSVPs."""

    __tablename__ = "delegations"
    __table_args__ = (
        sa.CheckConstraint("seat_limit IS NULL OR seat_limit > 0", name="seat_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrences.id", ondelete="CASCADE"), index=True
    )
    #: None once purged.
    name: Mapped[str | None] = mapped_column(sa.String(120))
    #: Town or neighborhood it comes from (shown publicly with the name and headcount). None once
    #: purged.
    town: Mapped[str | None] = mapped_column(sa.String(120))
    sponsor_org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL")
    )
    #: The lead's contact: personal data, erased with the attendees'; email and phone are
    #: encrypted at rest (never looked up, so no hash column).
    lead_name: Mapped[str | None] = mapped_column(sa.String(80))
    lead_email: Mapped[str | None] = mapped_column(EncryptedString)
    lead_phone: Mapped[str | None] = mapped_column(EncryptedString)
    lead_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    lead_language: Mapped[str] = mapped_column(sa.String(8), default="en")
    expected_headcount: Mapped[int] = mapped_column(default=1)
    travel_mode: Mapped[TravelMode] = mapped_column(enum_column(TravelMode), default=TravelMode.bus)
    meeting_point: Mapped[str | None] = mapped_column(sa.String(300))
    departure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Seats on the bus or van; joining past it is refused.
    seat_limit: Mapped[int | None] = mapped_column()
    is_closed: Mapped[bool] = mapped_column(default=False)
    #: False while it waits for a host's approval (events with `delegations_need_approval`):
    #: nobody can join it and it is not listed.
    is_approved: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: Secret parts of the lead's private roster link and of the join link (both replaced when
    #: the delegation is purged, so old links answer 404).
    manage_secret: Mapped[str] = mapped_column(sa.String(40), default=new_secret)
    join_secret: Mapped[str] = mapped_column(sa.String(40), default=_join_secret)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Raised by every UPDATE of the row (`RSVP.revision`): part of the roster's version.
    revision: Mapped[int] = mapped_column(default=0, server_default="0", onupdate=NEXT_REVISION)

    occurrence: Mapped[Occurrence] = relationship()
    sponsor_org: Mapped[Organization | None] = relationship()
    members: Mapped[list[RSVP]] = relationship(back_populates="delegation")


#: The lead's contact (and the delegation's name, town and meeting point) is erased after the
#: date's retention, with the messages about it (`OutgoingEmail.delegation_id`); both private
#: links get new random secrets, so old links answer 404.
register(
    PersonalRecord(
        Delegation,
        blank=dict.fromkeys(
            (
                "name",
                "town",
                "meeting_point",
                "lead_name",
                "lead_email",
                "lead_phone",
                "lead_user_id",
            )
        ),
        secrets={"manage_secret": new_secret, "join_secret": _join_secret},
        expired=lambda cutoff, _now: Delegation.occurrence_id.in_(ended_before(cutoff)),
    )
)
