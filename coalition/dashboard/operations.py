"""Counts in SQL, walk-ins, check-in, messages to attendees."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coalition.core.paging import Numbered
from coalition.crypto import phone_hash
from coalition.db import utcnow
from coalition.delegations.models import Delegation
from coalition.events.models import Occurrence
from coalition.extensions import db
from coalition.languages import message_locale
from coalition.mail.operations import queue_email
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.rsvps.operations import manage_url
from coalition.sms import numbers
from coalition.sms.operations import queue_sms
from coalition.validators import normalize_phone


@dataclass
class Counts:
    by_status: dict = field(default_factory=dict)
    headcount: int = 0
    by_language: dict = field(default_factory=dict)
    needs: dict = field(default_factory=dict)
    by_delegation: list = field(default_factory=list)
    by_town: list = field(default_factory=list)
    checked_in: int = 0
    #: Leads of approved delegations: each holds a seat without an RSVP of their own.
    leads: int = 0
    #: Delegations waiting for the hosts' approval: {"id", "name", "town"}.
    waiting_delegations: list = field(default_factory=list)
    #: Changes with any change to the date's RSVPs or delegations (a row added, edited, erased
    #: or deleted): the version of the lists kept rendered (`core/kept.py`).
    version: str = ""
    #: How many sessions and helper roles the date has, and reminders about it that could not
    #: be delivered: their panels read nothing more when there are none.
    sessions: int = 0
    roles: int = 0
    failed: int = 0


def counts(occurrence: Occurrence) -> Counts:
    """Everything the organizers count, in one statement of two GROUP BY queries (by status and
    language, by delegation) whatever the size of the date, and the version of what they count:
    each group's number of rows, highest id and sum of revisions (every UPDATE raises a
    row's)."""
    result = Counts()
    needs = {"interpretation": 0, "childcare": 0, "ride": 0}
    by_language: dict[str, int] = {}
    rows = db.session.execute(_counts_statement(), {"occurrence_id": occurrence.id}).all()
    result.sessions, result.roles, result.failed = rows[0][:3]
    groups = [tuple(row[3:_DELEGATION_START]) for row in rows if row.status is not None]
    delegations = [_Delegated(*row[_DELEGATION_START:]) for row in rows if row.id is not None]
    for status, language, number, people, *row in groups:
        people = int(people or 0)
        total = result.by_status.setdefault(status.value, {"rsvps": 0, "people": 0})
        total["rsvps"] += number
        total["people"] += people
        if status == RSVPStatus.confirmed:
            by_language[language] = by_language.get(language, 0) + people
            for key, value in zip(("interpretation", "childcare", "ride"), row, strict=False):
                needs[key] += int(value or 0)
            result.checked_in += int(row[3] or 0)
    result.needs = needs
    result.headcount = result.by_status.get("confirmed", {}).get("people", 0)
    result.by_language = by_language
    result.leads = sum(1 for d in delegations if d.is_approved)
    result.by_delegation = [
        {"name": d.name, "town": d.town, "expected": d.expected, "confirmed": int(d.confirmed)}
        for d in delegations
    ]
    # Members of the delegations from each town (confirmed people; the leads are not RSVPs).
    towns: dict = {}
    for d in delegations:
        towns[d.town] = towns.get(d.town, 0) + int(d.confirmed)
    result.by_town = sorted(towns.items(), key=lambda item: (item[0] is None, item[0] or ""))
    result.waiting_delegations = [
        {"id": d.id, "name": d.name, "town": d.town}
        for d in delegations
        if not d.is_approved and d.erased_at is None
    ]
    result.version = _digest((groups, [(d.id, d.revision) for d in delegations]))
    return result


class _Delegated(NamedTuple):
    """A delegation of the date, as `counts` reads it."""

    name: str
    town: str | None
    expected: int | None
    confirmed: int
    is_approved: bool
    id: int
    erased_at: datetime | None
    revision: int


