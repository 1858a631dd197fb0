"""Series registration: one registration for every date of a recurring event.

Two kinds (`SeriesSettings.mode`):

- `series`: a workshop series; one registration covers every part, capacity is per series
  (`SeriesSettings.capacity`, parties counted), decided under a lock on the settings row; a
  registration past capacity waits as a whole and is confirmed for every part still ahead when
  its whole party fits. Single-date RSVPs are not taken.
- `open`: an open meeting ("every 4th Thursday"); each date keeps its own RSVPs and capacity, and
  a person may RSVP once for every date still ahead.

Either way each date gets an ordinary RSVP (`SeriesPart` ties it to the registration), so that
reminders go before each part, check-in and counts are per part, and erasure is the RSVP's.
The private link of a registration cancels one date or all of them, and changes the session
chosen on each date that has sessions (seats and a party-aware waitlist per session,
`coalition.sessions.operations`; a part waiting for its place in the series waits in its sessions
too, and takes its seats there when `promote` gives it that place).

Making a date-by-date event a series leaves the date RSVPs already made as they are (each keeps
its place on its date; they are not counted in the series' seats): `switch_effects` lists them
for the organizer before saving, and `configure` tells each person once, on their channel.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coalition import erasure, signals
from coalition.db import utcnow
from coalition.events.models import Event, Occurrence
from coalition.extensions import db
from coalition.languages import message_locale
from coalition.mail.operations import queue_email
from coalition.people.links import PrivateLink
from coalition.rsvps import identity
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.sessions import operations as session_ops
from coalition.sessions.models import (
    EventSession,
    SeriesMode,
    SeriesPart,
    SeriesRegistration,
    SeriesSettings,
    SignupStatus,
)
from coalition.tokens import TokenError
from coalition.urls import external_url

PURPOSE = "series-manage"
_MANAGE_LINK = PrivateLink(PURPOSE, SeriesRegistration, "g", "sessions.series_manage")


#: A choice of sessions per date: occurrence id → that date's sessions (checked already,
#: `operations.parse_choice`).
SessionChoice = dict[int, list[EventSession]]


@dataclass
class SeriesOutcome:
    registration: SeriesRegistration | None
    receipt: identity.Receipt


def settings_for(event: Event) -> SeriesSettings | None:
    if not event.rrule:
        return None
    return db.session.get(SeriesSettings, event.id)


def takes_whole_series(event: Event) -> bool:
    """True when the event takes only whole-series registrations (no single dates)."""
    settings = settings_for(event)
    return settings is not None and settings.mode == SeriesMode.series


def configure(event: Event, mode: SeriesMode | None, capacity: int | None, *,
              now: datetime | None = None, notify: bool = True) -> int:  # fmt: skip
    """An organizer makes a recurring event a series, an open meeting, or neither. Becoming a
    series, the date RSVPs already made stay as they are and their people are told
    (`switch_effects` shows the organizer first). Returns the people told."""
    now = now or utcnow()
    if not event.rrule:
        raise rsvp_ops.RSVPError(_l("Only a repeating event can be a series."), "mode")
    if capacity is not None and capacity < 1:
        raise rsvp_ops.RSVPError(_l("Seats must be at least 1 (or empty: no limit)."), "capacity")
    effects = switch_effects(event, mode, now)
    settings = db.session.get(SeriesSettings, event.id)
    if mode is None:
        if settings is not None:
            db.session.delete(settings)
        db.session.flush()
        return 0
    if settings is None:
        settings = SeriesSettings(event_id=event.id, mode=mode)
        db.session.add(settings)
    raised = settings.capacity is not None and (capacity is None or capacity > settings.capacity)
    settings.mode, settings.capacity = mode, capacity
    db.session.flush()
    if raised:
        promote(event, now=now)
    return _tell_switched(event, effects) if notify else 0


def upcoming_parts(event: Event, now: datetime) -> list[Occurrence]:
    return [o for o in event.occurrences if rsvp_ops.closed_reason(o, now) is None]


def _lock_settings(event: Event) -> SeriesSettings:
    return db.session.scalars(
        sa.select(SeriesSettings)
        .where(SeriesSettings.event_id == event.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def registered_headcount(event_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(SeriesRegistration.party_size), 0)).where(
            SeriesRegistration.event_id == event_id,
            SeriesRegistration.mode == SeriesMode.series,
            SeriesRegistration.status == SignupStatus.confirmed,
        )
    )


def seats_left(event: Event) -> int | None:
    settings = settings_for(event)
    if settings is None or settings.capacity is None:
        return None
    return max(settings.capacity - registered_headcount(event.id), 0)


def _someone_waits(event_id: int) -> bool:
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    SeriesRegistration.event_id == event_id,
                    SeriesRegistration.status == SignupStatus.waitlisted,
                )
            )
        )
    )


def _known(event: Event, data: rsvp_ops.RSVPInput) -> RSVP | None:
    """A part of an existing registration of this event holding one of these contacts."""
    clauses = identity.contact_clauses(data.email, data.phone)
    return db.session.scalars(
        sa.select(RSVP)
        .join(SeriesPart, SeriesPart.rsvp_id == RSVP.id)
        .join(SeriesRegistration, SeriesRegistration.id == SeriesPart.registration_id)
        .where(
            SeriesRegistration.event_id == event.id,
            SeriesRegistration.erased_at.is_(None),
            sa.or_(*clauses),
        )
        .order_by(RSVP.id)
        .limit(1)
    ).first()


def register(
    event: Event,
    data: rsvp_ops.RSVPInput,
    *,
    sessions: SessionChoice | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> SeriesOutcome:
    """Register for every date still ahead, with `sessions` chosen on dates that have some (a
    seat in each where the party fits and nobody waits ahead, else its waitlist; a registration
    waiting for the series waits in them too). Possession, not knowledge: a contact that already
    holds a registration changes nothing and its owner is sent their own link; the answer is
    the same either way."""
    now = now or utcnow()
    sessions = sessions or {}
    settings = settings_for(event)
    if settings is None:
        raise rsvp_ops.RSVPError(_l("This event takes RSVPs date by date."), status=409)
    rsvp_ops._validate(data)
    if not data.email:
        # The registration's private link goes by email only (texts carry single dates' links).
        raise rsvp_ops.RSVPError(
            _l("Give an email address: we send your private link there."), "email"
        )
    parts = upcoming_parts(event, now)
    if not parts:
        raise rsvp_ops.RSVPError(_l("No date of this series is open for RSVPs."), status=409)
    receipt = identity.Receipt(
        name=data.name, party_size=data.party_size, language=data.language,
        sent_to=identity.masked_destination(data.email, data.phone),
    )  # fmt: skip
    if settings.mode == SeriesMode.series:
        settings = _lock_settings(event)
        # What a new registration gets now, from the series' state (the same words for a
        # known contact and a stranger: possession, not knowledge).
        left = seats_left(event)
        if left is not None and (data.party_size > left or _someone_waits(event.id)):
            receipt.expected = RSVPStatus.waitlisted.value
    existing = _known(event, data)
    if existing is not None:
        if notify:
            registration = _registration_of(existing)
            if registration is not None and identity.may_notify_again(existing, "series_already"):
                _mail(registration, existing, kind="series_already", template="sessions/series",
                      subject=_l("You are already signed up: %(title)s",
                                 title=event.translation(existing.language).title),
                      already=True)  # fmt: skip
        return SeriesOutcome(registration=None, receipt=receipt)
    registration = SeriesRegistration(  # takes no seat until placed below
        event_id=event.id, mode=settings.mode, party_size=data.party_size,
        status=SignupStatus.cancelled,
    )  # fmt: skip
    db.session.add(registration)
    if settings.mode == SeriesMode.series:
        left = seats_left(event)
        if left is None or (data.party_size <= left and not _someone_waits(event.id)):
            registration.status = SignupStatus.confirmed
        else:
            registration.status = SignupStatus.waitlisted
            registration.waitlisted_at = now
        status = (
            RSVPStatus.confirmed
            if registration.status == SignupStatus.confirmed
            else RSVPStatus.waitlisted
        )
        for occurrence in parts:
            if identity.rsvp_with_contact(occurrence.id, data.email, data.phone) is not None:
                continue  # an RSVP made before the event became a series: theirs already
            rsvp = RSVP(occurrence=occurrence, status=status)
            rsvp_ops._apply(rsvp, data, None)
            if status == RSVPStatus.confirmed:
                rsvp.confirmed_at = now
            else:
                rsvp.waitlisted_at = now
            db.session.add(rsvp)
            registration.parts.append(SeriesPart(rsvp=rsvp))
    else:
        registration.status = SignupStatus.confirmed
        for occurrence in parts:
            date_data = copy.copy(data)
            date_data.sessions = list(sessions.get(occurrence.id, []))
            try:
                outcome = rsvp_ops.submit(occurrence, date_data, now=now, notify=False)
            except rsvp_ops.RSVPError as exc:
                if isinstance(exc, session_ops.SessionError):
                    raise  # a choice of sessions refused: the person is told, nothing saved
                continue  # that date is full without a waitlist: the others still count
            if outcome.rsvp is not None and outcome.created:
                registration.parts.append(SeriesPart(rsvp=outcome.rsvp))
    db.session.flush()
    if settings.mode == SeriesMode.series:
        for rsvp in part_rsvps(registration):
            if sessions.get(rsvp.occurrence_id):
                session_ops.choose(rsvp, sessions[rsvp.occurrence_id], now)
    for part in registration.parts:
        signals.rsvp_placed.send(part.rsvp, now=now)
    if notify and registration.parts:
        first = registration.parts[0].rsvp
        title = event.translation(first.language).title
        subject = (
            _l("You are on the waitlist: %(title)s", title=title)
            if registration.status == SignupStatus.waitlisted
            else _l("You are signed up: %(title)s", title=title)
        )
        _mail(registration, first, kind="series_confirmation", template="sessions/series",
              subject=subject)  # fmt: skip
    return SeriesOutcome(registration=registration, receipt=receipt)


def _registration_of(rsvp: RSVP) -> SeriesRegistration | None:
    part = db.session.get(SeriesPart, rsvp.id)
    return part.registration if part is not None else None


def part_rsvps(registration: SeriesRegistration) -> list[RSVP]:
    return sorted((p.rsvp for p in registration.parts), key=lambda r: (r.occurrence.start_at, r.id))


def cancel_part(registration: SeriesRegistration, rsvp: RSVP, now: datetime | None = None) -> None:
    """The person cannot come on one date: that RSVP is cancelled, the others stay."""
    if rsvp.id not in {p.rsvp_id for p in registration.parts}:
        raise rsvp_ops.RSVPError(_l("This date is not part of your registration."), status=404)
    rsvp_ops.cancel(rsvp, now)


def choose_sessions(registration: SeriesRegistration, rsvp: RSVP, sessions: list[EventSession],
                    now: datetime | None = None) -> None:  # fmt: skip
    """The person changes their sessions on one date of their registration (from its private
    page): a seat where the party fits and nobody waits ahead, else the session's waitlist."""
    if rsvp.id not in {p.rsvp_id for p in registration.parts}:
        raise rsvp_ops.RSVPError(_l("This date is not part of your registration."), status=404)
    now = now or utcnow()
    reason = rsvp_ops.closed_reason(rsvp.occurrence, now)
    if reason is not None and rsvp.is_active:
        raise session_ops.SessionError(reason, "sessions", status=409)
    session_ops.choose(rsvp, sessions, now)


