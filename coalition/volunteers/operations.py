"""Volunteer roles: what a date asks for, who signs up, rides for delegations, what is missing.

Sign-ups follow the RSVP rules (`coalition.rsvps.identity`: possession, not knowledge): a
contact that already helps in a role changes nothing and its owner is sent their own link; the
answer is the same either way. A role takes at most `needed` helpers, decided under a row lock
on the role; a driver's seats cap the riders assigned to them, decided under a row lock on the
driver. Functions flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from babel import Locale
from flask_babel import get_locale, ngettext
from flask_babel import lazy_gettext as _l

from coalition import erasure, signals
from coalition.core import same_work
from coalition.db import utcnow
from coalition.delegations.models import Delegation
from coalition.delegations.operations import members_headcount
from coalition.events.formatting import format_moment
from coalition.events.models import Event, Occurrence
from coalition.events.privacy import location_for
from coalition.extensions import db
from coalition.languages import CONTENT_LANGUAGES, message_locale
from coalition.mail.operations import queue_email
from coalition.people.links import PrivateLink
from coalition.rsvps import identity
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.rsvps.operations import RSVPError, closed_reason
from coalition.rsvps.operations import manage_url as rsvp_manage_url
from coalition.sms.notices import text_rsvp
from coalition.sms.numbers import can_text
from coalition.sms.operations import queue_sms
from coalition.urls import external_url
from coalition.volunteers.models import (
    Helper,
    HelperStatus,
    RideAssignment,
    RoleKind,
    VolunteerRole,
)

MANAGE_PURPOSE = "helper-manage"
_MANAGE_LINK = PrivateLink(MANAGE_PURPOSE, Helper, "h", "volunteers.manage")
#: Most helpers one role may ask for, and most seats one driver may offer.
MAX_NEEDED = 500
MAX_SEATS = 60

ROLE_LABELS = {
    RoleKind.driver: _l("Driver"),
    RoleKind.childcare: _l("Childcare"),
    RoleKind.interpreter: _l("Interpreter"),
    RoleKind.marshal: _l("Marshal"),
    RoleKind.food: _l("Food"),
    RoleKind.setup: _l("Set-up"),
    RoleKind.custom: _l("Other (give it a name)"),
}


class VolunteerError(RSVPError):
    """Refused; `message` is for the person, `field` the form field it belongs to."""


class AcrossTowns(VolunteerError):
    """The car leaves from another town than its riders': asked again, with `across_towns`."""

    def __init__(self, message, *, riders_town: str, driver_town: str):
        super().__init__(message, "riders", status=409)
        self.riders_town = riders_town
        self.driver_town = driver_town


# Roles ---------------------------------------------------------------------------------------


@dataclass
class RoleInput:
    kind: RoleKind
    needed: int = 1
    custom_name: str | None = None
    language_from: str | None = None
    language_to: str | None = None
    town: str | None = None
    #: The shift in the event's zone: a day and times (None: the date's own times).
    day: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    note: str | None = None
    #: Drivers: they may seat riders themselves from their private page.
    riders_by_drivers: bool = False


def _shift(occurrence: Occurrence, data: RoleInput) -> tuple[datetime | None, datetime | None]:
    """The shift in UTC, from the day and times typed in the event's zone."""
    if data.start_time is None and data.end_time is None:
        return None, None
    zone = occurrence.event.zone
    day = data.day or occurrence.local_start.date()
    start_local = datetime.combine(day, data.start_time or occurrence.local_start.time(), zone)
    end_local = datetime.combine(day, data.end_time or occurrence.local_end.time(), zone)
    if end_local <= start_local:
        end_local += timedelta(days=1)  # a night shift ends the next day
    return start_local.astimezone(UTC), end_local.astimezone(UTC)


def _apply_role(role: VolunteerRole, occurrence: Occurrence, data: RoleInput) -> None:
    if not 1 <= data.needed <= MAX_NEEDED:
        raise VolunteerError(_l("Ask for 1 to %(n)d helpers.", n=MAX_NEEDED), "needed")
    name = (data.custom_name or "").strip() or None
    if data.kind == RoleKind.custom and not name:
        raise VolunteerError(_l("Give the role a name."), "custom_name")
    pair = (data.language_from or None, data.language_to or None)
    if data.kind == RoleKind.interpreter:
        if not all(pair) or pair[0] == pair[1] or not set(pair) <= set(CONTENT_LANGUAGES):
            raise VolunteerError(_l("Choose the two languages to interpret."), "language_to")
    else:
        pair = (None, None)
    role.kind = data.kind
    role.needed = data.needed
    role.custom_name = name if data.kind == RoleKind.custom else None
    role.language_from, role.language_to = pair
    role.town = ((data.town or "").strip() or None) if data.kind == RoleKind.driver else None
    role.starts_at, role.ends_at = _shift(occurrence, data)
    role.note = (data.note or "").strip() or None
    role.riders_by_drivers = data.kind == RoleKind.driver and data.riders_by_drivers