@functools.cache
def _counts_statement() -> sa.Select:
    """`counts`' statement, built once per process (the date is the bound parameter
    `occurrence_id`): the panels' numbers, the RSVPs grouped by status and language, and the
    delegations with their confirmed people."""
    occurrence_id = sa.bindparam("occurrence_id", type_=sa.Integer)
    confirmed = RSVP.status == RSVPStatus.confirmed

    def confirmed_sum(condition, value=1):
        return sa.func.sum(sa.case((condition, value), else_=0))

    grouped = (
        sa.select(RSVP.status, RSVP.language, sa.func.count().label("number"),
                  sa.func.sum(RSVP.party_size).label("people"),
                  confirmed_sum(RSVP.needs_interpretation).label("interpretation"),
                  confirmed_sum(RSVP.needs_childcare).label("childcare"),
                  confirmed_sum(RSVP.needs_ride).label("ride"),
                  confirmed_sum(RSVP.checked_in_at.is_not(None), RSVP.party_size).label("came"),
                  sa.func.max(RSVP.id).label("last"), sa.func.sum(RSVP.revision).label("edits"))
        .where(RSVP.occurrence_id == occurrence_id)
        .group_by(RSVP.status, RSVP.language)
        .subquery("grouped")
    )  # fmt: skip
    delegated = (
        sa.select(Delegation.name, Delegation.town,
                  Delegation.expected_headcount.label("expected"),
                  sa.func.coalesce(sa.func.sum(RSVP.party_size), 0).label("confirmed"),
                  Delegation.is_approved, Delegation.id, Delegation.erased_at,
                  Delegation.revision)
        .outerjoin(RSVP, sa.and_(RSVP.delegation_id == Delegation.id, confirmed))
        .where(Delegation.occurrence_id == occurrence_id)
        .group_by(Delegation.id)
        .subquery("delegated")
    )  # fmt: skip
    # Both lists in one answer, their rows one after the other (a full join on false pairs no
    # row of one with a row of the other); the panels' numbers on every row, and one row even
    # for a date with neither RSVPs nor delegations.
    both = grouped.join(delegated, sa.false(), full=True)
    return (
        sa.select(*_panel_counts(occurrence_id), *(grouped.c[name] for name in _GROUP_COLUMNS),
                  *(delegated.c[name] for name in _Delegated._fields))
        .select_from(sa.select(sa.literal(1).label("one")).subquery())
        .outerjoin(both, sa.true())
        .order_by(grouped.c.status, grouped.c.language, delegated.c.town, delegated.c.name)
    )  # fmt: skip


_GROUP_COLUMNS = ("status", "language", "number", "people", "interpretation", "childcare",
                  "ride", "came", "last", "edits")  # fmt: skip
#: Where a row's delegation columns start: after the panels' three numbers and the groups'.
_DELEGATION_START = 3 + len(_GROUP_COLUMNS)


def _panel_counts(occurrence_id) -> tuple:
    """The date's sessions, helper roles and undelivered reminders, counted (three scalar
    subqueries, run once per statement)."""
    from coalition.mail.models import EmailStatus, OutgoingEmail
    from coalition.reminders.models import Reminder
    from coalition.sessions.models import EventSession
    from coalition.volunteers.models import VolunteerRole

    def count(statement):
        return statement.with_only_columns(sa.func.count()).scalar_subquery()

    return (
        count(sa.select(EventSession).where(EventSession.occurrence_id == occurrence_id)),
        count(sa.select(VolunteerRole).where(VolunteerRole.occurrence_id == occurrence_id)),
        count(
            sa.select(OutgoingEmail)
            .join(Reminder, Reminder.email_id == OutgoingEmail.id)
            .where(Reminder.occurrence_id == occurrence_id,
                   OutgoingEmail.status == EmailStatus.failed)
        ),
    )  # fmt: skip


def _digest(value) -> str:
    return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()


#: Attendees on one page of the organizers' list (a search finds anyone; the CSV holds all).
PAGE_SIZE = 50
#: The furthest page asked for (an OFFSET beyond PostgreSQL's bigint would be an error).
MAX_PAGE = 100_000


def _attendees_statement(occurrence: Occurrence, query: str):
    """The date's RSVPs, by status then name, with their delegation's name only: a delegation
    row's lead contacts are encrypted, and the list does not show them."""
    statement = (
        sa.select(RSVP)
        .where(RSVP.occurrence_id == occurrence.id, RSVP.erased_at.is_(None))
        .options(sa.orm.joinedload(RSVP.delegation).load_only(Delegation.name, raiseload=True))
        .order_by(RSVP.status, sa.func.lower(RSVP.name), RSVP.id)
    )
    if query:
        statement = statement.where(sa.func.lower(RSVP.name).contains(query.lower()))
    return statement


def attendees(occurrence: Occurrence, *, query: str = "") -> list[RSVP]:
    """Every attendee (the CSV export), in one query."""
    return list(db.session.scalars(_attendees_statement(occurrence, query)))


@dataclass
class AttendeePage(Numbered):
    """One page of the attendee list, with what its pager needs."""

    items: list
    page: int
    total: int
    per_page: int = PAGE_SIZE


