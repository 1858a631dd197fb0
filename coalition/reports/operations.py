"""Freezing each date's counts before its people are erased, and the series' return rate.

`freeze_due` runs inside the retention purge (`coalition.erasure.purge_expired` sends
`signals.occurrence_purging` before it blanks anything); `figures_for` also serves the live
report of a date that ended but is not purged yet. Safe to run twice: a date is frozen once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa

from coalition.crypto import normalize_email, normalize_phone_e164
from coalition.db import utcnow
from coalition.delegations.models import Delegation
from coalition.events.models import Event, EventStatus, Occurrence
from coalition.events.towns import OTHER, public_towns, town_key
from coalition.extensions import db
from coalition.languages import CONTENT_LANGUAGES
from coalition.mail.models import Channel, EmailStatus, OutgoingEmail
from coalition.reminders.models import Reminder, ReminderStatus
from coalition.reports.models import DateFigures, SeriesFigures, SeriesKey, SeriesLink
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.sessions.models import SeriesPart, SeriesRegistration, SignupStatus
from coalition.volunteers.models import Helper

#: Buckets of the sign-up curve: (label, first day before the date, last day or None).
SIGNUP_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("30+", 30, None),
    ("14-29", 14, 29),
    ("7-13", 7, 13),
    ("2-6", 2, 6),
    ("1", 1, 1),
    ("0", 0, 0),
)
NEEDS = ("interpretation", "childcare", "ride")


def known_towns() -> dict[str, str]:
    """Towns a report may name (`coalition.events.towns`): a delegation's town is free text its
    lead typed: anything else is counted as "other", never kept as typed."""
    return public_towns()


def _bucket(days: int) -> str:
    for label, first, last in SIGNUP_BUCKETS:
        if days >= first and (last is None or days <= last):
            return label
    return "0"  # signed up after the start (at the door)


def figures_for(occurrence: Occurrence, towns: dict[str, str] | None = None) -> DateFigures:
    """The counts of one date, from its rows as they are now (not added to the session)."""
    event = occurrence.event
    towns = known_towns() if towns is None else towns
    rsvps = db.session.execute(
        sa.select(
            RSVP.status, RSVP.party_size, RSVP.language, RSVP.needs_interpretation,
            RSVP.needs_childcare, RSVP.needs_ride, RSVP.waitlisted_at, RSVP.confirmed_at,
            RSVP.checked_in_at, RSVP.is_walk_in, RSVP.created_at, RSVP.delegation_id,
        ).where(RSVP.occurrence_id == occurrence.id)
    ).all()  # fmt: skip
    delegations = {
        d.id: d
        for d in db.session.scalars(
            sa.select(Delegation).where(Delegation.occurrence_id == occurrence.id)
        )
    }
    figures = DateFigures(
        occurrence_id=occurrence.id, event_id=event.id, org_id=event.host_org_id,
        type_id=event.type_id, start_at=occurrence.start_at, town=occurrence.effective_city,
        languages=list(event.languages or [event.primary_language]),
        is_bilingual=bool(event.is_bilingual or len(event.languages or []) > 1),
        is_cancelled=bool(occurrence.is_cancelled or event.status == EventStatus.cancelled),
    )  # fmt: skip
    counts: Counter = Counter()
    language: Counter = Counter()
    needs: Counter = Counter()
    organization: Counter = Counter()
    town: Counter = Counter()
    signups: Counter = Counter()
    for row in rsvps:
        counts["rsvps"] += 1
        confirmed = row.status == RSVPStatus.confirmed
        if confirmed:
            counts["people"] += row.party_size
            language[row.language if row.language in CONTENT_LANGUAGES else OTHER] += row.party_size
            if row.delegation_id in delegations:
                delegation = delegations[row.delegation_id]
                if delegation.sponsor_org_id is not None:
                    organization[str(delegation.sponsor_org_id)] += row.party_size
                town[towns.get(town_key(delegation.town), OTHER)] += row.party_size
        if row.status in (RSVPStatus.confirmed, RSVPStatus.waitlisted, RSVPStatus.pending):
            for need in NEEDS:
                if getattr(row, f"needs_{need}"):
                    needs[need] += 1
        if row.checked_in_at is not None:
            counts["checked_in"] += 1
            counts["checked_in_people"] += row.party_size
        elif confirmed and not row.is_walk_in:
            counts["no_shows"] += 1
        counts["walk_ins"] += row.is_walk_in
        counts["cancelled"] += row.status == RSVPStatus.cancelled
        counts["declined"] += row.status == RSVPStatus.declined
        counts["still_waiting"] += row.status == RSVPStatus.waitlisted
        if row.waitlisted_at is not None:
            counts["waitlisted"] += 1
            if row.confirmed_at is not None and row.confirmed_at >= row.waitlisted_at:
                counts["promoted"] += 1
        if not row.is_walk_in:
            days = (occurrence.start_at - row.created_at).days
            signups[_bucket(days)] += 1
    for field, value in counts.items():
        setattr(figures, field, int(value))
    figures.series_rsvps = _count(
        sa.select(sa.func.count())
        .select_from(SeriesPart)
        .join(RSVP, RSVP.id == SeriesPart.rsvp_id)
        .where(RSVP.occurrence_id == occurrence.id)
    )
    figures.delegations = sum(1 for d in delegations.values() if d.is_approved)
    figures.reminders_sent = _count(
        sa.select(sa.func.count())
        .select_from(Reminder)
        .where(Reminder.occurrence_id == occurrence.id, Reminder.status == ReminderStatus.queued)
    )
    sent = _messages_sent(occurrence.id)
    figures.emails_sent = sent.get(Channel.email, 0)
    figures.texts_sent = sent.get(Channel.sms, 0)
    figures.breakdown = {
        "language": dict(language),
        "needs": dict(needs),
        "organization": dict(organization),
        "town": dict(town),
        "signups": dict(signups),
    }
    return figures


def _count(query) -> int:
    return int(db.session.scalar(query) or 0)


def _messages_sent(occurrence_id: int) -> dict:
    """Messages sent about the date's RSVPs, delegations and helpers, per channel."""
    about = sa.or_(
        OutgoingEmail.rsvp_id.in_(sa.select(RSVP.id).where(RSVP.occurrence_id == occurrence_id)),
        OutgoingEmail.delegation_id.in_(
            sa.select(Delegation.id).where(Delegation.occurrence_id == occurrence_id)
        ),
        OutgoingEmail.helper_id.in_(
            sa.select(Helper.id).where(Helper.occurrence_id == occurrence_id)
        ),
    )
    return dict(
        db.session.execute(
            sa.select(OutgoingEmail.channel, sa.func.count())
            .where(about, OutgoingEmail.status == EmailStatus.sent)
            .group_by(OutgoingEmail.channel)
        ).all()
    )