def add_role(occurrence: Occurrence, data: RoleInput) -> VolunteerRole:
    role = VolunteerRole(occurrence=occurrence)
    _apply_role(role, occurrence, data)
    db.session.add(role)
    db.session.flush()
    return role


def change_role(role: VolunteerRole, data: RoleInput, now: datetime | None = None) -> None:
    """Change a role; helpers' reminders follow a moved shift."""
    _apply_role(role, role.occurrence, data)
    db.session.flush()
    for helper in role.helpers:
        signals.helper_changed.send(helper, now=now)


def follow_moved_dates(event, moved: dict[int, datetime], now: datetime | None = None) -> None:
    """Dates of `event` moved (`moved`: occurrence id → its start before): each role with a
    shift of its own moves by the date's move on the event's wall clock (a shift an hour before
    a 12:00 date stays an hour before it, across a daylight-saving change), and its helpers'
    reminders follow."""
    zone = event.zone
    roles = db.session.scalars(
        sa.select(VolunteerRole)
        .where(VolunteerRole.occurrence_id.in_(list(moved)), VolunteerRole.starts_at.is_not(None))
        .order_by(VolunteerRole.id)
    ).all()
    for role in roles:
        before = moved[role.occurrence_id].astimezone(zone).replace(tzinfo=None)
        delta = role.occurrence.start_at.astimezone(zone).replace(tzinfo=None) - before
        role.starts_at = _on_wall_clock(role.starts_at, delta, zone)
        role.ends_at = _on_wall_clock(role.ends_at, delta, zone)
    db.session.flush()
    for role in roles:
        for helper in role.helpers:
            signals.helper_changed.send(helper, now=now)


def _on_wall_clock(at: datetime | None, delta: timedelta, zone) -> datetime | None:
    if at is None:
        return None
    local = at.astimezone(zone).replace(tzinfo=None) + delta
    return local.replace(tzinfo=zone).astimezone(UTC)


def remove_role(role: VolunteerRole) -> None:
    """Only a role nobody helps in may go (helpers are not dropped behind their backs)."""
    if signed_up_count(role.id):
        raise VolunteerError(
            _l("People signed up for this role: ask for fewer helpers instead."), status=409
        )
    db.session.delete(role)
    db.session.flush()


def roles_of(occurrence_ids) -> list[VolunteerRole]:
    return list(
        db.session.scalars(
            sa.select(VolunteerRole)
            .where(VolunteerRole.occurrence_id.in_(list(occurrence_ids)))
            .order_by(VolunteerRole.occurrence_id, VolunteerRole.kind, VolunteerRole.id)
        )
    )


def signed_up_count(role_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Helper.role_id == role_id, Helper.status == HelperStatus.signed_up
        )
    )


def signed_up_counts(role_ids) -> dict[int, int]:
    """Helpers signed up per role, in one query."""
    ids = list(role_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Helper.role_id, sa.func.count())
            .where(Helper.role_id.in_(ids), Helper.status == HelperStatus.signed_up)
            .group_by(Helper.role_id)
        ).all()
    )


def language_label(code: str | None) -> str:
    """A language's name in the page's language ("Haitian Creole", "criollo haitiano")."""
    if not code:
        return ""
    locale = Locale.parse(str(get_locale() or "en"))
    return locale.languages.get(code) or CONTENT_LANGUAGES.get(code, code)


def role_title(role: VolunteerRole) -> str:
    """The role as a heading: "Interpreter (English – Haitian Creole)", "Driver (Springfield)"."""
    if role.kind == RoleKind.custom:
        return role.custom_name or ""
    label = str(ROLE_LABELS[role.kind])
    if role.kind == RoleKind.interpreter:
        pair = f"{language_label(role.language_from)} – {language_label(role.language_to)}"
        return f"{label} ({pair})"
    if role.kind == RoleKind.driver and role.town:
        return f"{label} ({role.town})"
    return label


def _interpreted(role: VolunteerRole) -> str:
    """The language that makes an interpreter needed: the one that is not English."""
    pair = [c for c in (role.language_from, role.language_to) if c and c != "en"]
    if len(pair) == 1:
        return language_label(pair[0])
    return f"{language_label(role.language_from)} – {language_label(role.language_to)}"