def cancel_all(registration: SeriesRegistration, now: datetime | None = None) -> None:
    """Cancel every date still ahead, and the registration's place in the series."""
    now = now or utcnow()
    event = db.session.get(Event, registration.event_id)
    if registration.mode == SeriesMode.series and settings_for(event) is not None:
        _lock_settings(event)
    held = registration.status == SignupStatus.confirmed
    registration.status = SignupStatus.cancelled
    registration.cancelled_at = now
    for rsvp in part_rsvps(registration):
        if rsvp.occurrence.start_at > now:
            rsvp_ops.cancel(rsvp, now)
    db.session.flush()
    if held and registration.mode == SeriesMode.series:
        promote(event, now=now)


def promote(event: Event, now: datetime | None = None) -> list[SeriesRegistration]:
    """Confirm waiting registrations in arrival order while their whole party fits: every part
    still ahead is confirmed and gets its reminders."""
    now = now or utcnow()
    left = seats_left(event)
    waiting = db.session.scalars(
        sa.select(SeriesRegistration)
        .where(
            SeriesRegistration.event_id == event.id,
            SeriesRegistration.status == SignupStatus.waitlisted,
        )
        .order_by(SeriesRegistration.waitlisted_at, SeriesRegistration.id)
    ).all()
    promoted = []
    for registration in waiting:
        if left is not None and registration.party_size > left:
            continue
        registration.status = SignupStatus.confirmed
        registration.waitlisted_at = None
        for rsvp in part_rsvps(registration):
            if rsvp.status == RSVPStatus.waitlisted and rsvp.occurrence.start_at > now:
                rsvp.status = RSVPStatus.confirmed
                rsvp.confirmed_at = now
                rsvp.waitlisted_at = None
        promoted.append(registration)
        if left is not None:
            left -= registration.party_size
            if left <= 0:
                break
    db.session.flush()
    for registration in promoted:
        rsvps = part_rsvps(registration)
        for rsvp in rsvps:
            signals.rsvp_placed.send(rsvp, now=now)
            session_ops.follow_rsvp(rsvp, now)  # its sessions' waiting sign-ups take their turn
        if rsvps:
            _mail(registration, rsvps[0], kind="series_promoted", template="sessions/series",
                  subject=_l("A seat opened up for you: %(title)s",
                             title=event.translation(rsvps[0].language).title))  # fmt: skip
    return promoted


