"""Sessions of a date: organizers' changes, people's choices, capacity and waitlists.

Capacity is decided under a row lock on the session (`SELECT ... FOR UPDATE` on PostgreSQL;
SQLite serializes writers itself), as RSVPs lock their occurrence. A person's choices are made
under a lock on their RSVP row, so that two submissions at once can never leave one person in two
sessions that overlap. Promotion from a session's waitlist is party-aware, as for RSVPs: a waiting
party is confirmed only when the whole party fits, in arrival order. Functions flush; the caller
commits once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from coalition import calendar_version
from coalition.db import utcnow
from coalition.events.models import Occurrence
from coalition.extensions import db
from coalition.languages import CONTENT_LANGUAGES
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.rsvps.operations import RSVPError
from coalition.sessions.models import EventSession, SessionSignup, SignupStatus

#: Sessions one date may have.
MAX_SESSIONS = 60


class SessionError(RSVPError):
    """Refused; `message` is for the person, `field` the form field it belongs to (an
    `RSVPError`, so that the RSVP form and API report it as theirs)."""


@dataclass
class SessionInput:
    title: str
    start_at: datetime
    end_at: datetime
    description: str | None = None
    room: str | None = None
    languages: list[str] = field(default_factory=list)
    has_interpretation: bool = False
    capacity: int | None = None


# Reading ------------------------------------------------------------------------------------


def sessions_of(occurrence_id: int) -> list[EventSession]:
    return list(
        db.session.scalars(
            sa.select(EventSession)
            .where(EventSession.occurrence_id == occurrence_id)
            .order_by(EventSession.start_at, EventSession.id)
        )
    )


def dates_with_sessions(occurrence_ids: list[int]) -> set[int]:
    """The dates among these that have sessions."""
    if not occurrence_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(EventSession.occurrence_id)
            .where(EventSession.occurrence_id.in_(occurrence_ids))
            .distinct()
        )
    )


def time_slots(sessions: list[EventSession]) -> list[list[EventSession]]:
    """Sessions grouped into time slots: sessions that overlap (directly or through another)
    share a slot, and a person picks at most one per slot."""
    slots: list[list[EventSession]] = []
    slot_end = None
    for session in sorted(sessions, key=lambda s: (s.start_at, s.id)):
        if slots and slot_end is not None and session.start_at < slot_end:
            slots[-1].append(session)
            slot_end = max(slot_end, session.end_at)
        else:
            slots.append([session])
            slot_end = session.end_at
    return slots


def headcounts(session_ids: list[int]) -> dict[int, dict[str, int]]:
    """People (parties counted) per session and status, in one query."""
    counts: dict[int, dict[str, int]] = {i: {} for i in session_ids}
    if not session_ids:
        return counts
    rows = db.session.execute(
        sa.select(SessionSignup.session_id, SessionSignup.status, sa.func.sum(RSVP.party_size))
        .join(RSVP, RSVP.id == SessionSignup.rsvp_id)
        .where(SessionSignup.session_id.in_(session_ids))
        .group_by(SessionSignup.session_id, SessionSignup.status)
    )
    for session_id, status, people in rows:
        counts[session_id][SignupStatus(status).value] = int(people or 0)
    return counts


def confirmed_headcount(session_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(RSVP.party_size), 0))
        .select_from(SessionSignup)
        .join(RSVP, RSVP.id == SessionSignup.rsvp_id)
        .where(
            SessionSignup.session_id == session_id,
            SessionSignup.status == SignupStatus.confirmed,
        )
    )


def seats_left(session: EventSession) -> int | None:
    if session.capacity is None:
        return None
    return max(session.capacity - confirmed_headcount(session.id), 0)


def outlook(sessions: list[EventSession], party_size: int) -> list[tuple[str, bool]]:
    """(title, waits) of each session chosen with a new RSVP, from the sessions' state before
    it: what the page after the form may say (the same for a known contact and a stranger)."""
    return [
        (s.title, (left := seats_left(s)) is not None and (party_size > left or _someone_waits(s)))
        for s in sessions
    ]


def spots_left_map(sessions: list[EventSession]) -> dict[int, int | None]:
    counts = headcounts([s.id for s in sessions])
    return {
        s.id: None if s.capacity is None else max(s.capacity - counts[s.id].get("confirmed", 0), 0)
        for s in sessions
    }


def signups_of(rsvp: RSVP, *, active_only: bool = True) -> list[SessionSignup]:
    if rsvp.id is None:
        return []
    query = (
        sa.select(SessionSignup)
        .join(EventSession, EventSession.id == SessionSignup.session_id)
        .where(SessionSignup.rsvp_id == rsvp.id)
        .order_by(EventSession.start_at, EventSession.id)
    )
    if active_only:
        query = query.where(SessionSignup.status != SignupStatus.cancelled)
    return list(db.session.scalars(query))


def agenda_lines(occurrence: Occurrence) -> list[str]:
    """The date's agenda as plain lines ("10:00–11:30 Title · Room · es, en"), in the event's
    zone, for the public feed's DESCRIPTION."""
    zone = occurrence.event.zone
    lines = []
    for session in sessions_of(occurrence.id):
        start = session.start_at.astimezone(zone).strftime("%H:%M")
        end = session.end_at.astimezone(zone).strftime("%H:%M")
        parts = [f"{start}–{end} {session.title}"]
        if session.room:
            parts.append(session.room)
        if session.languages:
            parts.append(", ".join(session.languages))
        if session.has_interpretation:
            parts.append(str(_l("interpretation")))
        lines.append(" · ".join(parts))
    return lines