def missing_phrase(role: VolunteerRole, n: int) -> str:
    """ "2 drivers from Springfield", "1 Haitian Creole interpreter" (translated, plural-aware)."""
    kind = role.kind
    if kind == RoleKind.driver and role.town:
        return ngettext("%(num)d driver from %(town)s", "%(num)d drivers from %(town)s", n,
                        town=role.town)  # fmt: skip
    if kind == RoleKind.driver:
        return ngettext("%(num)d driver", "%(num)d drivers", n)
    if kind == RoleKind.interpreter:
        return ngettext("%(num)d %(language)s interpreter", "%(num)d %(language)s interpreters",
                        n, language=_interpreted(role))  # fmt: skip
    if kind == RoleKind.childcare:
        return ngettext("%(num)d person for childcare", "%(num)d people for childcare", n)
    if kind == RoleKind.marshal:
        return ngettext("%(num)d marshal", "%(num)d marshals", n)
    if kind == RoleKind.food:
        return ngettext("%(num)d person for food", "%(num)d people for food", n)
    if kind == RoleKind.setup:
        return ngettext("%(num)d person for set-up", "%(num)d people for set-up", n)
    return ngettext("%(num)d person: %(role)s", "%(num)d people: %(role)s", n,
                    role=role.custom_name or "")  # fmt: skip


@dataclass
class RoleCount:
    """A role with its counts only (what the public page and the API may show)."""

    role: VolunteerRole
    title: str
    needed: int
    signed_up: int

    @property
    def spots_left(self) -> int:
        return max(self.needed - self.signed_up, 0)


def role_counts(occurrence_ids) -> list[RoleCount]:
    """Every role of these dates with its counts, in two queries."""
    roles = roles_of(occurrence_ids)
    counts = signed_up_counts(r.id for r in roles)
    return [RoleCount(r, role_title(r), r.needed, counts.get(r.id, 0)) for r in roles]


def still_needed(occurrence: Occurrence) -> list[str]:
    """What is missing, one phrase per role: ["2 drivers from Springfield", ...]."""
    return [
        missing_phrase(c.role, c.spots_left) for c in role_counts([occurrence.id]) if c.spots_left
    ]


# Signing up ----------------------------------------------------------------------------------


@dataclass
class HelperInput:
    name: str
    email: str | None = None
    phone: str | None = None
    language: str = "en"
    seats: int | None = None
    town: str | None = None
    note: str | None = None
    consents_to_reminders: bool = True


@dataclass
class Receipt:
    """What the page (or API answer) after a sign-up may show: only what was typed."""

    name: str
    role: str
    sent_to: str

    @property
    def by_text(self) -> bool:
        """The link went by text message (the person gave no email)."""
        return "@" not in self.sent_to