def extend_to(event: Event, occurrences: list[Occurrence], now: datetime | None = None) -> int:
    """Dates materialized later (the worker's `extend_series`, an open-ended series) join every
    registration still active: an RSVP per new date (the date's own rules in an open meeting;
    the registration's place in a series), with its reminders. Returns the RSVPs added."""
    now = now or utcnow()
    settings = settings_for(event)
    occurrences = [o for o in occurrences if rsvp_ops.closed_reason(o, now) is None]
    if settings is None or not occurrences:
        return 0
    registrations = db.session.scalars(
        sa.select(SeriesRegistration)
        .where(
            SeriesRegistration.event_id == event.id,
            SeriesRegistration.status != SignupStatus.cancelled,
            SeriesRegistration.erased_at.is_(None),
        )
        .order_by(SeriesRegistration.id)
    ).all()
    added = 0
    for registration in registrations:
        source = _latest_part(registration)
        if source is None:
            continue
        data = _input_from(source, registration)
        for occurrence in sorted(occurrences, key=lambda o: (o.start_at, o.id)):
            rsvp = _join_date(registration, occurrence, data, now)
            if rsvp is None:
                continue
            if source.user_id is not None:
                rsvp.user_id = source.user_id  # they keep it in their account already
            registration.parts.append(SeriesPart(rsvp=rsvp))
            added += 1
    db.session.flush()
    for registration in registrations:
        for part in registration.parts:
            if part.rsvp.occurrence in occurrences:
                signals.rsvp_placed.send(part.rsvp, now=now)
    return added