def freeze_due(occurrences, now: datetime | None = None) -> int:
    """Freeze the dates among `occurrences` (a SELECT of ids) not frozen yet, then the return
    rate of their series; returns how many dates were frozen."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Occurrence)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            Occurrence.id.in_(occurrences),
            # A date that never was on the calendar (a draft's) is no date held, unless it
            # took RSVPs before its event was unpublished.
            sa.or_(
                Event.status.in_((EventStatus.published, EventStatus.cancelled)),
                sa.exists().where(RSVP.occurrence_id == Occurrence.id),
            ),
            Occurrence.id.not_in(
                sa.select(DateFigures.occurrence_id).where(DateFigures.occurrence_id.is_not(None))
            ),
        )
        .order_by(Occurrence.start_at, Occurrence.id)
    ).all()
    if not due:
        return 0
    towns = known_towns()
    for occurrence in due:
        tally_date(occurrence)
        figures = figures_for(occurrence, towns)
        figures.frozen_at = now
        db.session.add(figures)
    for event_id in sorted({o.event_id for o in due}):
        freeze_series(event_id, occurrences, now)
    db.session.flush()
    return len(due)


def _series_key(event_id: int) -> SeriesKey:
    """The series' key, made at its first frozen date (random, never derived from anything),
    stored encrypted (`SeriesKey.link_key`)."""
    key = db.session.get(SeriesKey, event_id)
    if key is None:
        key = SeriesKey(event_id=event_id, link_key=secrets.token_hex(32))
        db.session.add(key)
        db.session.flush()
    return key


def _link(key: SeriesKey, value: str) -> str:
    secret = key.link_key if key.link_key is not None else key.salt
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def _person(key: SeriesKey, row) -> str:
    """What an opted-in person's link is made of: the normalized contact itself (email, else
    phone, else the member), never its keyed hash, so that a new CONTACT_HASH_KEY leaves the
    link as it was. A series whose key predates that (`salt` only) keeps its keyed-hash links."""
    if key.link_key is None:
        if row.email_hash:
            return f"email:{row.email_hash}"
        if row.phone_hash:
            return f"phone:{row.phone_hash}"
        return f"user:{row.user_id}"
    if email := normalize_email(row.email):
        return f"email:{email}"
    if phone := normalize_phone_e164(row.phone):
        return f"phone:{phone}"
    return f"user:{row.user_id}"


def _open_ended(event: Event | None) -> bool:
    rule = ((event.rrule if event else "") or "").upper()
    return bool(rule) and "COUNT=" not in rule and "UNTIL=" not in rule


def _year_of(event: Event, start_at: datetime) -> int:
    return start_at.astimezone(event.zone).year


def _counted_year(event: Event, occurrence: Occurrence) -> int | None:
    """The year a date is counted in: its calendar year (event's zone) for a series with no
    end, None (the whole series) otherwise."""
    return _year_of(event, occurrence.start_at) if _open_ended(event) else None


def _in_year(value: str, year: int | None) -> str:
    return value if year is None else f"{year}|{value}"


def tally_date(occurrence: Occurrence) -> None:
    """Before a held date's people are erased: one more date for each counted person checked
    in (a series registration's part; an RSVP that asked to be counted, or made signed in),
    under the series' pseudonymous link (per calendar year for a series with no end). Only
    events that repeat."""
    event = occurrence.event
    if not event.is_recurring or occurrence.is_cancelled:
        return
    year = _counted_year(event, occurrence)
    rows = db.session.execute(
        sa.select(
            RSVP.status, RSVP.checked_in_at, RSVP.email, RSVP.phone, RSVP.email_hash,
            RSVP.phone_hash, RSVP.user_id, RSVP.counts_attendance, SeriesPart.registration_id,
            SeriesRegistration.status.label("registration_status"),
        )
        .outerjoin(SeriesPart, SeriesPart.rsvp_id == RSVP.id)
        .outerjoin(SeriesRegistration, SeriesRegistration.id == SeriesPart.registration_id)
        .where(RSVP.occurrence_id == occurrence.id, RSVP.erased_at.is_(None))
    ).all()  # fmt: skip
    key = None
    for row in rows:
        came = row.checked_in_at is not None
        if row.registration_id is not None:
            if row.registration_status == SignupStatus.cancelled:
                continue
            kind = "series"
        elif row.counts_attendance or row.user_id is not None:
            if not came and row.status != RSVPStatus.confirmed:
                continue
            kind = "opted"
        else:
            continue
        key = key or _series_key(event.id)
        value = f"series:{row.registration_id}" if kind == "series" else _person(key, row)
        link = _link(key, _in_year(value, year))
        entry = db.session.scalar(
            sa.select(SeriesLink).where(SeriesLink.event_id == event.id, SeriesLink.link == link)
        )
        if entry is None:
            entry = SeriesLink(event_id=event.id, link=link, kind=kind, came=0, year=year)
            db.session.add(entry)
        entry.came += came
    db.session.flush()


def _year_bounds(event: Event, year: int) -> tuple[datetime, datetime]:
    """The first instant of `year` and of the next, in the event's zone (as UTC)."""
    zone = event.zone
    return (
        datetime(year, 1, 1, tzinfo=zone).astimezone(UTC),
        datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC),
    )


def series_figures(
    event_id: int, held_ids, year: int | None = None
) -> tuple[int, int, int, int, int]:
    """(dates held, registrations, registrations checked in at every held date, people opted
    in, of them checked in at every held date) over the event's dates among `held_ids` (a
    SELECT of occurrence ids) that were not cancelled (in `year`, for a series with no end),
    from the series' links."""
    held = sa.select(Occurrence.id).where(
        Occurrence.event_id == event_id,
        Occurrence.id.in_(held_ids),
        Occurrence.is_cancelled.is_(False),
    )
    links_query = sa.select(SeriesLink).where(SeriesLink.event_id == event_id)
    if year is None:
        links_query = links_query.where(SeriesLink.year.is_(None))
    else:
        first, after = _year_bounds(db.session.get(Event, event_id), year)
        held = held.where(Occurrence.start_at >= first, Occurrence.start_at < after)
        links_query = links_query.where(SeriesLink.year == year)
    dates_held = _count(sa.select(sa.func.count()).select_from(held.subquery()))
    live = db.session.scalars(
        sa.select(SeriesRegistration.id).where(
            SeriesRegistration.event_id == event_id,
            SeriesRegistration.status != SignupStatus.cancelled,
        )
    ).all()
    key = db.session.get(SeriesKey, event_id)
    links = db.session.scalars(links_query).all() if key else []
    registered = {_link(key, _in_year(f"series:{rid}", year)) for rid in live} if key else set()
    series_links = [x for x in links if x.kind == "series" and x.link in registered]
    came_to_all = sum(1 for x in series_links if x.came == dates_held)
    opted = [x for x in links if x.kind == "opted"]
    opted_all = sum(1 for x in opted if x.came == dates_held)
    if not dates_held:
        came_to_all = opted_all = 0
    # A year counts the registrations that had a date in it; the whole series, all of them.
    registrations = len(live) if year is None else len(series_links)
    return dates_held, registrations, came_to_all, len(opted), opted_all


def freeze_series(event_id: int, held_ids, now: datetime) -> list[SeriesFigures]:
    """Rewrite the event's return rate over its dates purged so far (events with series
    registrations or people counted across the series). Once no date of the series is left
    (a rule with an end), the figures are final: its key and links are deleted, so nothing
    links its dates to one person any more. A series with no end is counted per calendar year
    (event's zone): a year is final once it is over and its dates are all purged, and then
    that year's links are deleted (the key stays while the series runs)."""
    has_registrations = db.session.scalar(
        sa.select(SeriesRegistration.id).where(SeriesRegistration.event_id == event_id).limit(1)
    )
    has_links = db.session.scalar(
        sa.select(SeriesLink.id).where(SeriesLink.event_id == event_id).limit(1)
    )
    if has_registrations is None and has_links is None:
        return []
    event = db.session.get(Event, event_id)
    if event is not None and _open_ended(event):
        # Rows and links from before the series was counted by year cannot be split by year.
        db.session.execute(
            sa.delete(SeriesFigures).where(
                SeriesFigures.event_id == event_id,
                SeriesFigures.year.is_(None),
                SeriesFigures.is_final.is_(False),
            )
        )
        db.session.execute(
            sa.delete(SeriesLink).where(SeriesLink.event_id == event_id, SeriesLink.year.is_(None))
        )
        starts = db.session.scalars(
            sa.select(Occurrence.start_at).where(
                Occurrence.event_id == event_id, Occurrence.id.in_(held_ids)
            )
        ).all()
        years = sorted({_year_of(event, start) for start in starts})
        return [
            row
            for year in years
            if (row := _freeze_period(event, event_id, held_ids, now, year)) is not None
        ]
    row = _freeze_period(event, event_id, held_ids, now, None)
    return [row] if row is not None else []


def _freeze_period(
    event: Event | None, event_id: int, held_ids, now: datetime, year: int | None
) -> SeriesFigures | None:
    row = db.session.scalar(
        sa.select(SeriesFigures).where(
            SeriesFigures.event_id == event_id,
            SeriesFigures.year.is_(None) if year is None else SeriesFigures.year == year,
        )
    )
    if row is not None and row.is_final:
        return row
    dates_held, registrations, came_to_all, opted_in, opted_all = series_figures(
        event_id, held_ids, year
    )
    if row is None:
        row = SeriesFigures(
            event_id=event_id, year=year, org_id=event.host_org_id if event else None
        )
        db.session.add(row)
    row.dates_held = dates_held
    row.registrations = registrations
    row.came_to_all = came_to_all
    row.opted_in = opted_in
    row.opted_in_came_to_all = opted_all
    in_period = sa.and_(Occurrence.event_id == event_id)
    if year is not None:
        first, after = _year_bounds(event, year)
        in_period = sa.and_(in_period, Occurrence.start_at >= first, Occurrence.start_at < after)
    row.last_start_at = db.session.scalar(
        sa.select(sa.func.max(Occurrence.start_at)).where(in_period, Occurrence.id.in_(held_ids))
    )
    row.updated_at = now
    left = db.session.scalar(
        sa.select(Occurrence.id).where(in_period, Occurrence.id.not_in(held_ids)).limit(1)
    )
    if left is not None:
        return row
    if year is None and not _open_ended(event):
        row.is_final = True
        db.session.execute(sa.delete(SeriesLink).where(SeriesLink.event_id == event_id))
        db.session.execute(sa.delete(SeriesKey).where(SeriesKey.event_id == event_id))
    elif year is not None and now >= _year_bounds(event, year)[1]:
        row.is_final = True
        db.session.execute(
            sa.delete(SeriesLink).where(SeriesLink.event_id == event_id, SeriesLink.year == year)
        )
    return row