def _lock_role(role: VolunteerRole) -> VolunteerRole:
    return db.session.scalars(
        sa.select(VolunteerRole)
        .where(VolunteerRole.id == role.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _validate(role: VolunteerRole, data: HelperInput) -> None:
    identity.tidy_contact(data)
    if not data.name:
        raise VolunteerError(_l("Tell us a name (a first name or nickname is fine)."), "name")
    if not data.email and not data.phone:
        if identity.sms_available():
            raise VolunteerError(_l("Give an email or a phone number so we can reach you."),
                                 "email")  # fmt: skip
        raise VolunteerError(_l("Give an email address: we send your private link there."),
                             "email")  # fmt: skip
    if role.kind == RoleKind.driver:
        if data.seats is None or not 1 <= data.seats <= MAX_SEATS:
            raise VolunteerError(_l("Say how many riders fit in your car (1 to %(n)d).",
                                    n=MAX_SEATS), "seats")  # fmt: skip
        data.town = (data.town or "").strip() or role.town
        if not data.town:
            raise VolunteerError(_l("Say which town you leave from."), "town")
    else:
        data.seats, data.town = None, None


def submit(role: VolunteerRole, data: HelperInput, *, now: datetime | None = None,
           notify: bool = True) -> tuple[Helper | None, Receipt]:  # fmt: skip
    """Sign up as a helper. A contact that already helps in this role changes nothing and its
    owner gets their own link; the receipt is the same either way."""
    now = now or utcnow()
    _validate(role, data)
    reason = closed_reason(role.occurrence, now)
    if reason is not None:
        raise VolunteerError(reason, status=409)
    role = _lock_role(role)
    receipt = Receipt(name=data.name, role=role_title(role),
                      sent_to=identity.masked_destination(data.email, data.phone))  # fmt: skip
    if signed_up_count(role.id) >= role.needed:
        raise VolunteerError(_l("This role has all the helpers it needs. Thank you!"),
                             status=409)  # fmt: skip
    existing = helper_with_contact(role.id, data.email, data.phone)
    # The same work, known contact or not (`coalition.core.same_work`, as for RSVPs).
    with same_work.tried(keep=existing is None):
        helper = _create(role, data, now, notify=notify, stand_in=existing is not None)
    if notify:
        send_already(existing or helper, keep=existing is not None)
    return (None if existing is not None else helper), receipt


def _create(role: VolunteerRole, data: HelperInput, now: datetime, *, notify: bool,
            stand_in: bool) -> Helper:  # fmt: skip
    """A new sign-up, scheduled and thanked (`stand_in`: for a known contact, to be rolled
    back)."""
    helper = Helper(
        role=role, occurrence_id=role.occurrence_id, name=data.name[:80], email=data.email,
        phone=data.phone, language=data.language, seats=data.seats,
        town=(data.town or None) and data.town[:120], note=(data.note or "").strip() or None,
        consents_to_reminders=data.consents_to_reminders,
    )  # fmt: skip
    if stand_in:
        same_work.stand_in(helper, "email", "phone")
    db.session.add(helper)
    db.session.flush()
    signals.helper_changed.send(helper, now=now)
    if notify:
        send_confirmation(helper)
    return helper


def helper_with_contact(role_id: int, email: str | None, phone: str | None) -> Helper | None:
    """The helper of this role who holds one of these contacts (signed up or not)."""
    from coalition.crypto import email_hash, phone_hash

    clauses = []
    if email:
        clauses.append(Helper.email_hash == email_hash(email))
    if phone:
        clauses.append(Helper.phone_hash == phone_hash(phone))
    if not clauses:
        return None
    return db.session.scalars(
        sa.select(Helper)
        .where(Helper.role_id == role_id, Helper.erased_at.is_(None), sa.or_(*clauses))
        .order_by(Helper.id)
        .limit(1)
    ).first()


def rejoin(helper: Helper, now: datetime | None = None) -> None:
    """The holder of a cancelled sign-up's link signs up again, if the role still needs it."""
    now = now or utcnow()
    if helper.is_active:
        return
    reason = closed_reason(helper.occurrence, now)
    if reason is not None:
        raise VolunteerError(reason, status=409)
    role = _lock_role(helper.role)
    if signed_up_count(role.id) >= role.needed:
        raise VolunteerError(_l("This role has all the helpers it needs. Thank you!"),
                             status=409)  # fmt: skip
    helper.status = HelperStatus.signed_up
    helper.cancelled_at = None
    db.session.flush()
    signals.helper_changed.send(helper, now=now)


def cancel(helper: Helper, now: datetime | None = None) -> None:
    """Cancel a sign-up: the spot opens, a driver's riders need another car."""
    now = now or utcnow()
    if not helper.is_active:
        return
    helper.status = HelperStatus.cancelled
    helper.cancelled_at = now
    for ride in list(helper.rides):
        if ride.rsvp is not None and _needs_a_car(ride.rsvp):
            _tell_rider_ride_ended(ride)
        db.session.delete(ride)
    db.session.flush()
    signals.helper_changed.send(helper, now=now)


def erase(helper: Helper, now: datetime | None = None) -> None:
    """Remove the helper's data at once (their own request); counts stay."""
    now = now or utcnow()
    cancel(helper, now)
    erasure.erase(helper, now)


def set_reminder_consent(helper: Helper, consents: bool) -> None:
    helper.consents_to_reminders = consents
    signals.helper_changed.send(helper, now=None)


# Rides ---------------------------------------------------------------------------------------


def delegation_headcount(delegation: Delegation) -> int:
    """People a delegation needs seats for: its expected headcount, or more if more joined
    (confirmed and waiting members, as `delegations.operations.members_headcount` counts)."""
    return max(delegation.expected_headcount or 0, members_headcount(delegation))


def seats_taken(driver_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(RideAssignment.riders), 0)).where(
            RideAssignment.driver_id == driver_id
        )
    )


def riders_placed(delegation_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(RideAssignment.riders), 0)).where(
            RideAssignment.delegation_id == delegation_id
        )
    )


