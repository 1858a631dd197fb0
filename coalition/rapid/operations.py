"""Everything that changes the roster, alerts and answers. Flushes, never commits.

An alert is sent in the caller's transaction: every matching responder gets an `Answer` row
(their private link) and a text and/or an email queued in the outbox, so the whole alert commits
at once or not at all; the worker's delivery then sends it.
"""

from __future__ import annotations

import enum
import functools
import secrets
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from coalition.core import same_work
from coalition.db import utcnow
from coalition.erasure import erase_where
from coalition.events.formatting import format_short_moment
from coalition.events.models import Event, Occurrence
from coalition.events.towns import public_town
from coalition.extensions import db
from coalition.i18n import date_locale
from coalition.languages import message_locale
from coalition.mail.models import OutgoingEmail
from coalition.mail.operations import queue_email
from coalition.orgs.models import Organization
from coalition.rapid.availability import is_available
from coalition.rapid.labels import KIND_LABELS
from coalition.rapid.live import opened
from coalition.rapid.models import (
    Alert,
    AlertMessage,
    AlertSummary,
    AlertUpdate,
    Answer,
    AnswerState,
    Responder,
    TrainingInvitation,
)
from coalition.rsvps.models import RSVP
from coalition.rsvps.operations import lock_occurrence, record_access
from coalition.shortlinks.operations import short_answer_url
from coalition.sms import numbers
from coalition.sms.models import SmsNumber
from coalition.sms.operations import queue_sms
from coalition.tokens import make_token, read_token
from coalition.urls import external_url

#: How long an invitation link to join a roster works.
INVITE_MAX_AGE = 14 * 24 * 3600
#: Texts about an alert are not sent later than this after it was queued (stale by then).
ALERT_TEXT_LIFETIME = timedelta(hours=2)
#: Drills are erased this long after they were sent, closed or not.
DRILL_LIFETIME = timedelta(days=1)


def town_key(town: str) -> str:
    return " ".join((town or "").split()).casefold()


# The roster -------------------------------------------------------------------------------------


def invitation_url(org: Organization) -> str:
    """A signed link to join `org`'s roster, valid `INVITE_MAX_AGE`."""
    return external_url("rapid.join", token=make_token("rapid.join", {"org": org.id}))


def training_invitation_url(invitation: TrainingInvitation) -> str:
    """A checked-in attendee's own link to join: signed, valid `INVITE_MAX_AGE`, short enough
    for a text (ids only: the training's title and date are read from its calendar date)."""
    payload = [invitation.org_id, invitation.id]  # a list: a shorter token than a dict
    return external_url("rapid.join", token=make_token("rapid.join", payload))


@dataclass
class Invitation:
    """What a valid invitation link stands for."""

    org: Organization
    #: Set for a training's invitation: the training is recorded when the person joins.
    training: TrainingInvitation | None = None
    training_name: str = ""
    trained_on: date | None = None
    #: The language the invitation was written in (the form's default).
    locale: str | None = None


def read_invitation(token: str) -> Invitation | None:
    """What a valid invitation is for (TokenError when expired or tampered with; None when its
    organization is gone or suspended, or a training invitation was used or its RSVP erased)."""
    data = read_token("rapid.join", token, max_age=INVITE_MAX_AGE)
    if isinstance(data, list) and len(data) == 2:
        org_id, training_id = data  # a training's invitation
    else:
        org_id, training_id = (data.get("org") if isinstance(data, dict) else 0), None
    org = db.session.get(Organization, int(org_id or 0))
    if org is None or not org.is_active:
        return None
    if training_id is None:
        return Invitation(org)
    invitation = db.session.get(TrainingInvitation, int(training_id))
    if (
        invitation is None
        or invitation.org_id != org.id
        or invitation.used_at is not None
        or invitation.rsvp.erased_at is not None
    ):
        return None
    name, day = training_of(invitation.occurrence, invitation.rsvp.language)
    return Invitation(org, invitation, name, day, message_locale(invitation.rsvp.language))


def training_of(occurrence: Occurrence, language: str | None) -> tuple[str, date]:
    """A training date's title (in `language` when translated) and its day in the event's zone."""
    event = occurrence.event
    return event.translation(language).title[:160], occurrence.local_start.date()


@dataclass
class ResponderInput:
    name: str
    email: str | None
    phone: str | None
    use_sms: bool
    use_email: bool
    locale: str
    towns: list[str]
    languages: list[str]
    roles: list[str]
    training: str
    trained_on: object
    is_always: bool
    weekly_hours: list = field(default_factory=list)
    zone: str = "America/New_York"
    #: The calendar date of the training, when joining from its invitation.
    training_occurrence_id: int | None = None


def manage_url(responder: Responder) -> str:
    return external_url("rapid.me", responder_id=responder.id, secret=responder.manage_secret)