def _latest_part(registration: SeriesRegistration) -> RSVP | None:
    """The part whose contact and answers stand for the person (the newest one not erased)."""
    parts = [r for r in part_rsvps(registration) if r.erased_at is None and (r.email or r.phone)]
    return parts[-1] if parts else None


def _input_from(rsvp: RSVP, registration: SeriesRegistration) -> rsvp_ops.RSVPInput:
    return rsvp_ops.RSVPInput(
        name=rsvp.name, email=rsvp.email, phone=rsvp.phone, language=rsvp.language,
        party_size=rsvp.party_size if registration.mode == SeriesMode.open
        else registration.party_size,
        needs_interpretation=rsvp.needs_interpretation,
        needs_childcare=rsvp.needs_childcare, needs_ride=rsvp.needs_ride, note=rsvp.note,
        ride_from=rsvp.ride_from, consents_to_reminders=rsvp.consents_to_reminders,
    )  # fmt: skip


def _join_date(registration: SeriesRegistration, occurrence: Occurrence,
               data: rsvp_ops.RSVPInput, now: datetime) -> RSVP | None:  # fmt: skip
    if registration.mode == SeriesMode.open:
        try:
            outcome = rsvp_ops.submit(occurrence, copy.copy(data), now=now, notify=False)
        except rsvp_ops.RSVPError:
            return None  # that date is full without a waitlist: the others still count
        return outcome.rsvp if outcome.created else None
    if identity.rsvp_with_contact(occurrence.id, data.email, data.phone) is not None:
        return None
    confirmed = registration.status == SignupStatus.confirmed
    rsvp = RSVP(occurrence=occurrence,
                status=RSVPStatus.confirmed if confirmed else RSVPStatus.waitlisted)  # fmt: skip
    rsvp_ops._apply(rsvp, data, None)
    if confirmed:
        rsvp.confirmed_at = now
    else:
        rsvp.waitlisted_at = now
    db.session.add(rsvp)
    return rsvp