def _lock(model, row_id: int):
    return db.session.scalars(
        sa.select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def same_town(one: str | None, other: str | None) -> bool:
    """Towns as people type them ("worcester ", "Worcester"); an unknown town matches any."""
    if not one or not other:
        return True
    return " ".join(one.split()).casefold() == " ".join(other.split()).casefold()


def _check_towns(driver: Helper, town: str | None, across_towns: bool) -> None:
    if across_towns or same_town(driver.town, town):
        return
    raise AcrossTowns(
        _l("These riders need a ride from %(town)s; this car leaves from %(driver_town)s.",
           town=town, driver_town=driver.town),
        riders_town=town, driver_town=driver.town,
    )  # fmt: skip


def assign_ride(
    driver: Helper, delegation: Delegation, riders: int | None = None, *, across_towns=False
) -> RideAssignment:
    """Give `riders` of a delegation seats in a driver's car (default: as many as fit and still
    need one). Under row locks on the driver, then the delegation: concurrent assignments never
    put more riders in a car than its seats, nor seat more of a delegation than it has. A car
    from another town than the delegation's is refused (`AcrossTowns`) unless `across_towns`
    says someone confirmed it."""
    if driver.role.kind != RoleKind.driver or driver.occurrence_id != delegation.occurrence_id:
        raise VolunteerError(_l("This driver and this delegation are not on the same date."),
                             status=404)  # fmt: skip
    driver = _lock(Helper, driver.id)
    delegation = _lock(Delegation, delegation.id)
    if not driver.is_active or driver.erased_at is not None:
        raise VolunteerError(_l("This driver cancelled."), status=409)
    free = max((driver.seats or 0) - seats_taken(driver.id), 0)
    unplaced = max(delegation_headcount(delegation) - riders_placed(delegation.id), 0)
    if riders is None:
        riders = min(free, unplaced)
    if riders < 1:
        if not free:
            raise VolunteerError(_l("This driver's car is full."), "riders", status=409)
        raise VolunteerError(_l("Everyone in this delegation already has a seat."), "riders",
                             status=409)  # fmt: skip
    if riders > free:
        raise VolunteerError(
            ngettext("This driver has %(num)d seat left.", "This driver has %(num)d seats left.",
                     free), "riders", status=409,
        )  # fmt: skip
    if riders > unplaced:
        raise VolunteerError(
            ngettext("Only %(num)d person of this delegation still needs a seat.",
                     "Only %(num)d people of this delegation still need a seat.", unplaced),
            "riders", status=409,
        )  # fmt: skip
    _check_towns(driver, delegation.town, across_towns)
    ride = db.session.scalar(
        sa.select(RideAssignment).where(
            RideAssignment.driver_id == driver.id, RideAssignment.delegation_id == delegation.id
        )
    )
    if ride is None:
        ride = RideAssignment(driver=driver, delegation=delegation, riders=riders)
        db.session.add(ride)
    else:
        ride.riders += riders
    db.session.flush()
    return ride


def unassign_ride(ride: RideAssignment) -> None:
    """An organizer takes riders out of a car; a rider and the driver are told."""
    if ride.rsvp is not None:
        _tell_rider_ride_ended(ride)
        _tell_driver_ride_ended(ride)
    db.session.delete(ride)
    db.session.flush()


# Riders: people who asked for a ride on their RSVP --------------------------------------------


def first_name(name: str | None) -> str:
    """What a driver sees of a rider's name."""
    parts = (name or "").split()
    return parts[0] if parts else ""


def _needs_a_car(rsvp: RSVP) -> bool:
    """Asked for a ride, holds a seat at the event, travels alone (a delegation's people are
    seated with their delegation), not erased."""
    return (
        rsvp.needs_ride
        and rsvp.status == RSVPStatus.confirmed
        and rsvp.delegation_id is None
        and rsvp.erased_at is None
    )


@dataclass
class RiderNeed:
    rsvp: RSVP
    ride: RideAssignment | None

    @property
    def first_name(self) -> str:
        return first_name(self.rsvp.name)


def rider_needs(occurrence: Occurrence, *, waiting_only: bool = False) -> list[RiderNeed]:
    """Everyone of the date who asked for a ride on their RSVP, by pickup town, with their seat
    in a car when they have one (`waiting_only`: those still without one)."""
    query = (
        sa.select(RSVP, RideAssignment)
        .outerjoin(RideAssignment, RideAssignment.rsvp_id == RSVP.id)
        .where(
            RSVP.occurrence_id == occurrence.id,
            RSVP.needs_ride.is_(True),
            RSVP.status == RSVPStatus.confirmed,
            RSVP.delegation_id.is_(None),
            RSVP.erased_at.is_(None),
        )
        .order_by(sa.func.lower(sa.func.coalesce(RSVP.ride_from, "")), RSVP.created_at, RSVP.id)
    )
    if waiting_only:
        query = query.where(RideAssignment.id.is_(None))
    return [RiderNeed(rsvp, ride) for rsvp, ride in db.session.execute(query).all()]


def assign_rider(
    driver: Helper, rsvp: RSVP, *, across_towns: bool = False, by_driver: bool = False
) -> RideAssignment:
    """Seat a person who asked for a ride (their whole party) in a driver's car, and tell them
    both on their channel: the rider learns the driver's first name and town, the driver the
    rider's first name and pickup town, nothing more. Under row locks on the driver, then the
    RSVP: a car never takes more than its seats, a rider never gets two cars. `by_driver`: the
    driver picks from their private page, which the role must allow. A car from another town
    is refused (`AcrossTowns`) unless `across_towns` says someone confirmed it."""
    if driver.role.kind != RoleKind.driver or driver.occurrence_id != rsvp.occurrence_id:
        raise VolunteerError(_l("This driver and this rider are not on the same date."),
                             status=404)  # fmt: skip
    if by_driver and not driver.role.riders_by_drivers:
        raise VolunteerError(_l("The organizers seat the riders for this date."), status=403)
    driver = _lock(Helper, driver.id)
    rsvp = _lock(RSVP, rsvp.id)
    if not driver.is_active or driver.erased_at is not None:
        raise VolunteerError(_l("This driver cancelled."), status=409)
    if not _needs_a_car(rsvp):
        raise VolunteerError(_l("This person no longer needs a ride."), status=409)
    if db.session.scalar(sa.select(RideAssignment.id).where(RideAssignment.rsvp_id == rsvp.id)):
        raise VolunteerError(_l("This person already has a seat in a car."), status=409)
    free = max((driver.seats or 0) - seats_taken(driver.id), 0)
    if rsvp.party_size > free:
        raise VolunteerError(
            ngettext("This driver has %(num)d seat left.", "This driver has %(num)d seats left.",
                     free), "riders", status=409,
        )  # fmt: skip
    _check_towns(driver, rsvp.ride_from, across_towns)
    ride = RideAssignment(driver=driver, rsvp=rsvp, riders=rsvp.party_size)
    db.session.add(ride)
    db.session.flush()
    _tell_rider_seated(ride)
    _tell_driver_seated(ride)
    return ride


def ride_of(rsvp: RSVP) -> RideAssignment | None:
    """The seat this RSVP holds in a car, if any (only one that needs a ride may hold one)."""
    if rsvp.id is None or not rsvp.needs_ride:
        return None
    return db.session.scalar(sa.select(RideAssignment).where(RideAssignment.rsvp_id == rsvp.id))


def release_rider(rsvp: RSVP) -> None:
    """The RSVP no longer needs its car (cancelled, erased, no ride wanted any more): the seats
    are free again and the driver is told (`rsvp_changed`). A party that grew past the car's
    seats leaves it too, and the rider is told to wait for another car (`party_changed`)."""
    ride = db.session.scalar(sa.select(RideAssignment).where(RideAssignment.rsvp_id == rsvp.id))
    if ride is None:
        return
    if _needs_a_car(rsvp):
        free = (ride.driver.seats or 0) - seats_taken(ride.driver_id) + ride.riders
        if rsvp.party_size <= free:
            ride.riders = rsvp.party_size
            db.session.flush()
            return
        _tell_rider_ride_ended(ride)
    _tell_driver_ride_ended(ride)
    db.session.delete(ride)
    db.session.flush()


def _rider_context(ride: RideAssignment) -> dict:
    return {"rider": first_name(ride.rsvp.name), "pickup": ride.rsvp.ride_from or "",
            "riders": ride.riders, "driver": first_name(ride.driver.name),
            "driver_town": ride.driver.town or ""}  # fmt: skip


def _tell_rider(rsvp: RSVP, *, kind: str, subject, template: str, **context):
    """A ride notice to the person who asked for it: by email, or by text when they gave only a
    phone. The event's place is left out (the RSVP's own page shows it as `events/privacy`
    allows)."""
    occurrence = rsvp.occurrence
    if rsvp.email:
        return queue_email(
            to=rsvp.email, kind=kind, subject=subject, template=template,
            locale=message_locale(rsvp.language), about_rsvp=rsvp, rsvp=rsvp,
            occurrence=occurrence, event=occurrence.event, manage_url=rsvp_manage_url(rsvp),
            **context,
        )  # fmt: skip
    if rsvp.phone:
        return text_rsvp(rsvp, kind=kind, template=template, expires_at=occurrence.start_at,
                         **context)  # fmt: skip
    return None


def _tell_rider_seated(ride: RideAssignment):
    title = ride.rsvp.occurrence.event.translation(ride.rsvp.language).title
    return _tell_rider(ride.rsvp, kind="ride_rider", template="volunteers/ride_rider",
                       subject=_l("You have a ride: %(title)s", title=title),
                       **_rider_context(ride))  # fmt: skip


def _tell_rider_ride_ended(ride: RideAssignment):
    title = ride.rsvp.occurrence.event.translation(ride.rsvp.language).title
    return _tell_rider(ride.rsvp, kind="ride_rider_ended", template="volunteers/ride_rider_ended",
                       subject=_l("Your ride is cancelled: %(title)s", title=title),
                       **_rider_context(ride))  # fmt: skip


def _tell_driver_seated(ride: RideAssignment):
    """Tied to the rider too: erasing the rider blanks what the driver was told of them."""
    title = ride.driver.occurrence.event.translation(ride.driver.language).title
    return _mail(ride.driver, kind="ride_driver", template="volunteers/ride_driver",
                 subject=_l("A rider for your car: %(title)s", title=title),
                 about_rsvp=ride.rsvp, **_rider_context(ride))  # fmt: skip


def _tell_driver_ride_ended(ride: RideAssignment):
    title = ride.driver.occurrence.event.translation(ride.driver.language).title
    return _mail(ride.driver, kind="ride_driver_ended", template="volunteers/ride_driver_ended",
                 subject=_l("A rider no longer needs your car: %(title)s", title=title),
                 **_rider_context(ride))  # fmt: skip


@dataclass
class RideNeed:
    delegation: Delegation
    headcount: int
    placed: int

    @property
    def unplaced(self) -> int:
        return max(self.headcount - self.placed, 0)


def ride_needs(occurrence: Occurrence) -> list[RideNeed]:
    """Each delegation of the date with how many of its people have a seat in a car."""
    delegations = db.session.scalars(
        sa.select(Delegation)
        .where(Delegation.occurrence_id == occurrence.id, Delegation.erased_at.is_(None))
        .order_by(Delegation.town, Delegation.name)
    ).all()
    ids = [d.id for d in delegations]
    joined = dict(
        db.session.execute(
            sa.select(RSVP.delegation_id, sa.func.sum(RSVP.party_size))
            .where(
                RSVP.delegation_id.in_(ids),
                RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted]),
            )
            .group_by(RSVP.delegation_id)
        ).all()
    )
    placed = dict(
        db.session.execute(
            sa.select(RideAssignment.delegation_id, sa.func.sum(RideAssignment.riders))
            .where(RideAssignment.delegation_id.in_(ids))
            .group_by(RideAssignment.delegation_id)
        ).all()
    )
    return [
        RideNeed(d, max(d.expected_headcount or 0, int(joined.get(d.id) or 0)),
                 int(placed.get(d.id) or 0))
        for d in delegations
    ]  # fmt: skip