def _with_total(statement, limit: int, offset: int = 0) -> tuple[list, int | None]:
    """The rows of `statement` in [offset, offset + limit) and how many it has in all, in one
    query (a window count on each row); the total is None when the range is empty."""
    rows = db.session.execute(
        statement.add_columns(sa.func.count().over()).limit(limit).offset(offset)
    ).all()
    return [row[0] for row in rows], (rows[0][-1] if rows else None)


#: What a row of the organizers' list shows, and nothing else: its columns only (no ORM
#: object, no hash, secret or timestamp nobody sees), the two contacts decrypted for the
#: rows of the page only, and the delegation's name from a join.
_LISTED = (RSVP.id, RSVP.name, RSVP.email, RSVP.phone, RSVP.party_size, RSVP.language,
           RSVP.needs_interpretation, RSVP.needs_childcare, RSVP.needs_ride, RSVP.note,
           RSVP.status, RSVP.is_walk_in, RSVP.checked_in_at,
           Delegation.name.label("delegation_name"))  # fmt: skip


def _page_rows(found, order: tuple, columns: tuple, limit: int, offset: int = 0, *,
               outer: tuple = ()) -> tuple[list, int | None]:  # fmt: skip
    """`columns` (of RSVP, and of the `outer` joins: (target, on) pairs) of the RSVPs `found`
    (a select of RSVP with its filters) in [offset, offset + limit) by `order`, and how many
    are found in all (None when the range is empty), in one query. The page is picked, sorted
    and counted on narrow rows (id and sort keys); only its own rows are then read whole, so
    the encrypted contacts of a thousand RSVPs never go through the sort (half the time)."""
    keys = [expression.label(f"key{n}") for n, expression in enumerate(order)]
    picked = (
        found.with_only_columns(RSVP.id.label("picked_id"), sa.func.count().over().label("total"),
                                *keys)
        .order_by(*order).limit(limit).offset(offset)
        .subquery()
    )  # fmt: skip
    statement = (
        sa.select(*columns, picked.c.total).select_from(picked)
        .join(RSVP, RSVP.id == picked.c.picked_id)
    )  # fmt: skip
    for target, on in outer:
        statement = statement.outerjoin(target, on)
    rows = db.session.execute(statement.order_by(*(picked.c[key.name] for key in keys))).all()
    return rows, (rows[0].total if rows else None)


