"""RSVP logic: who is confirmed, who waits, and erasing what we no longer need.

Capacity is enforced under a row lock on the occurrence (`SELECT ... FOR UPDATE` on PostgreSQL;
SQLite serializes writers itself), so confirmed headcount never exceeds the seats even when
hundreds of people submit at the same moment. Functions flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from coalition import erasure, signals
from coalition.auth.models import User
from coalition.core import same_work
from coalition.db import utcnow
from coalition.events.models import Event, EventStatus, Occurrence
from coalition.extensions import db
from coalition.languages import message_locale
from coalition.mail.operations import queue_email
from coalition.people.links import PrivateLink
from coalition.rsvps import identity
from coalition.rsvps.location import location_for_rsvp
from coalition.rsvps.models import RSVP, AuditEntry, RSVPStatus
from coalition.sms.notices import text_rsvp
from coalition.urls import external_url

#: Largest party one RSVP may bring (the person included).
MAX_PARTY = 10
MANAGE_PURPOSE = "rsvp-manage"
_MANAGE_LINK = PrivateLink(MANAGE_PURPOSE, RSVP, "r", "rsvps.manage")


class RSVPError(ValueError):
    """Refused; `message` is for the person, `field` the form field it belongs to."""

    def __init__(self, message, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


@dataclass
class RSVPInput:
    name: str
    email: str | None = None
    phone: str | None = None
    language: str = "en"
    party_size: int = 1
    needs_interpretation: bool = False
    needs_childcare: bool = False
    needs_ride: bool = False
    #: Needing a ride: the town to be picked up in.
    ride_from: str | None = None
    note: str | None = None
    consents_to_reminders: bool = True
    #: Joining a delegation: the lead may see this person's email and phone.
    shares_contact_with_lead: bool = False
    #: "Count my attendance across this series": the dates this person comes to are counted
    #: together, under a code that cannot be traced back to them (`coalition.reports`).
    counts_attendance: bool = False
    #: Sessions of the date chosen with the RSVP (`coalition.sessions`), already checked.
    sessions: list = field(default_factory=list)


@dataclass
class Outcome:
    #: The RSVP this submission created, or the signed-in person's own one it updated; None
    #: when the contact belongs to an RSVP that exists already (which was left as it was).
    rsvp: RSVP | None
    #: A new RSVP was written.
    created: bool
    #: What the page after the submission may show: only what was typed.
    receipt: identity.Receipt
    #: The submitter proved who they are (signed in) and may open the RSVP now.
    owned: bool = False
    #: For a known contact: the RSVP made as a stranger's would be, then rolled back (never
    #: persistent), so that callers doing more per new RSVP can do the same (`core.same_work`).
    stand_in: RSVP | None = None


class DelegationError(RSVPError):
    """Refused by a delegation's rules (not approved, closed, no seats left)."""


def _follow(rsvp: RSVP, now: datetime | None = None, *, ride_changed: bool = False) -> None:
    """Tell the packages that follow RSVPs (reminders, rides) that this one changed
    (`ride_changed`: the ride need or its town did)."""
    signals.rsvp_changed.send(rsvp, now=now, ride_changed=ride_changed)


# Rules -------------------------------------------------------------------------------------


def closed_reason(occurrence: Occurrence, now: datetime | None = None):
    """Why this occurrence takes no RSVP now, or None when it does."""
    now = now or utcnow()
    event = occurrence.event
    if event.status == EventStatus.cancelled or occurrence.is_cancelled:
        return _l("This event is cancelled.")
    if event.status != EventStatus.published:
        return _l("This event is not open for RSVPs.")
    if now >= occurrence.start_at:
        return _l("This event has already started; RSVPs are closed.")
    if event.rsvp_opens_at and now < event.rsvp_opens_at:
        return _l("RSVPs are not open yet.")
    if event.rsvp_closes_at and now >= event.rsvp_closes_at:
        return _l("RSVPs are closed.")
    return None