# Organizers' view and messages ----------------------------------------------------------------


def helpers_of(occurrence: Occurrence) -> list[Helper]:
    return list(
        db.session.scalars(
            sa.select(Helper)
            .where(Helper.occurrence_id == occurrence.id, Helper.erased_at.is_(None))
            .options(
                sa.orm.selectinload(Helper.rides).selectinload(RideAssignment.delegation),
                sa.orm.selectinload(Helper.rides).selectinload(RideAssignment.rsvp),
            )
            .order_by(Helper.role_id, Helper.status, sa.func.lower(Helper.name))
        )
    )


def _channel(helper: Helper) -> str:
    return helper.channel(can_text)


def _audience(role: VolunteerRole):
    return sa.select(Helper).where(
        Helper.role_id == role.id,
        Helper.status == HelperStatus.signed_up,
        Helper.erased_at.is_(None),
    )


def reach(role: VolunteerRole) -> dict[str, int]:
    counts = {"email": 0, "sms": 0, "none": 0}
    for helper in db.session.scalars(_audience(role)):
        counts[_channel(helper)] += 1
    return counts


def message_helpers(role: VolunteerRole, *, subjects: dict[str, str],
                    bodies: dict[str, str]) -> int:  # fmt: skip
    """Queue the organizers' message to every helper of one role, in their language when it was
    written (else the event's, else English, else any): by email, or by text."""
    event = role.occurrence.event
    fallback = next(code for code in (event.primary_language, "en", *subjects) if code in subjects)
    sent = 0
    for helper in db.session.scalars(_audience(role)):
        language = helper.language if helper.language in subjects else fallback
        channel = _channel(helper)
        if channel == "email":
            queue_email(
                about_helper=helper, to=helper.email, kind="helper_message",
                subject=subjects[language], template="volunteers/message",
                locale=message_locale(language), body=bodies[language], helper=helper,
                event=event, manage_url=manage_url(helper),
            )  # fmt: skip
        elif channel == "sms":
            queue_sms(
                to=helper.phone, kind="helper_message", template="dashboard/message",
                locale=message_locale(language), org_id=event.host_org_id, about_helper=helper,
                subject=subjects[language], body=bodies[language],
            )  # fmt: skip
        else:
            continue
        sent += 1
    return sent