def attendee_page(occurrence: Occurrence, *, query: str = "", page: int = 1) -> AttendeePage:
    """One page of the attendee list (rows of `_LISTED`) and the number of attendees found, in
    one query whatever the size of the date; only the rows shown have their contacts
    decrypted."""
    page = max(1, min(page, MAX_PAGE))
    found = sa.select(RSVP).where(RSVP.occurrence_id == occurrence.id, RSVP.erased_at.is_(None))
    if query:
        found = found.where(sa.func.lower(RSVP.name).contains(query.lower()))
    items, total = _page_rows(
        found, (RSVP.status, sa.func.lower(RSVP.name), RSVP.id), _LISTED, PAGE_SIZE,
        (page - 1) * PAGE_SIZE, outer=((Delegation, Delegation.id == RSVP.delegation_id),),
    )  # fmt: skip
    if total is None:  # nobody, or a page past the end (an old link): then the last page
        total = db.session.scalar(found.with_only_columns(sa.func.count(RSVP.id)))
        last = -(-total // PAGE_SIZE)
        if total and page > last:
            return attendee_page(occurrence, query=query, page=last)
    return AttendeePage(items, page, total)


#: What the check-in page and the approval cards read of an RSVP: no contact (none is shown).
_WITHOUT_CONTACT = (RSVP.id, RSVP.name, RSVP.party_size, RSVP.language, RSVP.status,
                    RSVP.checked_in_at)  # fmt: skip


def confirmed_for_check_in(occurrence: Occurrence, *, query: str = "") -> list[RSVP]:
    """The confirmed attendees, names and party sizes (the check-in list and sign-in sheet)."""
    statement = (
        sa.select(RSVP)
        .where(RSVP.occurrence_id == occurrence.id, RSVP.erased_at.is_(None),
               RSVP.status == RSVPStatus.confirmed)
        .options(sa.orm.load_only(*_WITHOUT_CONTACT, raiseload=True))
        .order_by(sa.func.lower(RSVP.name), RSVP.id)
    )  # fmt: skip
    if query:
        statement = statement.where(sa.func.lower(RSVP.name).contains(query.lower()))
    return list(db.session.scalars(statement))


def pending_requests(occurrence: Occurrence) -> tuple[list[RSVP], int]:
    """Requests waiting for the hosts' approval: the oldest PAGE_SIZE (name, party, language;
    decided in the order they came) and how many wait in all."""
    waiting = (RSVP.occurrence_id == occurrence.id, RSVP.erased_at.is_(None),
               RSVP.status == RSVPStatus.pending)  # fmt: skip
    oldest, total = _with_total(
        sa.select(RSVP).where(*waiting)
        .options(sa.orm.load_only(*_WITHOUT_CONTACT, raiseload=True))
        .order_by(RSVP.created_at, RSVP.id),
        PAGE_SIZE,
    )  # fmt: skip
    return oldest, total or 0


def failed_deliveries(occurrence: Occurrence) -> list[tuple[str, str, str | None]]:
    """Messages about this date that could not be delivered: (kind, recipient, error)."""
    from coalition.mail.models import EmailStatus, OutgoingEmail
    from coalition.reminders.models import Reminder

    rows = db.session.execute(
        sa.select(OutgoingEmail.kind, OutgoingEmail.recipient, OutgoingEmail.last_error)
        .join(Reminder, Reminder.email_id == OutgoingEmail.id)
        .where(Reminder.occurrence_id == occurrence.id, OutgoingEmail.status == EmailStatus.failed)
        .order_by(OutgoingEmail.id)
    ).all()
    return [tuple(row) for row in rows]


def toggle_check_in(rsvp: RSVP) -> None:
    rsvp.checked_in_at = None if rsvp.checked_in_at else utcnow()


def add_walk_in(occurrence: Occurrence, *, name: str, phone: str | None, party_size: int) -> RSVP:
    """Someone at the door: confirmed past capacity (they are here) and checked in.

    A phone that already has an RSVP for this date is that person: their RSVP is confirmed and
    checked in rather than duplicated.
    """
    now = utcnow()
    phone = normalize_phone(phone) if phone else None
    rsvp = None
    if phone:
        rsvp = db.session.scalar(
            sa.select(RSVP).where(
                RSVP.occurrence_id == occurrence.id, RSVP.phone_hash == phone_hash(phone)
            )
        )
    if rsvp is None:
        rsvp = RSVP(occurrence=occurrence, phone=phone, is_walk_in=True,
                    consents_to_reminders=False)  # fmt: skip
        db.session.add(rsvp)
    rsvp.name = name.strip()[:80]
    rsvp.party_size = max(1, min(party_size, 50))
    if rsvp.status != RSVPStatus.confirmed:
        rsvp.status = RSVPStatus.confirmed
        rsvp.confirmed_at = now
        rsvp.waitlisted_at = rsvp.cancelled_at = None
    rsvp.checked_in_at = now
    db.session.flush()
    return rsvp


def _audience_statement(occurrence: Occurrence, audience: str, delegation_id: int | None):
    statement = sa.select(RSVP).where(RSVP.occurrence_id == occurrence.id, RSVP.erased_at.is_(None))
    if audience == "confirmed":
        statement = statement.where(RSVP.status == RSVPStatus.confirmed)
    elif audience == "waitlisted":
        statement = statement.where(RSVP.status == RSVPStatus.waitlisted)
    else:
        statement = statement.where(RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted]))
    if delegation_id:
        statement = statement.where(RSVP.delegation_id == delegation_id)
    return statement


#: Why a message cannot reach someone (the dashboard's list; `sms.numbers` for the first three).
UNREACHABLE_REASONS = {
    numbers.OPTED_OUT: _l("replied STOP: texts to this number are off"),
    numbers.INVALID: _l("the number cannot get texts"),
    numbers.UNDELIVERABLE: _l("texts to this number were not delivered"),
    "texts_off": _l("gave only a phone, and this site sends no texts"),
    "no_contact": _l("gave no email or phone"),
}


@dataclass
class Audience:
    """The people a message goes to, each with how it reaches them."""

    email: list = field(default_factory=list)
    sms: list = field(default_factory=list)
    #: (rsvp, why, code): `why` a key of UNREACHABLE_REASONS, `code` the carrier's or provider's.
    none: list = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"email": len(self.email), "sms": len(self.sms), "none": len(self.none)}


