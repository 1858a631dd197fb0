"""Delegation logic: start one, join it, the lead's roster, closing it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from coalition import signals
from coalition.auth.models import User
from coalition.core import same_work
from coalition.db import utcnow
from coalition.delegations.models import Delegation, TravelMode
from coalition.events.formatting import format_moment
from coalition.events.models import Event, Occurrence
from coalition.extensions import db
from coalition.languages import message_locale
from coalition.mail.operations import queue_email
from coalition.people.links import PrivateLink
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.rsvps.operations import (  # noqa: F401  (the delegation rules live there)
    DelegationError,
    check_can_join,
    members_headcount,
)
from coalition.sms.notices import text_lead, text_rsvp
from coalition.tokens import TokenError
from coalition.urls import external_url

LEAD_PURPOSE = "delegation-lead"
#: The roster reads the date, its event, the event's texts and the sponsor: loaded with the
#: delegation, in one statement.
_LEAD_LINK = PrivateLink(
    LEAD_PURPOSE, Delegation, "d", "delegations.lead",
    options=(
        joinedload(Delegation.occurrence).joinedload(Occurrence.event)
        .joinedload(Event.translations),
        joinedload(Delegation.sponsor_org),
    ),
)  # fmt: skip


@dataclass
class DelegationInput:
    name: str
    town: str
    lead_name: str
    lead_email: str | None = None
    lead_phone: str | None = None
    lead_language: str = "en"
    expected_headcount: int = 1
    travel_mode: TravelMode = TravelMode.bus
    meeting_point: str | None = None
    departure_at: datetime | None = None
    seat_limit: int | None = None
    sponsor_org_id: int | None = None


def seats_left_in(delegation: Delegation) -> int | None:
    """Free seats on the bus or van (its limit counts the lead), or None without a limit."""
    if delegation.seat_limit is None:
        return None
    return max(delegation.seat_limit - members_headcount(delegation) - 1, 0)


def start(occurrence: Occurrence, data: DelegationInput, *, user: User | None = None) -> Delegation:
    reason = rsvp_ops.closed_reason(occurrence)
    if reason is not None:
        raise DelegationError(reason, status=409)
    if not data.name.strip() or not data.town.strip():
        raise DelegationError(_l("Give the delegation a name and a town."), "name")
    if not data.lead_email and not data.lead_phone:
        raise DelegationError(_l("Give the lead's email or phone."), "lead_email")
    if data.seat_limit is not None and data.seat_limit < 1:
        raise DelegationError(_l("Seats must be a positive number."), "seat_limit")
    approved = not occurrence.event.delegations_need_approval or occurrence.event.can_manage(user)
    if approved:
        _check_lead_seat(occurrence)
    delegation = Delegation(
        occurrence=occurrence,
        name=data.name.strip(),
        town=data.town.strip(),
        sponsor_org_id=data.sponsor_org_id,
        lead_name=data.lead_name.strip(),
        lead_email=(data.lead_email or "").strip().lower() or None,
        lead_phone=data.lead_phone or None,
        lead_user_id=user.id if user is not None else None,
        lead_language=data.lead_language,
        expected_headcount=max(data.expected_headcount, 1),
        travel_mode=data.travel_mode,
        meeting_point=data.meeting_point,
        departure_at=data.departure_at,
        seat_limit=data.seat_limit,
        is_approved=approved,
    )
    db.session.add(delegation)
    db.session.flush()
    signals.delegation_started.send(delegation, now=None)
    if delegation.lead_email:
        queue_email(
            about_delegation=delegation,
            to=delegation.lead_email,
            kind="delegation_started",
            subject=_l("Your delegation: %(name)s", name=delegation.name),
            template="delegations/started",
            locale=message_locale(delegation.lead_language),
            delegation=delegation,
            event=occurrence.event,
            occurrence=occurrence,
            lead_url=lead_url(delegation),
            join_url=join_url(delegation),
        )
    elif delegation.lead_phone:
        text_lead(delegation, kind="delegation_started", template="delegations/started")
    return delegation


def join(delegation: Delegation, data: rsvp_ops.RSVPInput, *, user: User | None = None):
    """Members join with the RSVP form; they count in the delegation and the event. A contact
    that already has an RSVP for the date joins nothing (its owner is sent their link)."""
    outcome = rsvp_ops.submit(delegation.occurrence, data, user=user, delegation=delegation)
    # The lead hears of a new member only; a known contact's join writes the same, undone.
    member = outcome.rsvp if outcome.created else outcome.stand_in
    if member is None:  # a signed-in person's own RSVP, updated
        return outcome
    lead = delegation.lead_email
    with same_work.tried(keep=outcome.created):
        if lead:
            queue_email(
                about_delegation=delegation,
                about_rsvp=outcome.rsvp,
                to=lead,
                kind="delegation_joined",
                subject=_l(
                    "%(name)s joined %(delegation)s", name=member.name, delegation=delegation.name
                ),
                template="delegations/joined",
                locale=message_locale(delegation.lead_language),
                delegation=delegation,
                rsvp=member,
                lead_url=lead_url(delegation),
            )
        elif delegation.lead_phone:
            text_lead(delegation, kind="delegation_joined", template="delegations/joined",
                      member=member.name)  # fmt: skip
    return outcome


@dataclass
class DelegationChanges:
    """What the lead may change after starting (`DelegationEditForm`)."""

    name: str
    expected_headcount: int
    meeting_point: str | None = None
    departure_at: datetime | None = None
    seat_limit: int | None = None


def edit(delegation: Delegation, data: DelegationChanges, now: datetime | None = None) -> int:
    """The lead changes the delegation. Seats never drop below the people already holding one
    (decided under the date's lock, as joins are). A new meeting point or departure time is
    sent to every member on their channel; returns how many were told."""
    name = (data.name or "").strip()
    if not name:
        raise DelegationError(_l("Give the delegation a name."), "name")
    if not 1 <= data.expected_headcount <= 5000:
        raise DelegationError(_l("Expect 1 to 5000 people."), "expected_headcount")
    rsvp_ops.lock_occurrence(delegation.occurrence)
    if data.seat_limit is not None:
        holding = members_headcount(delegation) + 1  # the lead rides too
        if data.seat_limit < holding:
            raise DelegationError(
                ngettext("%(num)d person already has a seat: give at least that many seats.",
                         "%(num)d people already have a seat, you included: give at least "
                         "that many seats.", holding),
                "seat_limit", status=409,
            )  # fmt: skip
    meeting_point = (data.meeting_point or "").strip() or None
    moved = (meeting_point, data.departure_at) != (
        delegation.meeting_point,
        delegation.departure_at,
    )
    delegation.name = name
    delegation.expected_headcount = data.expected_headcount
    delegation.meeting_point = meeting_point
    delegation.departure_at = data.departure_at
    delegation.seat_limit = data.seat_limit
    db.session.flush()
    if not moved:
        return 0
    return tell_members_of_new_meeting(delegation, now)


def active_members(delegation: Delegation) -> list[RSVP]:
    """Members holding a seat or waiting for one (pending requests and cancellations not)."""
    return list(
        db.session.scalars(
            sa.select(RSVP)
            .where(
                RSVP.delegation_id == delegation.id,
                RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted]),
                RSVP.erased_at.is_(None),
            )
            .order_by(RSVP.created_at, RSVP.id)
        )
    )


def tell_members_of_new_meeting(delegation: Delegation, now: datetime | None = None) -> int:
    """Each member learns the meeting point and departure time by email, or by text when they
    gave only a phone. Only what the lead typed: never the event's place (members see that as
    `events/privacy.py` allows, on their own page)."""
    occurrence = delegation.occurrence
    event = occurrence.event
    told = 0
    for member in active_members(delegation):
        locale = message_locale(member.language)
        departure = (
            format_moment(delegation.departure_at, event.zone, locale)
            if delegation.departure_at is not None
            else None
        )
        if member.email:
            queue_email(
                about_delegation=delegation, about_rsvp=member, to=member.email,
                kind="delegation_changed", template="delegations/changed", locale=locale,
                subject=_l("New meeting point or time: %(name)s", name=delegation.name),
                delegation=delegation, rsvp=member, event=event, occurrence=occurrence,
                departure=departure, manage_url=rsvp_ops.manage_url(member),
            )  # fmt: skip
        elif member.phone:
            if text_rsvp(member, kind="delegation_changed", template="delegations/changed",
                         name=delegation.name, meeting_point=delegation.meeting_point,
                         departure=departure, expires_at=occurrence.start_at) is None:  # fmt: skip
                continue
        else:
            continue  # someone the lead brought, with no contact: the lead tells them
        told += 1
    return told


def add_guest(delegation: Delegation, name: str, now: datetime | None = None) -> RSVP:
    """The lead adds someone who has no phone or email (an elder, a child): a member with a
    seat like any other, no contact, no link, erased with the rest (`rsvps.operations`)."""
    return rsvp_ops.add_guest(delegation, name, now=now or utcnow())


def close(delegation: Delegation) -> None:
    delegation.is_closed = True


def reopen(delegation: Delegation) -> None:
    delegation.is_closed = False


def remove_member(delegation: Delegation, rsvp: RSVP) -> None:
    """The lead takes someone off the roster; their RSVP is cancelled (seats freed). Someone the
    lead added without a contact is erased at once: nobody else could ever reach that RSVP."""
    if rsvp.delegation_id != delegation.id:
        raise DelegationError(_l("This person is not in the delegation."), status=404)
    if rsvp_ops.is_guest(rsvp):
        rsvp_ops.erase(rsvp)
        return
    rsvp_ops.cancel(rsvp)
    rsvp.delegation_id = None


#: The lead's private roster link: its token and URL, and the delegation behind a token
#: (TokenError when tampered with or purged).
lead_token = _LEAD_LINK.token
lead_url = _LEAD_LINK.url
delegation_for_lead_token = _LEAD_LINK.row


def delegation_for_join(delegation_id: int, secret: str) -> Delegation:
    delegation = db.session.get(Delegation, delegation_id)
    if delegation is None or delegation.erased_at is not None or delegation.join_secret != secret:
        raise TokenError("invalid")
    return delegation


def _check_lead_seat(occurrence: Occurrence) -> None:
    """The lead holds a seat from the moment the delegation is approved: refuse when none is
    free for a newcomer (the date is full, or people are waiting for seats)."""
    occurrence = rsvp_ops.lock_occurrence(occurrence)
    if rsvp_ops.seats_for_newcomers(occurrence) == 0:
        raise DelegationError(
            _l("This date is full: there is no seat for the delegation's lead."), status=409
        )


def approve(delegation: Delegation) -> None:
    """A host lets people join the delegation; its lead takes a seat."""
    if delegation.is_approved:
        return
    _check_lead_seat(delegation.occurrence)
    delegation.is_approved = True


@dataclass(frozen=True)
class RosterState:
    """What the roster counts, and the version of what it lists."""

    #: Members on the way (confirmed or on the waitlist), the lead not included.
    headcount: int
    #: Changes with any change to the delegation or to any of its RSVPs (added, edited,
    #: erased, deleted: every UPDATE raises a row's revision).
    version: str


def roster_state(delegation: Delegation) -> RosterState:
    """The roster's headcount and version, in one aggregate query (no member read)."""
    row = db.session.execute(_roster_state_statement(), {"delegation_id": delegation.id}).one()
    return RosterState(headcount=int(row[4] or 0), version=repr(tuple(row[:4])))