# Links and mail ------------------------------------------------------------------------------


#: The helper's private link: its token and URL, and the helper behind a token (TokenError
#: when tampered with or erased).
manage_token = _MANAGE_LINK.token
manage_url = _MANAGE_LINK.url
helper_for_token = _MANAGE_LINK.row


def public_place(helper: Helper, now: datetime | None = None) -> dict | None:
    """The place as the public may see it now (`events/privacy`): helping does not reveal a
    place that attendees-only or hidden modes keep back."""
    return location_for(helper.occurrence.event, helper.occurrence, None)


def _context(helper: Helper) -> dict:
    occurrence = helper.occurrence
    event: Event = occurrence.event
    return {
        "helper": helper,
        "role": helper.role,
        "occurrence": occurrence,
        "event": event,
        "location": public_place(helper),
        "manage_url": manage_url(helper),
        "event_url": external_url(
            "events.occurrence", event_id=event.id, occurrence_id=occurrence.id
        ),
    }


def _text(helper: Helper, *, kind: str, template: str, expires_at=None, quiet_hours=False,
          about_rsvp=None, **context):  # fmt: skip
    from coalition.shortlinks.operations import short_helper_url

    occurrence = helper.occurrence
    event = occurrence.event
    locale = message_locale(helper.language)
    return queue_sms(
        to=helper.phone, kind=kind, template=template, locale=locale, org_id=event.host_org_id,
        expires_at=expires_at, quiet_hours_zone=event.timezone if quiet_hours else None,
        about_helper=helper, about_rsvp=about_rsvp, title=event.translation(helper.language).title,
        when=format_moment(helper.role.shift_start, event.zone, locale),
        link=short_helper_url(helper), **context,
    )  # fmt: skip


