"""Delegation logic: start one, join it, the lead's roster, closing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coalition.auth.models import User
from coalition.delegations.models import Delegation, TravelMode
from coalition.events.models import Occurrence
from coalition.extensions import db
from coalition.languages import message_locale
from coalition.mail.operations import queue_email
from coalition.reminders.operations import schedule_for_delegation
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.sms.notices import text_lead
from coalition.tokens import TokenError, make_token, read_token
from coalition.urls import external_url

LEAD_PURPOSE = "delegation-lead"


class DelegationError(rsvp_ops.RSVPError):
    pass


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


def members_headcount(
    delegation: Delegation, *, exclude: RSVP | None = None, confirmed_only: bool = False
) -> int:
    """People in the delegation's parties (waiting ones too, unless `confirmed_only`), the lead
    not included."""
    statuses = (
        [RSVPStatus.confirmed] if confirmed_only else [RSVPStatus.confirmed, RSVPStatus.waitlisted]
    )
    query = sa.select(sa.func.coalesce(sa.func.sum(RSVP.party_size), 0)).where(
        RSVP.delegation_id == delegation.id, RSVP.status.in_(statuses)
    )
    if exclude is not None and exclude.id is not None:
        query = query.where(RSVP.id != exclude.id)
    return db.session.scalar(query)


def seats_left_in(delegation: Delegation) -> int | None:
    """Free seats on the bus or van (its limit counts the lead), or None without a limit."""
    if delegation.seat_limit is None:
        return None
    return max(delegation.seat_limit - members_headcount(delegation) - 1, 0)


def check_can_join(delegation: Delegation, party_size: int, *, replacing: RSVP | None) -> None:
    """Refuse a join past the seat limit, into a closed one or one not approved yet."""
    if not delegation.is_approved:
        raise DelegationError(_l("This delegation is waiting for the hosts' approval."), status=409)
    if delegation.is_closed:
        raise DelegationError(_l("This delegation is closed."), status=409)
    if delegation.seat_limit is not None:
        taken = members_headcount(delegation, exclude=replacing) + 1  # the lead rides too
        if taken + party_size > delegation.seat_limit:
            left = max(delegation.seat_limit - taken, 0)
            raise DelegationError(
                _l("The delegation has %(n)d seats left.", n=left), "party_size", status=409
            )


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
    schedule_for_delegation(delegation)
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
    lead = delegation.lead_email
    if lead and outcome.created:
        queue_email(
            about_delegation=delegation,
            about_rsvp=outcome.rsvp,
            to=lead,
            kind="delegation_joined",
            subject=_l(
                "%(name)s joined %(delegation)s", name=outcome.rsvp.name, delegation=delegation.name
            ),
            template="delegations/joined",
            locale=message_locale(delegation.lead_language),
            delegation=delegation,
            rsvp=outcome.rsvp,
            lead_url=lead_url(delegation),
        )
    elif delegation.lead_phone and outcome.created:
        text_lead(delegation, kind="delegation_joined", template="delegations/joined",
                  member=outcome.rsvp.name)  # fmt: skip
    return outcome


def close(delegation: Delegation) -> None:
    delegation.is_closed = True


def reopen(delegation: Delegation) -> None:
    delegation.is_closed = False


def remove_member(delegation: Delegation, rsvp: RSVP) -> None:
    """The lead takes someone off the roster; their RSVP is cancelled (seats freed)."""
    if rsvp.delegation_id != delegation.id:
        raise DelegationError(_l("This person is not in the delegation."), status=404)
    rsvp_ops.cancel(rsvp)
    rsvp.delegation_id = None


def lead_token(delegation: Delegation) -> str:
    return make_token(LEAD_PURPOSE, {"d": delegation.id, "s": delegation.manage_secret})


def delegation_for_lead_token(token: str) -> Delegation:
    payload = read_token(LEAD_PURPOSE, token, max_age=None)
    if not isinstance(payload, dict):
        raise TokenError("invalid")
    delegation = db.session.get(Delegation, payload.get("d"))
    if (
        delegation is None
        or delegation.erased_at is not None
        or delegation.manage_secret != payload.get("s")
    ):
        raise TokenError("invalid")
    return delegation


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


def lead_url(delegation: Delegation) -> str:
    return external_url("delegations.lead", token=lead_token(delegation))


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