def _apply(responder: Responder, data: ResponderInput) -> None:
    responder.name = data.name
    responder.email = data.email or None
    responder.phone = data.phone or None
    responder.use_sms = data.use_sms and bool(data.phone)
    responder.use_email = data.use_email and bool(data.email)
    if not responder.use_sms and not responder.use_email:
        # Reached somehow: by whatever contact was given.
        responder.use_sms, responder.use_email = bool(data.phone), bool(data.email)
    responder.locale = message_locale(data.locale)
    responder.towns = list(dict.fromkeys(town_key(t) for t in data.towns if town_key(t)))
    responder.languages = list(dict.fromkeys(data.languages))
    responder.roles = list(dict.fromkeys(data.roles))
    if data.training_occurrence_id is not None:
        responder.training_occurrence_id = data.training_occurrence_id
    elif (responder.training, responder.trained_on) != (data.training, data.trained_on):
        responder.training_occurrence_id = None  # changed by hand: no longer that date's
    responder.training = data.training
    responder.trained_on = data.trained_on
    responder.is_always = data.is_always
    responder.weekly_hours = [] if data.is_always else data.weekly_hours
    responder.zone = data.zone


def _existing(org: Organization, data: ResponderInput) -> Responder | None:
    from coalition.crypto import email_hash, phone_hash

    conditions = []
    if data.email:
        conditions.append(Responder.email_hash == email_hash(data.email))
    if data.phone:
        conditions.append(Responder.phone_hash == phone_hash(data.phone))
    if not conditions:
        return None
    return db.session.scalar(
        sa.select(Responder).where(Responder.org_id == org.id, sa.or_(*conditions)).limit(1)
    )


def join(
    org: Organization, data: ResponderInput, training: TrainingInvitation | None = None
) -> Responder:
    """Add someone to the roster and send them their private link.

    Possession, not knowledge: when the phone or email is already on this roster nothing is
    changed and that responder is sent their own link; the page says the same either way.
    A training's invitation works once: it is marked used either way.
    """
    if training is not None:
        training.used_at = utcnow()
    existing = _existing(org, data)
    # The same work either way (`coalition.core.same_work`): a known contact's row is written
    # as a stranger's would be, then rolled back.
    with same_work.tried(keep=existing is None):
        responder = Responder(org_id=org.id, manage_secret=secrets.token_urlsafe(24))
        _apply(responder, data)
        if existing is not None:
            same_work.stand_in(responder, "email", "phone")
        db.session.add(responder)
    responder = existing or responder
    send_link(responder, org)
    return responder


def send_link(responder: Responder, org: Organization) -> None:
    url = manage_url(responder)
    texted = None
    if responder.use_sms and responder.phone:
        texted = queue_sms(
            to=responder.phone, kind="rapid_link", template="rapid/link",
            locale=responder.locale, org_id=org.id, org_name=org.name, link=url,
        )  # fmt: skip
    if texted is None and responder.email:
        queue_email(
            to=responder.email, kind="rapid_link",
            subject=_l("Your rapid response link: %(org)s", org=org.name),
            template="rapid/link", locale=responder.locale, org_name=org.name, link=url,
        )  # fmt: skip


def update_responder(responder: Responder, data: ResponderInput) -> None:
    _apply(responder, data)
    db.session.flush()


def set_paused(responder: Responder, paused: bool) -> None:
    responder.is_paused = paused
    db.session.flush()


def leave(responder: Responder) -> None:
    """Remove a responder from the roster at once: their row, and the messages sent to them.
    Their answers to past alerts stay as counts (no name, no contact)."""

    answer_ids = sa.select(Answer.id).where(Answer.responder_id == responder.id)
    erase_where(
        OutgoingEmail,
        OutgoingEmail.id.in_(
            sa.select(AlertMessage.message_id).where(AlertMessage.answer_id.in_(answer_ids))
        ),
        utcnow(),
    )
    db.session.execute(
        sa.update(Answer)
        .where(Answer.responder_id == responder.id)
        .values(responder_id=None, phone_hash=None)
        .execution_options(synchronize_session=False)
    )
    db.session.delete(responder)
    db.session.flush()


#: How the roster can be sorted: by arrival, or by the date of the training.
ROSTER_SORTS = ("joined", "trained_newest", "trained_oldest")


def roster(
    org: Organization,
    *,
    trained_from: date | None = None,
    trained_to: date | None = None,
    sort: str = "joined",
) -> list[Responder]:
    """The responders, optionally trained between two days (inclusive); people with no
    training date come last when sorting by it."""
    query = sa.select(Responder).where(Responder.org_id == org.id)
    if trained_from is not None:
        query = query.where(Responder.trained_on >= trained_from)
    if trained_to is not None:
        query = query.where(Responder.trained_on <= trained_to)
    if sort == "trained_newest":
        query = query.order_by(Responder.trained_on.is_(None), Responder.trained_on.desc())
    elif sort == "trained_oldest":
        query = query.order_by(Responder.trained_on.is_(None), Responder.trained_on)
    return list(db.session.scalars(query.order_by(Responder.id)))


# Trainings of the calendar ----------------------------------------------------------------------

#: The event type whose dates are rapid-response trainings (a default type; its slug is stable).
TRAINING_TYPE = "training"


def is_training(event: Event) -> bool:
    return event.type is not None and event.type.slug == TRAINING_TYPE


@dataclass
class TrainingReach:
    """The dashboard's counts for the invitation button."""

    checked_in: int
    invited: int
    #: How long their links work.
    days: int = INVITE_MAX_AGE // 86400

    @property
    def to_invite(self) -> int:
        return self.checked_in - self.invited