@functools.cache
def _roster_state_statement() -> sa.Select:
    """`roster_state`'s statement, built once per process (`delegation_id` bound)."""
    on_the_way = sa.and_(
        RSVP.erased_at.is_(None), RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted])
    )
    return (
        sa.select(Delegation.revision, sa.func.count(RSVP.id), sa.func.max(RSVP.id),
                  sa.func.sum(RSVP.revision),
                  sa.func.sum(sa.case((on_the_way, RSVP.party_size), else_=0)))
        .outerjoin(RSVP, RSVP.delegation_id == Delegation.id)
        .where(Delegation.id == sa.bindparam("delegation_id", type_=sa.Integer))
        .group_by(Delegation.id)
    )  # fmt: skip


def join_url(delegation: Delegation) -> str:
    return external_url(
        "delegations.join", delegation_id=delegation.id, secret=delegation.join_secret
    )


def public_summary(occurrence: Occurrence) -> list[dict]:
    """Delegations by name, town and headcount: never by member (for the event page)."""
    rows = db.session.execute(
        sa.select(
            Delegation.id,
            Delegation.name,
            Delegation.town,
            Delegation.expected_headcount,
            sa.func.coalesce(sa.func.sum(RSVP.party_size), 0),
        )
        .outerjoin(
            RSVP,
            sa.and_(RSVP.delegation_id == Delegation.id, RSVP.status == RSVPStatus.confirmed),
        )
        .where(
            Delegation.occurrence_id == occurrence.id,
            Delegation.is_approved.is_(True),
            Delegation.erased_at.is_(None),
        )
        .group_by(Delegation.id)
        .order_by(Delegation.town, Delegation.name)
    ).all()
    return [
        {"id": r[0], "name": r[1], "town": r[2], "expected": r[3], "confirmed": r[4]} for r in rows
    ]