# Organizers ----------------------------------------------------------------------------------


def _validate(occurrence: Occurrence, data: SessionInput) -> None:
    data.title = (data.title or "").strip()
    if not data.title:
        raise SessionError(_l("Give the session a title."), "title")
    if data.end_at <= data.start_at:
        raise SessionError(_l("A session ends after it starts."), "end")
    if data.start_at < occurrence.start_at or data.end_at > occurrence.end_at:
        raise SessionError(_l("A session happens within its date's start and end."), "start")
    if data.capacity is not None and data.capacity < 1:
        raise SessionError(_l("Seats must be at least 1 (or empty: no limit)."), "capacity")
    unknown = [code for code in data.languages if code not in CONTENT_LANGUAGES]
    if unknown:
        raise SessionError(_l("Unknown language: %(value)s", value=unknown[0]), "languages")


def _apply(session: EventSession, data: SessionInput) -> None:
    session.title = data.title[:200]
    session.description = (data.description or "").strip() or None
    session.start_at, session.end_at = data.start_at, data.end_at
    session.room = (data.room or "").strip()[:120] or None
    session.languages = list(data.languages)
    session.has_interpretation = data.has_interpretation
    session.capacity = data.capacity


def create_session(occurrence: Occurrence, data: SessionInput) -> EventSession:
    _validate(occurrence, data)
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(EventSession)
        .where(EventSession.occurrence_id == occurrence.id)
    )
    if count >= MAX_SESSIONS:
        raise SessionError(_l("A date has at most %(n)d sessions.", n=MAX_SESSIONS), "title")
    session = EventSession(occurrence=occurrence)
    _apply(session, data)
    db.session.add(session)
    db.session.flush()
    return session


def update_session(session: EventSession, data: SessionInput, now: datetime | None = None) -> None:
    """Change a session; a new time may not put anyone in two sessions at once."""
    now = now or utcnow()
    _validate(session.occurrence, data)
    session = lock_session(session)
    moved = (data.start_at, data.end_at) != (session.start_at, session.end_at)
    shown = (session.title, session.room)
    _apply(session, data)
    if moved or shown != (session.title, session.room):
        session.sequence += 1  # its people's calendars must show the change
    if db.session.is_modified(session):
        _touch_people(session, now)
    db.session.flush()
    if moved:
        clashes = _people_with_clashes(session)
        if clashes:
            raise SessionError(
                lazy_ngettext(
                    "At this time %(num)d person would have two sessions at once; move them "
                    "first.",
                    "At this time %(num)d people would have two sessions at once; move them "
                    "first.",
                    clashes,
                ),
                "start",
            )  # fmt: skip
    promote(session, now=now)