def _mail(helper: Helper, *, kind: str, subject, template: str, headers=None, about_rsvp=None,
          **context):  # fmt: skip
    if not helper.email:
        if helper.phone:
            return _text(helper, kind=kind, template=template, about_rsvp=about_rsvp, **context)
        return None
    return queue_email(
        to=helper.email, kind=kind, subject=subject, template=template,
        locale=message_locale(helper.language), about_helper=helper, about_rsvp=about_rsvp,
        headers=headers, **_context(helper), **context,
    )  # fmt: skip


def _signed_up_on(occurrences) -> list[Helper]:
    """The helpers still signed up (not erased) on these dates."""
    if not occurrences:
        return []
    query = sa.select(Helper).where(
        Helper.occurrence_id.in_([o.id for o in occurrences]),
        Helper.status == HelperStatus.signed_up,
        Helper.erased_at.is_(None),
    )
    return list(db.session.scalars(query))


def notify_cancellation(occurrences, reason: str) -> None:
    """The date (or the whole event) is cancelled: tell its signed-up helpers (called by
    `reminders.notices.notify_cancellation`, with the attendees' notices)."""
    for helper in _signed_up_on([o for o in occurrences if o.end_at > utcnow()]):
        title = helper.occurrence.event.translation(helper.language).title
        _mail(helper, kind="helper_cancelled", template="volunteers/cancelled",
              subject=_l("Cancelled: %(title)s", title=title), reason=reason)  # fmt: skip


def notify_restored(occurrences) -> None:
    """A date (or the whole event) that was cancelled is on again (a subscribed source listed it
    again): tell its helpers, still signed up, that their shift stands (called by
    `reminders.notices.notify_restored`, with the attendees' notices)."""
    upcoming = [o for o in occurrences if not o.is_cancelled and o.end_at > utcnow()]
    for helper in _signed_up_on(upcoming):
        title = helper.occurrence.event.translation(helper.language).title
        _mail(helper, kind="helper_restored", template="volunteers/restored",
              subject=_l("Back on: %(title)s", title=title))  # fmt: skip


def send_confirmation(helper: Helper) -> None:
    title = helper.occurrence.event.translation(helper.language).title
    _mail(helper, kind="helper_confirmation", template="volunteers/confirmation",
          subject=_l("Thank you for helping: %(title)s", title=title))  # fmt: skip


def send_already(helper: Helper, *, keep: bool = True) -> None:
    """Someone typed this helper's contact again: tell its owner, with their own link (at most
    once an hour). Written either way, kept only when it may go (`keep=False`: a new sign-up
    doing the same work as a known one's, `coalition.core.same_work`)."""
    from coalition.mail.models import OutgoingEmail

    recent = db.session.scalar(
        sa.select(OutgoingEmail.id)
        .where(
            OutgoingEmail.helper_id == helper.id,
            OutgoingEmail.kind == "helper_already",
            OutgoingEmail.created_at > utcnow() - identity.ALREADY_NOTICE_INTERVAL,
        )
        .limit(1)
    )
    with same_work.tried(keep=keep and recent is None):
        title = helper.occurrence.event.translation(helper.language).title
        _mail(helper, kind="helper_already", template="volunteers/already",
              subject=_l("You are already helping: %(title)s", title=title))  # fmt: skip


def queue_reminder(helper: Helper, now: datetime):
    """A due helper reminder as a message (called by `reminders.operations.send_due`)."""
    occurrence = helper.occurrence
    if not helper.email:
        return _text(helper, kind="helper_reminder", template="reminders/attendee",
                     expires_at=helper.role.shift_start, quiet_hours=True)  # fmt: skip
    manage = manage_url(helper)
    title = occurrence.event.translation(helper.language).title
    return _mail(
        helper, kind="helper_reminder", template="volunteers/reminder",
        subject=_l("Reminder: %(title)s", title=title),
        headers={"List-Unsubscribe": f"<{manage}/reminders-off>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )  # fmt: skip