def _lock(occurrence: Occurrence) -> Occurrence:
    """Serialize capacity decisions for one occurrence."""
    return db.session.scalars(
        sa.select(Occurrence)
        .where(Occurrence.id == occurrence.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def lock_occurrence(occurrence: Occurrence) -> Occurrence:
    """Serialize capacity decisions for one occurrence (for other packages that take seats)."""
    return _lock(occurrence)


def confirmed_headcount(occurrence_id: int) -> int:
    """People holding a seat: confirmed parties, plus the lead of every approved delegation
    (a lead travels with it without an RSVP of their own)."""
    parties = (
        sa.select(sa.func.coalesce(sa.func.sum(RSVP.party_size), 0))
        .where(RSVP.occurrence_id == occurrence_id, RSVP.status == RSVPStatus.confirmed)
        .scalar_subquery()
    )
    # The leads are counted by `delegations`, which builds on RSVPs (`seats_held_elsewhere`).
    held = signals.answers(signals.seats_held_elsewhere, occurrence_id)
    return int(db.session.scalar(sa.select(sum(held, parties))))


def seats_left(occurrence: Occurrence) -> int | None:
    """Seats still free, or None when the occurrence has no capacity."""
    capacity = occurrence.effective_capacity
    if capacity is None:
        return None
    return max(capacity - confirmed_headcount(occurrence.id), 0)


def _validate(data: RSVPInput) -> None:
    identity.tidy_contact(data)
    if not data.name:
        raise RSVPError(_l("Tell us a name (a first name or nickname is fine)."), "name")
    if not data.email and not data.phone:
        if identity.sms_available():
            raise RSVPError(_l("Give an email or a phone number so we can reach you."), "email")
        raise RSVPError(
            _l("Give an email address: we send your private link there (we cannot send text "
               "messages yet)."),
            "email",
        )  # fmt: skip
    if not 1 <= data.party_size <= MAX_PARTY:
        raise RSVPError(_l("A party is 1 to %(n)d people.", n=MAX_PARTY), "party_size")


def _someone_waits(occurrence: Occurrence, rsvp: RSVP | None = None) -> bool:
    """Is anyone (else) on this date's waitlist?"""
    clauses = [RSVP.occurrence_id == occurrence.id, RSVP.status == RSVPStatus.waitlisted]
    if rsvp is not None and rsvp.id is not None:
        clauses.append(RSVP.id != rsvp.id)
    return bool(db.session.scalar(sa.select(sa.exists().where(*clauses))))


def seats_for_newcomers(occurrence: Occurrence) -> int | None:
    """Seats a new RSVP can have: none while anyone waits (README: "Waitlist fairness");
    None without a limit."""
    left = seats_left(occurrence)
    if left and _someone_waits(occurrence):
        return 0
    return left


def _place(occurrence: Occurrence, rsvp: RSVP, *, needed: int, now: datetime) -> None:
    """Confirm `rsvp` if `needed` more seats fit and nobody is waiting ahead of it, else
    waitlist it (or refuse when there is no waitlist). README: "Waitlist fairness"."""
    left = seats_left(occurrence)
    if left is None or (needed <= left and not _someone_waits(occurrence, rsvp)):
        if rsvp.status != RSVPStatus.confirmed:
            rsvp.status = RSVPStatus.confirmed
            rsvp.confirmed_at = now
            rsvp.waitlisted_at = None
        return
    if not occurrence.event.has_waitlist:
        raise RSVPError(_l("This event is full."), "party_size", status=409)
    if rsvp.status != RSVPStatus.waitlisted:
        rsvp.status = RSVPStatus.waitlisted
        rsvp.waitlisted_at = now


def _expected(occurrence: Occurrence, party_size: int, user: User | None) -> str:
    """The status a new RSVP of `party_size` gets on this date now (what the page after the
    form may say: the date's state, the same for a known contact and a stranger)."""
    if occurrence.event.requires_approval and not occurrence.event.can_manage(user):
        return RSVPStatus.pending.value
    left = seats_left(occurrence)
    if left is not None and (party_size > left or _someone_waits(occurrence)):
        return RSVPStatus.waitlisted.value
    return RSVPStatus.confirmed.value


def _check_room(occurrence: Occurrence, party_size: int) -> None:
    """Refuse a party that can neither be seated nor wait (the same answer for everyone)."""
    left = seats_left(occurrence)
    if left is not None and party_size > left and not occurrence.event.has_waitlist:
        raise RSVPError(_l("This event is full."), "party_size", status=409)


def members_headcount(
    delegation, *, exclude: RSVP | None = None, confirmed_only: bool = False
) -> int:
    """People in a delegation's parties (waiting ones too, unless `confirmed_only`), the lead
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


def check_can_join(delegation, party_size: int, *, replacing: RSVP | None) -> None:
    """Refuse a join past a delegation's seat limit, into a closed one or one not approved yet
    (here, not in `delegations`, which builds on RSVPs: the dependency goes one way)."""
    if not delegation.is_approved:
        raise DelegationError(_l("This delegation is waiting for the hosts' approval."), status=409)
    if delegation.is_closed:
        raise DelegationError(_l("This delegation is closed."), status=409)
    if delegation.seat_limit is not None:
        taken = members_headcount(delegation, exclude=replacing) + 1  # the lead rides too
        if taken + party_size > delegation.seat_limit:
            left = max(delegation.seat_limit - taken, 0)
            raise DelegationError(
                lazy_ngettext(
                    "The delegation has %(num)d seat left.",
                    "The delegation has %(num)d seats left.",
                    left,
                ),
                "party_size",
                status=409,
            )


def submit(
    occurrence: Occurrence,
    data: RSVPInput,
    *,
    user: User | None = None,
    delegation=None,
    now: datetime | None = None,
    notify: bool = True,
) -> Outcome:
    """Take an RSVP. Possession, not knowledge (`coalition.rsvps.identity`): a contact that
    already has an RSVP for this date changes nothing here and its owner is sent their own link;
    the outcome looks the same either way. A signed-in person's own RSVP is updated."""
    now = now or utcnow()
    _validate(data)
    if user is not None:
        # A signed-in member's dates of a series are counted together (the form says so).
        data = replace(data, counts_attendance=True)
    reason = closed_reason(occurrence, now)
    if reason is not None:
        raise RSVPError(reason, status=409)
    for reason in signals.answers(signals.single_date_refused, occurrence.event):
        raise RSVPError(reason, status=409)
    occurrence = _lock(occurrence)
    receipt = identity.Receipt(
        name=data.name, party_size=data.party_size, language=data.language,
        sent_to=identity.masked_destination(data.email, data.phone),
        needs_interpretation=data.needs_interpretation, needs_childcare=data.needs_childcare,
        needs_ride=data.needs_ride,
    )  # fmt: skip
    receipt.expected = _expected(occurrence, data.party_size, user)
    mine = identity.own_rsvp(occurrence.id, user)
    if mine is not None:
        _update_own(occurrence, mine, data, user, delegation=delegation, now=now, notify=notify)
        return Outcome(rsvp=mine, created=False, receipt=receipt, owned=True)
    if delegation is not None:
        check_can_join(delegation, data.party_size, replacing=None)
    _check_room(occurrence, data.party_size)
    existing = identity.rsvp_with_contact(occurrence.id, data.email, data.phone)
    # The same work, known contact or not (`coalition.core.same_work`): a known one's RSVP is
    # made, placed and confirmed as a stranger's would be, then rolled back; a stranger's owner
    # notice is written as a known one's would be, then rolled back.
    with same_work.tried(keep=existing is None):
        rsvp = _create(occurrence, data, user, delegation=delegation, now=now, notify=notify,
                       stand_in=existing is not None)  # fmt: skip
    if notify:
        send_already_signed_up(existing or rsvp, keep=existing is not None)
    if existing is not None:
        return Outcome(rsvp=None, created=False, receipt=receipt, owned=False, stand_in=rsvp)
    return Outcome(rsvp=rsvp, created=True, receipt=receipt, owned=False)


def _create(occurrence: Occurrence, data: RSVPInput, user: User | None, *, delegation,
            now: datetime, notify: bool, stand_in: bool) -> RSVP:  # fmt: skip
    """A new RSVP, placed, followed and confirmed (`stand_in`: for a known contact, under
    stand-in hashes, to be rolled back)."""
    rsvp = RSVP(occurrence=occurrence, status=RSVPStatus.cancelled)
    db.session.add(rsvp)
    # Not tied to the account yet: an account does not prove it owns the contact typed (nor its
    # own email address). The person ties it from the emailed link (`link_to_account`).
    _apply(rsvp, data, None)
    if stand_in:
        same_work.stand_in(rsvp, "email", "phone")
    if delegation is not None:
        rsvp.delegation = delegation
    if occurrence.event.requires_approval and not occurrence.event.can_manage(user):
        rsvp.status = RSVPStatus.pending
    else:
        _place(occurrence, rsvp, needed=data.party_size, now=now)
    db.session.flush()
    _follow(rsvp, now)
    _choose_sessions(rsvp, data, now)
    if notify:
        send_confirmation(rsvp)
    return rsvp


def _choose_sessions(rsvp: RSVP, data: RSVPInput, now: datetime) -> None:
    if data.sessions and rsvp.is_active:
        signals.sessions_chosen.send(rsvp, sessions=data.sessions, now=now)


def _update_own(occurrence: Occurrence, rsvp: RSVP, data: RSVPInput, user: User, *,
                delegation, now: datetime, notify: bool) -> None:  # fmt: skip
    """A signed-in person RSVPs again for a date they already answered: update their RSVP."""
    if delegation is not None:
        check_can_join(delegation, data.party_size, replacing=rsvp)
    previous_size = rsvp.party_size if rsvp.status == RSVPStatus.confirmed else 0
    was_status, was_size = rsvp.status, rsvp.party_size
    ride_before = (rsvp.needs_ride, rsvp.ride_from)
    _apply(rsvp, data, user)
    if delegation is not None:
        rsvp.delegation = delegation
    if was_status == RSVPStatus.confirmed:
        grow = data.party_size - previous_size
        if grow > 0 and (left := seats_left(occurrence)) is not None and grow > left:
            raise RSVPError(
                lazy_ngettext(
                    "Only %(num)d more seat is free.", "Only %(num)d more seats are free.", left
                ),
                "party_size",
                status=409,
            )
    elif was_status in (RSVPStatus.cancelled, RSVPStatus.declined):
        rsvp.cancelled_at = None
        if occurrence.event.requires_approval and was_status == RSVPStatus.cancelled:
            rsvp.status = RSVPStatus.pending
        elif was_status == RSVPStatus.cancelled:
            _place(occurrence, rsvp, needed=data.party_size, now=now)
    db.session.flush()
    if was_status == RSVPStatus.confirmed and data.party_size < previous_size:
        promote_waitlist(occurrence, now=now)
    _follow(rsvp, now, ride_changed=ride_before != (rsvp.needs_ride, rsvp.ride_from))
    _choose_sessions(rsvp, data, now)
    if rsvp.is_active and was_size != rsvp.party_size:  # the sessions kept, once chosen
        signals.party_changed.send(rsvp, previous=was_size, now=now)
    if notify and was_status == RSVPStatus.cancelled:
        send_confirmation(rsvp)


def is_guest(rsvp: RSVP) -> bool:
    """Someone a delegation's lead added who has no phone or email (not an erased RSVP)."""
    return (
        rsvp.delegation_id is not None
        and rsvp.erased_at is None
        and not rsvp.email
        and not rsvp.phone
        and not rsvp.is_walk_in
    )


def guest_clause():
    """`is_guest` in SQL (a list of members tells its guests without decrypting contacts)."""
    return sa.and_(
        RSVP.delegation_id.is_not(None), RSVP.erased_at.is_(None), RSVP.email.is_(None),
        RSVP.phone.is_(None), RSVP.is_walk_in.is_(False),
    )  # fmt: skip


def add_guest(delegation, name: str, *, now: datetime | None = None) -> RSVP:
    """A delegation's lead adds someone without a phone or email (an elder, a child): one seat
    in the delegation and at the event, decided like any join (under the date's lock, seat
    limit, waitlist, approval); no contact, no reminders, no link (nobody to send one to)."""
    now = now or utcnow()
    name = (name or "").strip()[:80]
    if not name:
        raise RSVPError(_l("Tell us a name (a first name or nickname is fine)."), "guest_name")
    occurrence = delegation.occurrence
    reason = closed_reason(occurrence, now)
    if reason is not None:
        raise RSVPError(reason, status=409)
    occurrence = _lock(occurrence)
    check_can_join(delegation, 1, replacing=None)
    _check_room(occurrence, 1)
    rsvp = RSVP(occurrence=occurrence, status=RSVPStatus.cancelled, name=name, party_size=1,
                language=delegation.lead_language, consents_to_reminders=False,
                delegation=delegation)  # fmt: skip
    db.session.add(rsvp)
    if occurrence.event.requires_approval:
        rsvp.status = RSVPStatus.pending
    else:
        _place(occurrence, rsvp, needed=1, now=now)
    db.session.flush()
    _follow(rsvp, now)
    return rsvp


def link_to_account(rsvp: RSVP, user: User) -> None:
    """The holder of the private link, signed in, keeps the RSVP in their account: from then on
    their account reaches it (event page, "my events" feed, one-click changes)."""
    rsvp.user = user


def rejoin(rsvp: RSVP, now: datetime | None = None) -> None:
    """The holder of a cancelled RSVP's link signs up again (a seat if it fits, else the
    waitlist; a request again where the hosts approve attendees)."""
    now = now or utcnow()
    if rsvp.status != RSVPStatus.cancelled:
        return
    reason = closed_reason(rsvp.occurrence, now)
    if reason is not None:
        raise RSVPError(reason, status=409)
    occurrence = _lock(rsvp.occurrence)
    if rsvp.delegation is not None:
        check_can_join(rsvp.delegation, rsvp.party_size, replacing=rsvp)
    rsvp.cancelled_at = None
    if occurrence.event.requires_approval:
        rsvp.status = RSVPStatus.pending
    else:
        _place(occurrence, rsvp, needed=rsvp.party_size, now=now)
    db.session.flush()
    _follow(rsvp, now)
    send_confirmation(rsvp)


def approve(rsvp: RSVP, now: datetime | None = None) -> None:
    """A host approves a request: a seat if it fits, else the waitlist; the person is told."""
    now = now or utcnow()
    if rsvp.status not in (RSVPStatus.pending, RSVPStatus.declined):
        return
    occurrence = _lock(rsvp.occurrence)
    rsvp.status = RSVPStatus.cancelled  # so that _place sets the new status and its time
    _place(occurrence, rsvp, needed=rsvp.party_size, now=now)
    db.session.flush()
    _follow(rsvp, now)
    send_confirmation(rsvp)


def decline(rsvp: RSVP, message: str | None = None, now: datetime | None = None) -> None:
    """A host declines a request (or withdraws an approval); the person is told, with the
    host's message when there is one. Seats it held go to the waitlist."""
    now = now or utcnow()
    if rsvp.status == RSVPStatus.declined:
        return
    occurrence = _lock(rsvp.occurrence)
    held_seat = rsvp.status == RSVPStatus.confirmed
    rsvp.status = RSVPStatus.declined
    rsvp.cancelled_at = now
    db.session.flush()
    _follow(rsvp, now)
    if held_seat:
        promote_waitlist(occurrence, now=now)
    title = rsvp.occurrence.event.translation(rsvp.language).title
    mail_rsvp(rsvp, kind="rsvp_declined", template="rsvps/declined",
              subject=_l("About your request: %(title)s", title=title),
              host_message=(message or "").strip() or None)  # fmt: skip


def _apply(rsvp: RSVP, data: RSVPInput, user: User | None) -> None:
    rsvp.name = data.name[:80]
    # A second RSVP that gives only one way to reach the person keeps the other one.
    rsvp.email = data.email or rsvp.email
    rsvp.phone = data.phone or rsvp.phone
    rsvp.language = data.language
    rsvp.party_size = data.party_size
    rsvp.needs_interpretation = data.needs_interpretation
    rsvp.needs_childcare = data.needs_childcare
    rsvp.needs_ride = data.needs_ride
    rsvp.ride_from = _ride_from(data.needs_ride, data.ride_from, rsvp.ride_from)
    rsvp.note = (data.note or "").strip() or None
    rsvp.consents_to_reminders = data.consents_to_reminders
    rsvp.shares_contact_with_lead = data.shares_contact_with_lead
    rsvp.counts_attendance = data.counts_attendance
    if user is not None:
        rsvp.user = user


def _ride_from(needs_ride: bool, typed: str | None, before: str | None) -> str | None:
    """The pickup town kept while a ride is needed (a new one replaces it), dropped after."""
    if not needs_ride:
        return None
    return (typed or "").strip()[:120] or before


def change(rsvp: RSVP, *, party_size: int, needs_interpretation: bool, needs_childcare: bool,
           needs_ride: bool, note: str | None, ride_from: str | None = None,
           now: datetime | None = None, notify: bool = False) -> None:  # fmt: skip
    """The person changes their party or needs from the manage link (`notify`: and is told
    by email, so that a change nobody made is noticed). A ride no longer needed, or from
    another town, is followed by the packages that seat riders (`rsvp_changed`)."""
    now = now or utcnow()
    if not rsvp.is_active:
        raise RSVPError(_l("This RSVP is cancelled."), status=409)
    if not 1 <= party_size <= MAX_PARTY:
        raise RSVPError(_l("A party is 1 to %(n)d people.", n=MAX_PARTY), "party_size")
    occurrence = _lock(rsvp.occurrence)
    if rsvp.delegation is not None:
        check_can_join(rsvp.delegation, party_size, replacing=rsvp)
    grow = party_size - rsvp.party_size
    if rsvp.status == RSVPStatus.confirmed and grow > 0:
        left = seats_left(occurrence)
        if left is not None and grow > left:
            raise RSVPError(
                lazy_ngettext(
                    "Only %(num)d more seat is free.", "Only %(num)d more seats are free.", left
                ),
                "party_size",
                status=409,
            )
    rsvp.party_size = party_size
    rsvp.needs_interpretation = needs_interpretation
    rsvp.needs_childcare = needs_childcare
    ride_before = (rsvp.needs_ride, rsvp.ride_from)
    rsvp.needs_ride = needs_ride
    rsvp.ride_from = _ride_from(needs_ride, ride_from, rsvp.ride_from)
    rsvp.note = (note or "").strip() or None
    db.session.flush()
    if ride_before != (rsvp.needs_ride, rsvp.ride_from):
        _follow(rsvp, now, ride_changed=True)
    if grow:
        signals.party_changed.send(rsvp, previous=party_size - grow, now=now)
    if grow < 0 or rsvp.status == RSVPStatus.waitlisted:
        promote_waitlist(occurrence, now=now)
    if notify:
        mail_rsvp(rsvp, kind="rsvp_changed", template="rsvps/changed",
                  subject=_l("Your RSVP is changed: %(title)s",
                             title=occurrence.event.translation(rsvp.language).title))  # fmt: skip


def cancel(rsvp: RSVP, now: datetime | None = None, *, notify: bool = False) -> None:
    """Cancel (`notify`: and confirm it by email, with the link to sign up again)."""
    now = now or utcnow()
    if not rsvp.is_active:
        return  # cancelling twice is harmless
    occurrence = _lock(rsvp.occurrence)
    was_confirmed = rsvp.status == RSVPStatus.confirmed
    rsvp.status = RSVPStatus.cancelled
    rsvp.cancelled_at = now
    _follow(rsvp, now)
    db.session.flush()
    if was_confirmed:
        promote_waitlist(occurrence, now=now)
    if notify:
        mail_rsvp(rsvp, kind="rsvp_cancelled", template="rsvps/cancelled",
                  subject=_l("Your RSVP is cancelled: %(title)s",
                             title=occurrence.event.translation(rsvp.language).title))  # fmt: skip


def erase(rsvp: RSVP, now: datetime | None = None) -> None:
    """Remove the person's data at once (their own request); the seat is freed."""
    now = now or utcnow()
    cancel(rsvp, now)
    erasure.erase(rsvp, now)


def promote_waitlist(occurrence: Occurrence, now: datetime | None = None) -> list[RSVP]:
    """Confirm waitlisted parties in arrival order while seats allow (README: "Waitlist
    fairness").

    A party is promoted only when the whole party fits; a smaller party behind it may take seats
    the bigger one cannot fill. Seats still free after that are offered to the first party that
    did not fit: it may take them for part of the party (a smaller party size) or keep waiting.
    The caller must hold the occurrence lock (every caller here does).
    """
    now = now or utcnow()
    if closed_reason(occurrence, now) is not None:
        return []  # no promotions once RSVPs are closed; close_waitlists tells the waiting
    left = seats_left(occurrence)
    waiting = db.session.scalars(
        sa.select(RSVP)
        .where(RSVP.occurrence_id == occurrence.id, RSVP.status == RSVPStatus.waitlisted)
        # RSVPs that wait as a whole elsewhere (a whole-series registration) are left out.
        .where(*(sa.not_(c) for c in signals.answers(signals.waiting_elsewhere, occurrence)))
        .order_by(RSVP.waitlisted_at, RSVP.id)
    ).all()
    promoted = []
    passed_over: list[RSVP] = []
    for rsvp in waiting:
        if left is not None and rsvp.party_size > left:
            passed_over.append(rsvp)
            continue
        rsvp.status = RSVPStatus.confirmed
        rsvp.confirmed_at = now
        rsvp.waitlisted_at = None
        promoted.append(rsvp)
        if left is not None:
            left -= rsvp.party_size
            if left <= 0:
                break
    for rsvp in promoted:
        _follow(rsvp, now)
    db.session.flush()
    for rsvp in promoted:
        send_promotion(rsvp)
    if passed_over and left:
        send_split_offer(passed_over[0], left)
    return promoted


def capacity_changed(occurrence: Occurrence) -> list[RSVP]:
    """After an organizer raised the seats (or removed the limit): promote who now fits."""
    return promote_waitlist(_lock(occurrence))


# Links and mail ----------------------------------------------------------------------------


def set_reminder_consent(rsvp: RSVP, consents: bool) -> None:
    """The person turns reminders on or off (the manage page, or List-Unsubscribe)."""
    rsvp.consents_to_reminders = consents
    _follow(rsvp)


#: The private manage link: its token and URL, and the RSVP behind a token (TokenError when
#: tampered with or erased).
manage_token = _MANAGE_LINK.token
manage_url = _MANAGE_LINK.url
rsvp_for_token = _MANAGE_LINK.row


def _calendar_attachment(rsvp: RSVP) -> list[dict]:
    """The date as an .ics file, which Gmail and Outlook offer to add to the calendar."""
    from coalition.events.ics import ics_attachment

    return [ics_attachment(rsvp.occurrence, rsvp.language, rsvp=rsvp)]


def mail_rsvp(rsvp: RSVP, *, kind: str, subject, template: str, attach: bool = False,
              attachments: list[dict] | None = None, **context):  # fmt: skip
    """A notice to one RSVP by email, with its links (`attach`: the date as this RSVP's .ics,
    else `attachments`); a phone-only RSVP gets it as a text."""
    if not rsvp.email:
        # Phone-only RSVPs get the same notice as a short text with a short private link.
        if rsvp.phone:
            text_rsvp(rsvp, kind=kind, template=template, **context)
        return
    occurrence = rsvp.occurrence
    queue_email(
        to=rsvp.email,
        kind=kind,
        subject=subject,
        template=template,
        attachments=_calendar_attachment(rsvp) if attach else attachments,
        locale=message_locale(rsvp.language),
        about_rsvp=rsvp,
        rsvp=rsvp,
        occurrence=occurrence,
        event=occurrence.event,
        location=location_for_rsvp(rsvp),
        manage_url=manage_url(rsvp),
        event_url=external_url(
            "events.occurrence", event_id=occurrence.event_id, occurrence_id=occurrence.id
        ),
        ics_url=external_url(
            "feeds.occurrence", event_id=occurrence.event_id, occurrence_id=occurrence.id
        ),
        **context,
    )


def send_confirmation(rsvp: RSVP) -> None:
    title = rsvp.occurrence.event.translation(rsvp.language).title
    if rsvp.status == RSVPStatus.pending:
        subject = _l("We got your request: %(title)s", title=title)
    elif rsvp.status == RSVPStatus.waitlisted:
        subject = _l("You are on the waitlist: %(title)s", title=title)
    else:
        subject = _l("You are signed up: %(title)s", title=title)
    mail_rsvp(rsvp, kind="rsvp_confirmation", subject=subject, template="rsvps/confirmation",
              attach=rsvp.status == RSVPStatus.confirmed)  # fmt: skip


def send_already_signed_up(rsvp: RSVP, *, keep: bool = True) -> None:
    """Someone submitted this RSVP's contact again: tell its owner, with their own link (at most
    once an hour, so the form cannot be used to flood a person). The notice is written either
    way and kept only when it may go (`keep=False`: a new RSVP's submission, doing the same work
    as a known one's: `coalition.core.same_work`)."""
    allowed = identity.may_notify_again(rsvp, "rsvp_already")
    with same_work.tried(keep=keep and allowed):
        title = rsvp.occurrence.event.translation(rsvp.language).title
        mail_rsvp(rsvp, kind="rsvp_already", template="rsvps/already",
                  subject=_l("You are already signed up: %(title)s", title=title))  # fmt: skip


def send_promotion(rsvp: RSVP) -> None:
    title = rsvp.occurrence.event.translation(rsvp.language).title
    mail_rsvp(
        rsvp,
        kind="rsvp_promoted",
        subject=_l("A seat opened up for you: %(title)s", title=title),
        template="rsvps/promoted",
        attach=True,
    )


def send_split_offer(rsvp: RSVP, seats: int) -> None:
    """Tell the first waiting party that does not fit how many seats are free now."""
    title = rsvp.occurrence.event.translation(rsvp.language).title
    mail_rsvp(
        rsvp,
        kind="waitlist_offer",
        subject=lazy_ngettext(
            "%(num)d seat is free: %(title)s",
            "%(num)d seats are free: %(title)s",
            seats,
            title=title,
        ),
        template="rsvps/waitlist_offer",
        seats=seats,
    )


def close_waitlists(now: datetime | None = None) -> int:
    """RSVPs closed (closing time reached, or the event started): whoever still waits will not
    get a seat; cancel their place on the list and tell them. Safe to run again."""
    now = now or utcnow()
    closed_events = sa.select(Event.id).where(
        sa.or_(Event.rsvp_closes_at <= now, Event.status == EventStatus.cancelled)
    )
    waiting = db.session.scalars(
        sa.select(RSVP)
        .join(RSVP.occurrence)
        .where(
            RSVP.status == RSVPStatus.waitlisted,
            sa.or_(
                Occurrence.start_at <= now,
                Occurrence.event_id.in_(closed_events),
                Occurrence.is_cancelled.is_(True),
            ),
        )
    ).all()
    for rsvp in waiting:
        rsvp.status = RSVPStatus.cancelled
        rsvp.cancelled_at = now
        _follow(rsvp, now)
        if (
            rsvp.occurrence.event.status != EventStatus.cancelled
            and not rsvp.occurrence.is_cancelled
        ):
            title = rsvp.occurrence.event.translation(rsvp.language).title
            mail_rsvp(rsvp, kind="waitlist_closed",
                      subject=_l("No seat opened up: %(title)s", title=title),
                      template="rsvps/waitlist_closed")  # fmt: skip
    db.session.flush()
    return len(waiting)


# Retention and audit -----------------------------------------------------------------------


def record_access(user: User | None, org_id: int, action: str, *, occurrence_id=None,
                  delegation_id=None, detail: str | None = None) -> None:  # fmt: skip
    # A plain INSERT (no object for the session to track and flush), of a statement made once,
    # its values bound: every look writes one.
    db.session.execute(
        _RECORD_ACCESS,
        {
            "user_id": user.id if user is not None else None,
            "org_id": org_id,
            "occurrence_id": occurrence_id,
            "delegation_id": delegation_id,
            "action": action,
            "detail": detail,
        },
    )


_RECORD_ACCESS = sa.insert(AuditEntry.__table__)