def waiting_parts_clause():
    """RSVPs that wait as part of a whole-series registration: the date's own waitlist
    promotion leaves them to `promote` (they get every part or none)."""
    return RSVP.id.in_(
        sa.select(SeriesPart.rsvp_id)
        .join(SeriesRegistration, SeriesRegistration.id == SeriesPart.registration_id)
        .where(SeriesRegistration.mode == SeriesMode.series)
    )


def erase(registration: SeriesRegistration, now: datetime | None = None) -> None:
    """The person's data, on every date, at once (`coalition.erasure` erases each RSVP)."""
    now = now or utcnow()
    cancel_all(registration, now)
    for rsvp in part_rsvps(registration):
        if rsvp.erased_at is None:
            rsvp_ops.erase(rsvp, now)
    erasure.erase(registration, now)


# Becoming a series ---------------------------------------------------------------------------

#: Date RSVPs an organizer's switch to series mode concerns (a seat, a waitlist, a request).
_HELD = (RSVPStatus.confirmed, RSVPStatus.waitlisted, RSVPStatus.pending)


@dataclass
class DateEffect:
    """One date's RSVPs made before the event became a series (people, parties counted)."""

    occurrence: Occurrence
    confirmed: int = 0
    waitlisted: int = 0
    pending: int = 0
    rsvps: list[RSVP] = field(default_factory=list)


def _date_rsvps(event: Event, now: datetime) -> list[RSVP]:
    """Active RSVPs on this event's dates still ahead that no whole-series registration holds."""
    return list(
        db.session.scalars(
            sa.select(RSVP)
            .join(Occurrence, Occurrence.id == RSVP.occurrence_id)
            .where(
                Occurrence.event_id == event.id,
                Occurrence.start_at > now,
                Occurrence.is_cancelled.is_(False),
                RSVP.status.in_(_HELD),
                RSVP.erased_at.is_(None),
                ~waiting_parts_clause(),
            )
            .order_by(Occurrence.start_at, RSVP.id)
        )
    )


def switch_effects(event: Event, mode: SeriesMode | None,
                   now: datetime | None = None) -> list[DateEffect]:  # fmt: skip
    """What saving `mode` would mean for the RSVPs already made, date by date: nothing unless
    the event becomes a series now (an open meeting, or date by date, keeps them as they are)."""
    if mode != SeriesMode.series or takes_whole_series(event):
        return []
    effects: dict[int, DateEffect] = {}
    for rsvp in _date_rsvps(event, now or utcnow()):
        effect = effects.setdefault(rsvp.occurrence_id, DateEffect(occurrence=rsvp.occurrence))
        setattr(effect, rsvp.status.value, getattr(effect, rsvp.status.value) + rsvp.party_size)
        effect.rsvps.append(rsvp)
    return list(effects.values())


def _person_key(rsvp: RSVP) -> tuple[str, str] | None:
    if rsvp.email_hash:
        return ("email", rsvp.email_hash)
    if rsvp.phone_hash:
        return ("phone", rsvp.phone_hash)
    return None


def people_of(effects: list[DateEffect]) -> list[list[RSVP]]:
    """The people those RSVPs belong to (one contact, one person), each with their dates."""
    people: dict[tuple[str, str], list[RSVP]] = {}
    for effect in effects:
        for rsvp in effect.rsvps:
            key = _person_key(rsvp)
            if key is not None:
                people.setdefault(key, []).append(rsvp)
    return list(people.values())