def _people_with_clashes(session: EventSession) -> int:
    mine = sa.select(SessionSignup.rsvp_id).where(
        SessionSignup.session_id == session.id, SessionSignup.status != SignupStatus.cancelled
    )
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(SessionSignup.rsvp_id)))
        .join(EventSession, EventSession.id == SessionSignup.session_id)
        .where(
            SessionSignup.rsvp_id.in_(mine),
            SessionSignup.session_id != session.id,
            SessionSignup.status != SignupStatus.cancelled,
            EventSession.start_at < session.end_at,
            EventSession.end_at > session.start_at,
        )
    )


def _touch_people(session: EventSession, now: datetime) -> None:
    """The session's people see it in their private feeds: each one's calendar version
    (`user:<id>`) is raised when the transaction commits (`coalition.calendar_version`)."""
    user_ids = db.session.scalars(
        sa.select(RSVP.user_id)
        .join(SessionSignup, SessionSignup.rsvp_id == RSVP.id)
        .where(SessionSignup.session_id == session.id,
               SessionSignup.status != SignupStatus.cancelled, RSVP.user_id.is_not(None))
    )  # fmt: skip
    _private_feeds_change(user_ids)


def _private_feeds_change(user_ids) -> None:
    """Raise these people's calendar versions at commit, without writing their RSVP rows: a
    session's lock is held here, and writing (or locking) another person's RSVP under it could
    deadlock with that person's own change, which locks their RSVP first and the session next."""
    keys = {calendar_version.user_key(user_id) for user_id in user_ids if user_id is not None}
    if keys:
        calendar_version.bump(db.session, *keys)


def follow_moved_dates(event, moved: dict[int, datetime], now: datetime | None = None) -> None:
    """Dates of `event` moved (`moved`: occurrence id → its start before): each of their
    sessions moves by the date's move on the event's wall clock (a 10:00 workshop of a 10:00
    date stays at 10:00 across a daylight-saving change), and its people's feeds follow."""
    now = now or utcnow()
    zone = event.zone
    sessions = db.session.scalars(
        sa.select(EventSession)
        .where(EventSession.occurrence_id.in_(list(moved)))
        .order_by(EventSession.id)
    ).all()
    for session in sessions:
        before = moved[session.occurrence_id].astimezone(zone).replace(tzinfo=None)
        delta = session.occurrence.start_at.astimezone(zone).replace(tzinfo=None) - before
        if not delta:
            continue
        for column in ("start_at", "end_at"):
            local = getattr(session, column).astimezone(zone).replace(tzinfo=None) + delta
            setattr(session, column, local.replace(tzinfo=zone).astimezone(UTC))
        session.sequence += 1
        _touch_people(session, now)
    db.session.flush()


def delete_session(session: EventSession, now: datetime | None = None) -> None:
    """Remove a session; its sign-ups go with it (the database cascades), and its people's
    private feeds and the counts are refreshed."""
    _touch_people(session, now or utcnow())
    db.session.delete(session)
    db.session.flush()
    calendar_version.bump(db.session, calendar_version.ATTENDANCE)  # the cascade is not seen


# Capacity ------------------------------------------------------------------------------------