def audience_of(occurrence: Occurrence, kind: str = "all", delegation_id: int | None = None):
    """Who a message reaches by email, who by text, and who not at all, and why (two queries:
    the RSVPs, then what is known about their numbers)."""
    rsvps = list(db.session.scalars(_audience_statement(occurrence, kind, delegation_id)))
    texts_on = numbers.sms_available()
    known = (
        numbers.problems([r.phone for r in rsvps if r.phone and not r.email]) if texts_on else {}
    )
    result = Audience()
    for rsvp in rsvps:
        if rsvp.email:
            result.email.append(rsvp)
        elif not rsvp.phone:
            result.none.append((rsvp, "no_contact", None))
        elif not texts_on:
            result.none.append((rsvp, "texts_off", None))
        elif rsvp.phone in known:
            result.none.append((rsvp, *known[rsvp.phone]))
        else:
            result.sms.append(rsvp)
    result.none.sort(key=lambda item: (item[0].name or "").lower())
    return result


#: The most people the "texts cannot reach" notice names (the CSV export lists everyone).
UNREACHABLE_SHOWN = 50


@dataclass
class Unreachable:
    #: (row, why, code) as in `Audience.none` (a row: id, name, phone), by name, at most
    #: UNREACHABLE_SHOWN of them.
    shown: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.shown)

    def __bool__(self) -> bool:
        return self.total > 0


def _phone_only(occurrence: Occurrence):
    return _audience_statement(occurrence, "all", None).where(
        RSVP.email.is_(None), RSVP.phone.is_not(None)
    )


def unreachable_reasons(occurrence: Occurrence) -> dict[int, tuple] | None:
    """Why texts do not reach each attendee (confirmed or waiting) who gave only a phone, by
    RSVP id: (why, code) for those whose number is known to fail (one query, by the numbers'
    keyed hashes, nothing decrypted); None when this site sends no texts (then every one of
    them: "texts_off")."""
    if not numbers.sms_available():
        return None
    keys = db.session.execute(
        _phone_only(occurrence).with_only_columns(RSVP.id, RSVP.phone_hash)
    ).all()
    known = numbers.problems_by_key(key for _id, key in keys)
    return {rsvp_id: known[key] for rsvp_id, key in keys if key in known}


def unreachable_by_text(occurrence: Occurrence, why: dict[int, tuple] | None) -> Unreachable:
    """Attendees (confirmed or waiting) who gave only a phone that texts do not reach: opted
    out, invalid, undelivered, or texts are off. For those who may see attendees only.

    The same people as `audience_of(occurrence).none` with a phone, by `unreachable_reasons`
    (read by the page on every look): only the numbers named on the page are decrypted."""
    phone_only = _phone_only(occurrence)
    listed = phone_only if why is None else phone_only.where(RSVP.id.in_(list(why)))
    if why == {}:  # texts reach every one of them
        return Unreachable()
    shown, total = _page_rows(listed, (sa.func.lower(RSVP.name), RSVP.id),
                              (RSVP.id, RSVP.name, RSVP.phone), UNREACHABLE_SHOWN)  # fmt: skip
    return Unreachable(
        shown=[(rsvp, *(why[rsvp.id] if why is not None else ("texts_off", None)))
               for rsvp in shown],
        total=total or 0,
    )  # fmt: skip


def reach(occurrence: Occurrence, audience_kind: str = "all", delegation_id: int | None = None):
    """How many of the audience a message reaches by email, by text, and how many not at all."""
    return audience_of(occurrence, audience_kind, delegation_id).counts()


def message_attendees(occurrence: Occurrence, *, audience: str, subjects: dict[str, str],
                      bodies: dict[str, str], delegation_id: int | None = None) -> int:  # fmt: skip
    """Queue a message to each recipient, in their RSVP language when the organizer wrote it:
    by email, or by text to people who gave only a phone (cut to three segments)."""
    people = audience_of(occurrence, audience, delegation_id)
    # Whoever has no version in their language gets the primary one, else English, else any.
    fallback = next(
        code for code in (occurrence.event.primary_language, "en", *subjects) if code in subjects
    )
    sent = 0
    for rsvp in people.email:
        language = rsvp.language if rsvp.language in subjects else fallback
        queue_email(
            about_rsvp=rsvp,
            to=rsvp.email, kind="organizer_message", subject=subjects[language],
            template="dashboard/message",
            locale=message_locale(language),
            body=bodies[language], rsvp=rsvp, event=occurrence.event,
            manage_url=manage_url(rsvp),
        )  # fmt: skip
        sent += 1
    for rsvp in people.sms:
        language = rsvp.language if rsvp.language in subjects else fallback
        queue_sms(
            to=rsvp.phone, kind="organizer_message", template="dashboard/message",
            locale=message_locale(language), org_id=occurrence.event.host_org_id,
            about_rsvp=rsvp, subject=subjects[language], body=bodies[language],
        )  # fmt: skip
        sent += 1
    return sent