def reach_of(effects: list[DateEffect]) -> dict[str, int]:
    """How the people concerned will be told: by email, by text, or not at all (a phone and
    no email while texts are off)."""
    reach = {"email": 0, "sms": 0, "none": 0}
    texts = identity.sms_available()
    for rsvps in people_of(effects):
        first = rsvps[0]
        channel = "email" if first.email else "sms" if first.phone and texts else "none"
        reach[channel] += 1
    return reach


def _tell_switched(event: Event, effects: list[DateEffect]) -> int:
    """Each person with date RSVPs hears once, on their channel, in their language: their
    RSVPs stay as they are, and how to register for every part. Returns the people told."""
    told = 0
    register_url = external_url("sessions.series_register", event_id=event.id)
    for rsvps in people_of(effects):
        first = rsvps[0]
        if not identity.reachable(first):
            continue
        title = event.translation(first.language).title
        rsvp_ops.mail_rsvp(
            first, kind="series_switched", template="sessions/series_switched",
            subject=_l("%(title)s is now a series", title=title),
            dates=[(r, rsvp_ops.manage_url(r)) for r in rsvps], register_url=register_url,
        )  # fmt: skip
        told += 1
    return told


# Links and mail ----------------------------------------------------------------------------


#: The registration's private link: its token and URL, and the registration behind a token
#: (TokenError when tampered with or erased).
manage_token = _MANAGE_LINK.token
manage_url = _MANAGE_LINK.url
registration_for_token = _MANAGE_LINK.row


def _mail(registration: SeriesRegistration, rsvp: RSVP, *, kind: str, subject, template: str,
          **context) -> None:  # fmt: skip
    if not rsvp.email:
        return  # `register` takes no phone-only registration; erased meanwhile: nobody to tell
    event = db.session.get(Event, registration.event_id)
    queue_email(
        to=rsvp.email, kind=kind, subject=subject, template=template,
        locale=message_locale(rsvp.language), about_rsvp=rsvp, rsvp=rsvp, event=event,
        registration=registration, parts=part_rsvps(registration),
        manage_url=manage_url(registration),
        event_url=external_url("events.show", event_id=event.id), **context,
    )  # fmt: skip


def attendance(event: Event, now: datetime | None = None) -> dict:
    """Per date: confirmed people and people checked in; and how many registrations came to
    every date held so far (parts checked in)."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(
            RSVP.occurrence_id,
            sa.func.coalesce(
                sa.func.sum(sa.case((RSVP.status == RSVPStatus.confirmed, RSVP.party_size))), 0
            ),
            sa.func.count(RSVP.checked_in_at),
        )
        .join(Occurrence, Occurrence.id == RSVP.occurrence_id)
        .where(Occurrence.event_id == event.id)
        .group_by(RSVP.occurrence_id)
    ).all()
    per_date = {occurrence_id: (int(c), int(k)) for occurrence_id, c, k in rows}
    held = sa.select(Occurrence.id).where(
        Occurrence.event_id == event.id,
        Occurrence.start_at <= now,
        Occurrence.is_cancelled.is_(False),
    )
    per_registration = (
        sa.select(
            SeriesPart.registration_id.label("registration_id"),
            sa.func.count().label("parts"),
            sa.func.count(RSVP.checked_in_at).label("came"),
        )
        .join(RSVP, RSVP.id == SeriesPart.rsvp_id)
        .join(SeriesRegistration, SeriesRegistration.id == SeriesPart.registration_id)
        .where(SeriesRegistration.event_id == event.id, RSVP.occurrence_id.in_(held))
        .group_by(SeriesPart.registration_id)
        .subquery()
    )
    totals = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(sa.case((per_registration.c.came == per_registration.c.parts, 1))), 0
            ),
        ).select_from(per_registration)
    ).one()
    registrations = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SeriesRegistration)
        .where(
            SeriesRegistration.event_id == event.id,
            SeriesRegistration.status != SignupStatus.cancelled,
        )
    )
    return {
        "per_date": per_date,
        "registrations": registrations,
        "with_held_parts": int(totals[0]),
        "came_to_all": int(totals[1]),
    }


__all__ = ["TokenError"]