def lock_session(session: EventSession) -> EventSession:
    return db.session.scalars(
        sa.select(EventSession)
        .where(EventSession.id == session.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _lock_rsvp(rsvp: RSVP) -> RSVP:
    # FOR NO KEY UPDATE: rows that only point at the RSVP (an outbox message queued by another
    # transaction's promotion) are not held up by it.
    return db.session.scalars(
        sa.select(RSVP)
        .where(RSVP.id == rsvp.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).one()


def _rsvp_holds_its_seat():
    """Sign-ups that may hold (or be offered) a seat: their RSVP has a seat on the date. A
    person still waiting for the date (waitlisted, pending) waits in their sessions too."""
    return SessionSignup.rsvp_id.in_(
        sa.select(RSVP.id).where(RSVP.id == SessionSignup.rsvp_id,
                                 RSVP.status == RSVPStatus.confirmed)
    )  # fmt: skip


def _someone_waits(session: EventSession, signup: SessionSignup | None = None) -> bool:
    clauses = [
        SessionSignup.session_id == session.id,
        SessionSignup.status == SignupStatus.waitlisted,
        _rsvp_holds_its_seat(),
    ]
    if signup is not None and signup.id is not None:
        clauses.append(SessionSignup.id != signup.id)
    return bool(db.session.scalar(sa.select(sa.exists().where(*clauses))))


def _wait(signup: SessionSignup, now: datetime) -> None:
    signup.status = SignupStatus.waitlisted
    signup.waitlisted_at = now
    signup.confirmed_at = None


def _place(session: EventSession, signup: SessionSignup, party: int, now: datetime) -> None:
    """Confirm if the party fits and nobody waits ahead, else waitlist (README: "Waitlist
    fairness", as for RSVPs). A person without a seat on the date waits for one here too. The
    caller holds the session's lock."""
    if signup.rsvp.status != RSVPStatus.confirmed:
        _wait(signup, now)
        return
    left = seats_left(session)
    if left is None or (party <= left and not _someone_waits(session, signup)):
        signup.status = SignupStatus.confirmed
        signup.confirmed_at = now
        signup.waitlisted_at = None
    else:
        signup.status = SignupStatus.waitlisted
        signup.waitlisted_at = now


def _check_no_overlap(sessions: list[EventSession]) -> None:
    ordered = sorted(sessions, key=lambda s: (s.start_at, s.id))
    for first, second in itertools.pairwise(ordered):
        if first.overlaps(second):
            raise SessionError(
                _l("“%(a)s” and “%(b)s” happen at the same time: choose one.",
                   a=first.title, b=second.title),
                "sessions",
            )  # fmt: skip


def parse_choice(occurrence: Occurrence, raw_values) -> list[EventSession]:
    """Session ids as typed (form or JSON) → this date's sessions; refuses unknown ids and two
    sessions at the same time."""
    ids = set()
    for raw in raw_values:
        if raw in (None, ""):
            continue
        try:
            ids.add(int(raw))
        except (TypeError, ValueError):
            raise SessionError(_l("Choose sessions from the list."), "sessions") from None
    if not ids:
        return []
    chosen = [s for s in sessions_of(occurrence.id) if s.id in ids]
    if len(chosen) != len(ids):
        raise SessionError(_l("Choose sessions from the list."), "sessions")
    _check_no_overlap(chosen)
    return chosen


def choose(rsvp: RSVP, sessions: list[EventSession], now: datetime | None = None) -> None:
    """Make `sessions` the person's sessions of this date (a seat in each where it fits, else
    its waitlist); sessions left out are given up and their seats offered to who waits."""
    now = now or utcnow()
    if not rsvp.is_active:
        raise SessionError(_l("This RSVP is cancelled."), "sessions", status=409)
    if any(s.occurrence_id != rsvp.occurrence_id for s in sessions):
        raise SessionError(_l("Choose sessions from the list."), "sessions")
    _check_no_overlap(sessions)
    rsvp = _lock_rsvp(rsvp)
    current = {s.session_id: s for s in signups_of(rsvp, active_only=False)}
    active = {sid for sid, s in current.items() if s.is_active}
    wanted = {s.id for s in sessions}
    touched = sorted(active ^ wanted)
    if not touched:
        return
    locked = {sid: lock_session(db.session.get(EventSession, sid)) for sid in touched}
    freed = []
    for sid in sorted(active - wanted):
        signup = current[sid]
        if signup.status == SignupStatus.confirmed:
            freed.append(locked[sid])
        signup.status = SignupStatus.cancelled
        signup.cancelled_at = now
    db.session.flush()
    for sid in sorted(wanted - active):
        signup = current.get(sid)
        if signup is None:
            # Takes no seat until placed (a flush before `_place` must not count it).
            signup = SessionSignup(session=locked[sid], rsvp=rsvp, status=SignupStatus.cancelled)
            db.session.add(signup)
        signup.cancelled_at = None
        _place(locked[sid], signup, rsvp.party_size, now)
        db.session.flush()
    rsvp.updated_at = now  # the person's private feed changes with their sessions
    for session in freed:
        promote(session, now=now)
    db.session.flush()


def release_for_rsvp(rsvp: RSVP, now: datetime | None = None) -> None:
    """The RSVP is cancelled, declined or erased: its sessions' seats go to who waits."""
    now = now or utcnow()
    signups = signups_of(rsvp)
    if not signups:
        return
    freed = []
    for signup in sorted(signups, key=lambda s: s.session_id):
        session = lock_session(signup.session)
        if signup.status == SignupStatus.confirmed:
            freed.append(session)
        signup.status = SignupStatus.cancelled
        signup.cancelled_at = now
    db.session.flush()
    for session in freed:
        promote(session, now=now)


def follow_rsvp(rsvp: RSVP, now: datetime | None = None) -> None:
    """The RSVP's status changed (it is still active): a seat on the date lets its waiting
    sign-ups take their place in each session's queue (arrival order, whole parties); losing
    it (waitlisted, pending again) gives up its session seats to who waits."""
    now = now or utcnow()
    signups = signups_of(rsvp)
    if rsvp.status == RSVPStatus.confirmed:
        waiting = [s for s in signups if s.status == SignupStatus.waitlisted]
        for signup in sorted(waiting, key=lambda s: s.session_id):
            promote(lock_session(signup.session), now=now)
        return
    held = [s for s in signups if s.status == SignupStatus.confirmed]
    if not held:
        return
    freed = []
    for signup in sorted(held, key=lambda s: s.session_id):
        freed.append(lock_session(signup.session))
        _wait(signup, now)
    rsvp.updated_at = now  # the person's private feed loses these sessions
    db.session.flush()
    for session in freed:
        promote(session, now=now)


def party_changed(rsvp: RSVP, previous: int, now: datetime | None = None) -> None:
    """The party grew or shrank (already flushed): in each session where it holds seats a
    growth must fit, as on the date (else refused, nothing saved: the caller rolls back); seats
    freed, or a smaller party that now fits, go to who waits."""
    now = now or utcnow()
    grow = rsvp.party_size - previous
    for signup in sorted(signups_of(rsvp), key=lambda s: s.session_id):
        session = lock_session(signup.session)
        if grow > 0 and signup.status == SignupStatus.confirmed and session.capacity is not None:
            taken = confirmed_headcount(session.id)  # counts the party at its new size
            if taken > session.capacity:
                more = max(session.capacity - taken + grow, 0)
                raise SessionError(
                    lazy_ngettext("Only %(num)d more seat is free in “%(title)s”.",
                                  "Only %(num)d more seats are free in “%(title)s”.", more,
                                  title=session.title),
                    "party_size", status=409,
                )  # fmt: skip
        elif grow < 0 or signup.status == SignupStatus.waitlisted:
            promote(session, now=now)


def promote(session: EventSession, now: datetime | None = None) -> list[SessionSignup]:
    """Confirm waiting parties in arrival order while their whole party fits (only people with
    a seat on the date). The caller holds the session's lock."""
    now = now or utcnow()
    left = seats_left(session)
    waiting = db.session.scalars(
        sa.select(SessionSignup)
        .where(
            SessionSignup.session_id == session.id,
            SessionSignup.status == SignupStatus.waitlisted,
            _rsvp_holds_its_seat(),
        )
        .order_by(SessionSignup.waitlisted_at, SessionSignup.id)
    ).all()
    promoted = []
    for signup in waiting:
        party = signup.rsvp.party_size
        if left is not None and party > left:
            continue
        signup.status = SignupStatus.confirmed
        signup.confirmed_at = now
        signup.waitlisted_at = None
        promoted.append(signup)
        if left is not None:
            left -= party
            if left <= 0:
                break
    db.session.flush()
    _private_feeds_change(signup.rsvp.user_id for signup in promoted)
    for signup in promoted:
        _tell_promoted(signup)
    return promoted


def _tell_promoted(signup: SessionSignup) -> None:
    """The person learns their seat in the session (email, else a text), in their language."""
    from coalition.rsvps.operations import mail_rsvp

    rsvp = signup.rsvp
    title = rsvp.occurrence.event.translation(rsvp.language).title
    mail_rsvp(rsvp, kind="session_promoted", template="sessions/promoted",
              subject=_l("A seat opened up for you: %(title)s", title=title),
              session_title=signup.session.title)  # fmt: skip


def capacity_changed(session: EventSession, now: datetime | None = None) -> None:
    promote(lock_session(session), now=now)


def move(signup: SessionSignup, target: EventSession, now: datetime | None = None, *,
         over_capacity: bool = False) -> None:  # fmt: skip
    """An organizer moves a person to another session of the same date: a seat there if the
    party fits (else refused, unless the organizer said `over_capacity`: then past its seats),
    never two sessions at once; the seat left goes to who waits."""
    now = now or utcnow()
    source = signup.session
    if target.occurrence_id != source.occurrence_id:
        raise SessionError(_l("Choose a session of the same date."), "target")
    if target.id == source.id or not signup.is_active:
        return
    rsvp = _lock_rsvp(signup.rsvp)
    others = [s.session for s in signups_of(rsvp) if s.id != signup.id]
    _check_no_overlap([*others, target])
    first, second = sorted([source, target], key=lambda s: s.id)
    locked = {s.id: lock_session(s) for s in (first, second)}
    seated = rsvp.status == RSVPStatus.confirmed
    left = seats_left(locked[target.id])
    if seated and left is not None and rsvp.party_size > left and not over_capacity:
        raise SessionError(
            _l("“%(title)s” is full: tick “even over capacity” to move them anyway.",
               title=target.title),
            "target", status=409,
        )  # fmt: skip
    held_seat = signup.status == SignupStatus.confirmed
    signup.status = SignupStatus.cancelled
    signup.cancelled_at = now
    existing = db.session.scalar(
        sa.select(SessionSignup).where(
            SessionSignup.session_id == target.id, SessionSignup.rsvp_id == rsvp.id
        )
    )
    moved = existing or SessionSignup(session=locked[target.id], rsvp=rsvp)
    db.session.add(moved)
    moved.cancelled_at = None
    if seated:
        moved.status = SignupStatus.confirmed
        moved.confirmed_at = now
        moved.waitlisted_at = None
    else:  # no seat on the date yet: waits in the new session as it did in the old one
        moved.status = SignupStatus.waitlisted
        moved.waitlisted_at = signup.waitlisted_at or now
        moved.confirmed_at = None
    rsvp.updated_at = now
    db.session.flush()
    if held_seat:
        promote(locked[source.id], now=now)


def people(session: EventSession) -> list[SessionSignup]:
    """A session's sign-ups (not cancelled, personal data not erased) in arrival order."""
    return list(
        db.session.scalars(
            sa.select(SessionSignup)
            .join(RSVP, RSVP.id == SessionSignup.rsvp_id)
            .where(
                SessionSignup.session_id == session.id,
                SessionSignup.status != SignupStatus.cancelled,
                RSVP.status.in_([RSVPStatus.confirmed, RSVPStatus.waitlisted, RSVPStatus.pending]),
            )
            .order_by(SessionSignup.status, SessionSignup.created_at, SessionSignup.id)
        )
    )