def _checked_in(occurrence: Occurrence):
    return sa.and_(
        RSVP.occurrence_id == occurrence.id,
        RSVP.checked_in_at.is_not(None),
        RSVP.erased_at.is_(None),
    )


def training_reach(occurrence: Occurrence) -> TrainingReach:
    """Checked-in attendees (not erased), and how many of them were already invited (one
    query)."""
    checked_in, invited = db.session.execute(
        sa.select(sa.func.count(RSVP.id), sa.func.count(TrainingInvitation.id))
        .outerjoin(TrainingInvitation, TrainingInvitation.rsvp_id == RSVP.id)
        .where(_checked_in(occurrence))
    ).one()
    return TrainingReach(int(checked_in), int(invited))


@dataclass
class TrainingInvitesSent:
    #: Messages queued: by email, by text.
    emails: int = 0
    texts: int = 0
    #: Checked in but not reachable (no contact, texts off, the number stopped or failed).
    unreachable: int = 0

    @property
    def sent(self) -> int:
        return self.emails + self.texts


def invite_trainees(occurrence: Occurrence, user) -> TrainingInvitesSent:
    """Invite each checked-in attendee not yet invited for this date to the host's roster: one
    message each (email, else a text to people who gave only a phone), in their language,
    tied to their RSVP (erased with it), with their own signed link. Under a lock on the
    date, so two organizers pressing at once invite nobody twice. Joining stays each person's
    choice: nothing is added to the roster here."""
    lock_occurrence(occurrence)
    event = occurrence.event
    org = event.host_org
    rsvps = list(
        db.session.scalars(
            sa.select(RSVP)
            .where(_checked_in(occurrence))
            .where(~sa.exists().where(TrainingInvitation.rsvp_id == RSVP.id))
            .order_by(RSVP.id)
        )
    )
    texts_on = numbers.sms_available()
    blocked = numbers.problems([r.phone for r in rsvps if r.phone and not r.email])
    result = TrainingInvitesSent()
    chosen: list[tuple[RSVP, TrainingInvitation]] = []
    now = utcnow()
    for rsvp in rsvps:
        if not rsvp.email and not (rsvp.phone and texts_on and rsvp.phone not in blocked):
            result.unreachable += 1
            continue
        invitation = TrainingInvitation(
            rsvp_id=rsvp.id, occurrence_id=occurrence.id, org_id=org.id,
            invited_by_id=user.id if user is not None else None, invited_at=now,
        )  # fmt: skip
        db.session.add(invitation)
        chosen.append((rsvp, invitation))
    db.session.flush()
    for rsvp, invitation in chosen:
        locale = message_locale(rsvp.language)
        name, day = training_of(occurrence, rsvp.language)
        context = {"org_name": org.name, "training": name, "day": day,
                   "link": training_invitation_url(invitation),
                   "days": INVITE_MAX_AGE // 86400}  # fmt: skip
        if rsvp.email:
            queue_email(
                to=rsvp.email, kind="rapid_training_invite", about_rsvp=rsvp,
                subject=_l("Join the rapid response network of %(org)s", org=org.name),
                template="rapid/training_invite", locale=locale, **context,
            )  # fmt: skip
            result.emails += 1
        else:
            # A text holds little (201 characters with one accent): the short date.
            short_day = format_date(day, "medium", locale=date_locale(locale))
            queue_sms(
                to=rsvp.phone, kind="rapid_training_invite", template="rapid/training_invite",
                locale=locale, org_id=org.id, about_rsvp=rsvp, short_day=short_day, **context,
            )  # fmt: skip
            result.texts += 1
    db.session.flush()
    return result


def audit(user, org: Organization, action: str, alert: Alert | None = None) -> None:
    """Every look at the roster or an alert leaves an entry in the organization's audit log."""
    record_access(user, org.id, action, detail=f"alert {alert.id}" if alert else None)


# Alerts -----------------------------------------------------------------------------------------


@dataclass
class AlertInput:
    kind: str
    town: str
    place: str
    happens_at: datetime
    zone: str
    needed: int
    roles: list[str]
    note: str | None
    language: str
    is_drill: bool = False
    ring_size: int | None = None
    ring_minutes: int | None = None


class SkipReason(enum.StrEnum):
    """Why a responder of the organization was not alerted, the first that holds, in this order."""

    #: They paused their alerts (their choice: never overridden).
    paused = "paused"
    #: Their towns do not hold the alert's.
    town = "town"
    #: None of the roles the alert asks for.
    role = "role"
    #: They do not speak the alert's language.
    language = "language"
    #: Outside their weekly hours now.
    hours = "hours"
    #: No way to reach them: texts stopped, failed or off, and no email (never overridden).
    unreachable = "unreachable"
    #: They match, and wait for the next wave.
    wave = "wave"


#: Reasons a dispatcher may set aside ("alert them anyway"); a pause or a STOP is never.
OVERRIDABLE = (SkipReason.hours, SkipReason.town, SkipReason.language, SkipReason.role,
               SkipReason.wave)  # fmt: skip


@dataclass
class Skipped:
    """The responders not alerted for an alert, by reason (names: dispatchers' pages only)."""

    by_reason: dict[SkipReason, list[Responder]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {reason.value: len(people) for reason, people in self.by_reason.items()}

    def overridable(self, reason: SkipReason | None = None) -> list[Responder]:
        reasons = OVERRIDABLE if reason is None else [r for r in OVERRIDABLE if r == reason]
        return [r for reason in reasons for r in self.by_reason.get(reason, [])]

    @property
    def total(self) -> int:
        return sum(len(people) for people in self.by_reason.values())


class _Reach:
    """Who texts and emails reach, read once for a roster (one query however many), by the
    contacts' keyed hashes: no number is decrypted to tell."""

    def __init__(self, responders: list[Responder]):
        self.texts_on = numbers.sms_available()
        self.blocked = set(
            numbers.problems_by_key(
                r.phone_hash for r in responders if r.use_sms and r.phone_hash and self.texts_on
            )
        )

    def reaches(self, responder: Responder) -> bool:
        texts = bool(
            responder.use_sms and responder.phone_hash and self.texts_on
            and responder.phone_hash not in self.blocked
        )  # fmt: skip
        return texts or bool(responder.email_hash)


def skip_reason(alert: Alert, responder: Responder, now: datetime, reach: _Reach):
    """The first reason `responder` is not alerted for `alert` at `now`, or None."""
    if responder.is_paused:
        return SkipReason.paused
    if town_key(alert.town) not in responder.towns:
        return SkipReason.town
    if alert.roles and not set(alert.roles).intersection(responder.roles):
        return SkipReason.role
    if alert.language and alert.language not in responder.languages:
        return SkipReason.language
    if not is_available(
        always=responder.is_always, hours=responder.weekly_hours, zone=responder.zone, at=now
    ):
        return SkipReason.hours
    if not reach.reaches(responder):
        return SkipReason.unreachable
    return None


def _token(column):
    """An encrypted column read as its stored token (opened with `live.opened`)."""
    return sa.type_coerce(column, sa.Text).label(column.key)


class _MatchRow(NamedTuple):
    """What deciding whether a responder is alerted reads of them (`skip_reason`, `_Reach`),
    and what the dispatcher's page shows of a skipped one: no contact, only the name opened."""

    id: int
    name: str
    is_paused: bool
    towns: list
    roles: list
    languages: list
    is_always: bool
    weekly_hours: list
    zone: str
    use_sms: bool
    phone_hash: str | None
    email_hash: str | None


_MATCH_COLUMNS = (Responder.id, _token(Responder.name), Responder.is_paused, Responder.towns,
                  Responder.roles, Responder.languages, Responder.is_always,
                  Responder.weekly_hours, Responder.zone, Responder.use_sms,
                  Responder.phone_hash, Responder.email_hash)  # fmt: skip


def _roster_of(alert: Alert, *, not_alerted: bool = False, contacts: bool = True) -> list:
    """The organization's responders; `not_alerted`: only those the alert has not reached;
    without `contacts`, `_MatchRow`s (a list that names them only: no email or phone read,
    no ORM object)."""
    query = (sa.select(Responder) if contacts else sa.select(*_MATCH_COLUMNS)).where(
        Responder.org_id == alert.org_id
    )
    if not_alerted:
        # NOT IN a hashed list of the alert's responders: one pass over each table whatever
        # the planner guesses of their sizes (a correlated NOT EXISTS ran as a nested loop,
        # 800 x 800 rows, when the statistics predated the alert's answers).
        alerted = sa.select(Answer.responder_id).where(
            Answer.alert_id == alert.id, Answer.responder_id.is_not(None)
        )
        query = query.where(Responder.id.not_in(alerted))
    query = query.order_by(Responder.id)
    if contacts:
        return list(db.session.scalars(query))
    open_ = opened().open
    return [_MatchRow(row[0], open_(row[1]), *row[2:]) for row in db.session.execute(query)]


def _nearest_first(alert: Alert, responders: list[Responder]) -> list[Responder]:
    key = town_key(alert.town)
    far = len(responders) + 1
    return sorted(responders, key=lambda r: (r.towns.index(key) if key in r.towns else far, r.id))


def matching(alert: Alert, now: datetime, *, exclude: set[int] = frozenset()) -> list[Responder]:
    """Responders of the alert's organization who can go now: not paused, reaching its town,
    holding one of its roles, speaking its language, available at `now` in their own zone, and
    reachable (texts not stopped, or an email). Those who put the town first (their nearest)
    come first."""
    responders = [r for r in _roster_of(alert) if r.id not in exclude]
    reach = _Reach(responders)
    found = [r for r in responders if skip_reason(alert, r, now, reach) is None]
    return _nearest_first(alert, found)


def skipped(alert: Alert, now: datetime, *, contacts: bool = True) -> Skipped:
    """The organization's responders not alerted for `alert`, each with the first reason that
    holds at `now` (those who match and wait for the next wave: `wave`). Without `contacts`
    their emails and phones are not read (the dispatcher's page names them only)."""
    responders = _roster_of(alert, not_alerted=True, contacts=contacts)
    reach = _Reach(responders)
    result = Skipped()
    for responder in _nearest_first(alert, responders):
        reason = skip_reason(alert, responder, now, reach) or SkipReason.wave
        result.by_reason.setdefault(reason, []).append(responder)
    result.by_reason = {r: result.by_reason[r] for r in SkipReason if r in result.by_reason}
    return result


def alert_more(
    alert: Alert,
    *,
    reason: str | None = None,
    responder_ids: list[int] = (),
    now: datetime | None = None,
) -> int:
    """The dispatcher alerts responders skipped for a reason they may set aside (all of one
    `reason`, or the chosen `responder_ids`), as one more ring; returns how many. A paused or
    unreachable responder, or one already alerted, is never alerted from here, whatever is
    asked; a closed alert alerts nobody."""
    now = now or utcnow()
    if not alert.is_open:
        return 0
    lock = db.session.scalar(sa.select(Alert.id).where(Alert.id == alert.id).with_for_update())
    if lock is None:
        return 0
    db.session.refresh(alert, ["answers"])
    skipped_now = skipped(alert, now)
    if reason is not None:
        try:
            chosen = skipped_now.overridable(SkipReason(reason))
        except ValueError:
            chosen = []
    else:
        wanted = set(responder_ids)
        chosen = [r for r in skipped_now.overridable() if r.id in wanted]
    if not chosen:
        return 0
    alert.rings += 1
    _ring(alert, db.session.get(Organization, alert.org_id), chosen, ring=alert.rings, now=now)
    db.session.flush()
    return len(chosen)


def open_alert(org: Organization, user, data: AlertInput, now: datetime | None = None) -> Alert:
    """Create the alert and ring the first responders (everyone, or the first ring)."""
    now = now or utcnow()
    alert = Alert(
        org_id=org.id,
        created_by_id=user.id if user is not None else None,
        kind=data.kind,
        town=" ".join(data.town.split()),
        place=data.place,
        note=data.note or None,
        happens_at=data.happens_at,
        zone=data.zone,
        needed=data.needed,
        roles=list(data.roles),
        language=data.language or "",
        is_drill=data.is_drill,
        ring_size=data.ring_size,
        ring_minutes=data.ring_minutes,
        created_at=now,
    )
    db.session.add(alert)
    db.session.flush()
    found = matching(alert, now)
    first = found[: data.ring_size] if data.ring_size else found
    _ring(alert, org, first, ring=1, now=now)
    if data.ring_size and len(found) > len(first):
        alert.next_ring_at = now + timedelta(minutes=data.ring_minutes or 5)
    db.session.flush()
    return alert


def _ring(alert: Alert, org: Organization, responders: list[Responder], *, ring: int, now):
    answers = [
        Answer(
            alert_id=alert.id,
            responder_id=r.id,
            responder=r,
            phone_hash=r.phone_hash if r.use_sms else None,
            ring=ring,
            secret=secrets.token_urlsafe(16),
            alerted_at=now,
        )
        for r in responders
    ]
    db.session.add_all(answers)
    db.session.flush()
    zone = ZoneInfo(alert.zone)
    for answer in answers:
        link = short_answer_url(answer, new=True)
        _send(answer, org, "alert", link=link, alert=alert, zone=zone, now=now)


def _send(answer: Answer, org: Organization, template: str, *, now, **context) -> int:
    """Queue the text and/or email of `template` to the answer's responder; returns how many."""
    responder = answer.responder
    alert = context["alert"]
    context.update(
        org_name=org.name,
        kind_label=KIND_LABELS.get(alert.kind, alert.kind),
        drill=alert.is_drill,
    )
    queued = []
    with_locale = {"locale": responder.locale}
    if responder.use_sms and responder.phone:
        context["when"] = format_short_moment(alert.happens_at, context["zone"], responder.locale)
        message = queue_sms(
            to=responder.phone, kind=f"rapid_{template}", template=f"rapid/{template}",
            org_id=org.id, expires_at=now + ALERT_TEXT_LIFETIME, **with_locale, **context,
        )  # fmt: skip
        if message is not None:
            queued.append(message)
    if responder.email and (responder.use_email or not queued):
        context["when"] = format_short_moment(alert.happens_at, context["zone"], responder.locale)
        subject = (
            _l("DRILL: %(kind)s in %(town)s", kind=context["kind_label"], town=alert.town)
            if alert.is_drill
            else _l("ALERT: %(kind)s in %(town)s", kind=context["kind_label"], town=alert.town)
        )
        if template == "update":
            subject = _l(
                "Update: %(kind)s in %(town)s", kind=context["kind_label"], town=alert.town
            )
        queued.append(
            queue_email(
                to=responder.email,
                kind=f"rapid_{template}",
                subject=subject,
                template=f"rapid/{template}",
                **with_locale,
                **context,
            )
        )
    for message in queued:
        db.session.add(AlertMessage(answer=answer, message=message))
    return len(queued)


def ring_due(now: datetime | None = None) -> int:
    """Worker: for each alert whose next ring is due, ring the next responders when not enough
    said yes; returns the number of alerts looked at. Safe to run twice (locked rows, and a
    responder is never alerted twice for one alert)."""
    now = now or utcnow()
    alerts = db.session.scalars(
        sa.select(Alert)
        .where(Alert.next_ring_at <= now, Alert.closed_at.is_(None))
        .with_for_update(skip_locked=True)
    ).all()
    for alert in alerts:
        going = sum(1 for a in alert.answers if a.state in (AnswerState.going, AnswerState.arrived))
        if going >= alert.needed:
            alert.next_ring_at = None
            continue
        already = {a.responder_id for a in alert.answers if a.responder_id is not None}
        found = matching(alert, now, exclude=already)
        batch = found[: alert.ring_size or len(found)]
        alert.rings += 1
        _ring(alert, db.session.get(Organization, alert.org_id), batch, ring=alert.rings, now=now)
        alert.next_ring_at = (
            now + timedelta(minutes=alert.ring_minutes or 5) if len(found) > len(batch) else None
        )
    db.session.flush()
    return len(alerts)


# Answers ----------------------------------------------------------------------------------------


def answer(answer: Answer, state: str, *, eta_minutes: int | None = None, now=None) -> None:
    """Record what the responder said; the first "going" and "arrived" times stay."""
    now = now or utcnow()
    state = AnswerState(state)
    answer.state = state.value
    answer.answered_at = now
    if state == AnswerState.going:
        answer.going_at = answer.going_at or now
        answer.eta_minutes = eta_minutes
    elif state == AnswerState.arrived:
        answer.going_at = answer.going_at or now
        answer.arrived_at = answer.arrived_at or now
    elif state == AnswerState.left:
        answer.left_at = now
    db.session.flush()


#: Reply words (first word of the text, accents and case ignored).
GOING_WORDS = {"1", "SI", "SÍ", "YES", "Y", "WI", "SIM", "GOING"}
CANT_WORDS = {"2", "NO", "NON", "NAO", "NÃO", "N"}


def open_answer_for_phone(phone: str) -> Answer | None:
    """The answer of the latest open alert sent to this phone."""
    from coalition.crypto import phone_hash

    digest = phone_hash(phone)
    if digest is None:
        return None
    return db.session.scalar(
        sa.select(Answer)
        .join(Alert)
        .where(Answer.phone_hash == digest, Alert.closed_at.is_(None))
        .order_by(Answer.alerted_at.desc(), Answer.id.desc())
        .limit(1)
    )


def answer_url(answer: Answer) -> str:
    """A responder's private answer page of one alert (what its short link stands for)."""
    return external_url("rapid.answer", answer_id=answer.id, secret=answer.secret)


def reply_by_text(phone: str, body: str) -> str | None:
    """A text reply from a responder with an open alert: 1/SI/YES = going, 2/NO = can't.
    Returns the text to answer with, or None when the reply is not about an alert."""
    from flask_babel import force_locale, gettext

    from coalition.sms.replies import keyword

    word = keyword(body)
    if word not in GOING_WORDS and word not in CANT_WORDS:
        return None
    found = open_answer_for_phone(phone)
    if found is None:
        return None
    answer(found, AnswerState.going if word in GOING_WORDS else AnswerState.cant)
    link = short_answer_url(found)
    locale = found.responder.locale if found.responder else "en"
    with force_locale(locale):
        if word in GOING_WORDS:
            return gettext(
                "Thank you: you are on your way. Arrived, ETA, details: %(link)s", link=link
            )
        return gettext("Thank you: noted that you can't go. %(link)s", link=link)


def send_update(alert: Alert, user, body: str, audience: str, now=None) -> int:
    """Send the dispatcher's update to everyone going (or arrived), or everyone alerted."""
    now = now or utcnow()
    db.session.add(
        AlertUpdate(
            alert=alert,
            body=body,
            audience=audience,
            sent_by_id=getattr(user, "id", None),
            created_at=now,
        )
    )
    org = db.session.get(Organization, alert.org_id)
    zone = ZoneInfo(alert.zone)
    sent = 0
    for item in answers_of(alert):
        if item.responder is None:
            continue
        if audience == "going" and item.state not in (AnswerState.going, AnswerState.arrived):
            continue
        link = short_answer_url(item)
        sent += bool(_send(item, org, "update", link=link, alert=alert, zone=zone, now=now,
                           body=body))  # fmt: skip
    db.session.flush()
    return sent


def close_alert(alert: Alert, outcome: str, now=None) -> None:
    now = now or utcnow()
    alert.closed_at = now
    alert.outcome = outcome or None
    alert.next_ring_at = None
    db.session.flush()
    summarize(alert)


@dataclass
class Tally:
    alerted: int = 0
    going: int = 0
    cant: int = 0
    arrived: int = 0
    left: int = 0
    waiting: int = 0


def answers_of(alert: Alert) -> list[Answer]:
    """The alert's answers with their responders, in two queries however many there are."""
    return list(
        db.session.scalars(
            sa.select(Answer)
            .where(Answer.alert_id == alert.id)
            .options(selectinload(Answer.responder))
            .order_by(Answer.id)
        )
    )


def tally(answers) -> Tally:
    """Counts by state of `answers` (Answer rows or `LiveAnswer`s)."""
    counts = Tally(alerted=len(answers))
    for item in answers:
        if item.state == AnswerState.alerted:
            counts.waiting += 1
        else:
            setattr(counts, item.state, getattr(counts, item.state) + 1)
    return counts


@dataclass(frozen=True)
class LiveAnswer:
    """One line of the dispatcher's live list: the responder's name (None: left the roster),
    their phone only once they are going or arrived, and the answer's state and times."""

    state: str
    name: str | None
    phone: str | None
    eta_minutes: int | None
    arrived_at: datetime | None


#: The live list's order: who arrived, who is on the way, who has not answered, then the rest.
LIVE_ORDER = ("arrived", "going", "alerted", "left", "cant")
#: The states whose responder's phone the live list shows (to call someone on the way).
PHONE_SHOWN = ("going", "arrived")


#: The most people the live list shows a line each among those who have not answered yet; the
#: others are named together under a count, folded (an alert to hundreds lists everyone who
#: answered in full, and the silent ones mostly as a number).
WAITING_SHOWN = 50


@dataclass(frozen=True)
class LiveList:
    """The dispatcher's live list: its lines (everyone who answered, and the first
    WAITING_SHOWN of those who have not) and the names of the other silent ones."""

    lines: list[LiveAnswer]
    more_waiting: list[str | None]


def live_answers(alert: Alert) -> LiveList:
    """The dispatcher's live list in one query, in `LIVE_ORDER` then by when they said they
    were going (else when they were alerted). Phones are read (and decrypted) only of those on
    the way or there."""
    order = sa.case({state: n for n, state in enumerate(LIVE_ORDER)}, value=Answer.state, else_=9)
    when = sa.func.coalesce(Answer.going_at, Answer.alerted_at)
    rows = db.session.execute(
        sa.select(Answer.state, _token(Responder.name),
                  sa.case((Answer.state.in_(PHONE_SHOWN), _token(Responder.phone))),
                  Answer.eta_minutes, Answer.arrived_at)
        .outerjoin(Responder, Responder.id == Answer.responder_id)
        .where(Answer.alert_id == alert.id)
        .order_by(order, when, Answer.id)
    )  # fmt: skip
    open_ = opened().open
    lines: list[LiveAnswer] = []
    more: list[str | None] = []
    waiting = 0
    for state, name, phone, eta, arrived_at in rows:
        if state == AnswerState.alerted:
            waiting += 1
            if waiting > WAITING_SHOWN:
                more.append(open_(name))
                continue
        lines.append(LiveAnswer(state, open_(name), open_(phone), eta, arrived_at))
    return LiveList(lines, more)


def _versions(items) -> str:
    return "-".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in items)


@dataclass(frozen=True)
class LiveState:
    """What the dispatcher's page shows depends on, read in one aggregate query (versions:
    strings that change whenever what they stand for does)."""

    #: The live list: the answers (each state's count, the latest time of each kind, the
    #: ETAs, who left the roster) and the roster's names and numbers.
    version: str
    tally: Tally
    #: The responders not alerted, but for the time: the live list's version, the roster
    #: (pauses, towns, roles, languages, hours, contacts) and what texts reach.
    skipped_version: str = ""
    #: The updates sent (added, never changed).
    updates_version: str = ""
    updates: int = 0


#: How many columns of `_live_statement` stand for the live list (then one count per state).
_LIVE_COLUMNS = 12


@functools.cache
def _live_statement(page: bool) -> sa.Select:
    """`live_state`'s query, built once (bound to :alert_id and :org_id on each look: the page
    and its refresh are asked every few seconds by every dispatcher)."""
    alert_id = sa.bindparam("alert_id", type_=sa.Integer)
    org_id = sa.bindparam("org_id", type_=sa.Integer)
    state_code = sa.case({state.value: n + 1 for n, state in enumerate(AnswerState)},
                         value=Answer.state, else_=0)  # fmt: skip
    roster = sa.select(Responder.id).where(Responder.org_id == org_id)
    columns = [
        sa.func.count(Answer.id), sa.func.count(Answer.responder_id),
        sa.func.max(Answer.answered_at), sa.func.max(Answer.alerted_at),
        sa.func.max(Answer.going_at), sa.func.max(Answer.arrived_at),
        sa.func.max(Answer.left_at), sa.func.sum(Answer.eta_minutes),
        # Which answer is in which state, with which ETA (two people trading places in the
        # same instant leave the counts and the latest times as they were, not these sums).
        sa.func.sum(Answer.id * state_code), sa.func.sum(Answer.id * Answer.eta_minutes),
        # The roster: names and numbers (an edit moves `updated_at`), who joined or left.
        roster.with_only_columns(sa.func.count(Responder.id)).scalar_subquery(),
        roster.with_only_columns(sa.func.max(Responder.updated_at)).scalar_subquery(),
    ]  # fmt: skip
    assert len(columns) == _LIVE_COLUMNS
    columns += [sa.func.count(sa.case((Answer.state == state.value, 1))) for state in AnswerState]
    if page:
        # What texts reach, of the roster's numbers only (by their keyed hashes).
        numbers_of = (
            sa.select(sa.func.count())
            .select_from(Responder)
            .join(SmsNumber, SmsNumber.number_key == Responder.phone_hash)
            .where(Responder.org_id == org_id)
        )
        updates_of = sa.select(sa.func.count()).where(AlertUpdate.alert_id == alert_id)
        columns += [
            numbers_of.scalar_subquery(),
            numbers_of.with_only_columns(sa.func.max(SmsNumber.updated_at)).scalar_subquery(),
            updates_of.scalar_subquery(),
            updates_of.with_only_columns(sa.func.max(AlertUpdate.id)).scalar_subquery(),
        ]
    return sa.select(*columns).where(Answer.alert_id == alert_id)


def live_state(alert: Alert, *, page: bool = False) -> LiveState:
    """`LiveState` in one statement; `page`: with the skipped and the updates' versions too
    (the page; its refresh needs the live list's only)."""
    values = list(
        db.session.execute(
            _live_statement(page), {"alert_id": alert.id, "org_id": alert.org_id}
        ).one()
    )
    states_end = _LIVE_COLUMNS + len(AnswerState)
    live, states = values[:_LIVE_COLUMNS], values[_LIVE_COLUMNS:states_end]
    extra = values[states_end:]
    counts = Tally(alerted=int(live[0]))
    for state, number in zip(AnswerState, states, strict=True):
        if state == AnswerState.alerted:
            counts.waiting = int(number)
        else:
            setattr(counts, state.value, int(number))
    version = _versions([alert.id, *live, *states])
    if not page:
        return LiveState(version, counts)
    return LiveState(
        version, counts,
        skipped_version=f"{version}|{_versions(extra[:2])}|{numbers.sms_available()}",
        updates_version=_versions(extra[2:]), updates=int(extra[2] or 0),
    )  # fmt: skip


def live_tally(alert: Alert) -> Tally:
    """The answers counted by state in SQL (the live list may not name everyone)."""
    return live_state(alert).tally


def live_version(alert: Alert) -> str:
    """`live_state`'s version alone."""
    return live_state(alert).version


# Reports and erasure ----------------------------------------------------------------------------


def summarize(alert: Alert) -> AlertSummary:
    """Write (or refresh) the counts the alert leaves behind."""
    summary = db.session.scalar(sa.select(AlertSummary).where(AlertSummary.alert_id == alert.id))
    if summary is None:
        summary = AlertSummary(alert_id=alert.id, org_id=alert.org_id)
        db.session.add(summary)
    zone = ZoneInfo(current_app.config["COALITION_TIMEZONE"])
    summary.month = alert.created_at.astimezone(zone).strftime("%Y-%m")
    summary.kind = alert.kind
    summary.is_drill = alert.is_drill
    # Only a town the calendar shows publicly: never the town as typed.
    summary.town = public_town(alert.town)
    summary.alerted = len(alert.answers)
    summary.went = sum(1 for a in alert.answers if a.went)
    arrivals = [a.arrived_at for a in alert.answers if a.arrived_at is not None]
    summary.arrived = len(arrivals)
    summary.first_arrival_seconds = (
        max(0, int((min(arrivals) - alert.created_at).total_seconds())) if arrivals else None
    )
    summary.going_seconds = sorted(
        max(0, int((a.going_at - alert.created_at).total_seconds()))
        for a in alert.answers
        if a.going_at is not None
    )
    db.session.flush()
    return summary


def purge_alerts(now: datetime | None = None) -> int:
    """Erase alerts closed more than `rapid_purge_after_days` ago and drills older than a day:
    their text, place, answers, updates, links and messages. Counts stay (`AlertSummary`).
    Safe to run twice; returns the number of alerts erased."""
    from coalition.settings.operations import get_setting

    now = now or utcnow()
    cutoff = now - timedelta(days=int(get_setting("rapid_purge_after_days")))
    alerts = db.session.scalars(
        sa.select(Alert).where(
            sa.or_(
                Alert.closed_at < cutoff,
                sa.and_(Alert.is_drill.is_(True), Alert.created_at < now - DRILL_LIFETIME),
            )
        )
    ).all()
    if not alerts:
        return 0
    for alert in alerts:
        summarize(alert)
    ids = [a.id for a in alerts]
    answer_ids = sa.select(Answer.id).where(Answer.alert_id.in_(ids))
    message_ids = sa.select(AlertMessage.message_id).where(AlertMessage.answer_id.in_(answer_ids))
    erase_where(OutgoingEmail, OutgoingEmail.id.in_(message_ids), now)
    from coalition.shortlinks.models import ShortLink

    for statement in (
        sa.delete(ShortLink).where(ShortLink.answer_id.in_(answer_ids)),
        sa.delete(AlertMessage).where(AlertMessage.answer_id.in_(answer_ids)),
        sa.delete(Answer).where(Answer.alert_id.in_(ids)),
        sa.delete(AlertUpdate).where(AlertUpdate.alert_id.in_(ids)),
        sa.delete(Alert).where(Alert.id.in_(ids)),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))
    db.session.expire_all()
    return len(ids)


@dataclass
class MonthReport:
    month: str
    alerts: int = 0
    drills: int = 0
    went: int = 0
    arrived: int = 0
    median_first_arrival: float | None = None


def report() -> list[MonthReport]:
    """Per month: alerts (drills apart), responders who went, median time to the first responder
    on site (minutes). Closed alerts only (an open one has no summary yet)."""
    months: dict[str, MonthReport] = {}
    firsts: dict[str, list[int]] = defaultdict(list)
    for row in db.session.scalars(sa.select(AlertSummary).order_by(AlertSummary.month.desc())):
        entry = months.setdefault(row.month, MonthReport(row.month))
        if row.is_drill:
            entry.drills += 1
            continue
        entry.alerts += 1
        entry.went += row.went
        entry.arrived += row.arrived
        if row.first_arrival_seconds is not None:
            firsts[row.month].append(row.first_arrival_seconds)
    for month, values in firsts.items():
        months[month].median_first_arrival = round(statistics.median(values) / 60, 1)
    return sorted(months.values(), key=lambda m: m.month, reverse=True)
