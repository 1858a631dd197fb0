"""Delegation logic: start one, join it, the lead's roster, closing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coalition import signals
from coalition.auth.models import User
from coalition.core import same_work
from coalition.delegations.models import Delegation, TravelMode
from coalition.events.models import Occurrence
from coalition.extensions import db
from coalition.languages import message_locale
from coalition.mail.operations import queue_email
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.rsvps.operations import (  # noqa: F401  (the delegation rules live there)
    DelegationError,
    check_can_join,
    members_headcount,
)
from coalition.sms.notices import text_lead
from coalition.tokens import TokenError, make_token, read_token
from coalition.urls import external_url

LEAD_PURPOSE = "delegation-lead"


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
