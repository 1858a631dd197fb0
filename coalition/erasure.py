"""Erasure: what is removed, when, and from where. The one place that does it.

It knows no feature: it walks the registry of the records that hold personal data
(`coalition.people.registry`), where each model declares what erasing one of its rows blanks,
which private-link secrets it replaces, when the retention purge takes it, and which other
records' data it repeats.

Personal data of attendees, helpers and delegation leads lives on their rows (`RSVP`, `Helper`,
`Delegation`) and is copied into every message sent about them (`OutgoingEmail`: recipient,
subject, bodies, attachments; declared `copies_of` those rows). Erasing a person therefore
erases their row's personal fields *and* the messages about them; links that opened the data
stop working (404). What stays is what reports need: counts, statuses, times, the kind of each
message.

- `erase`: at once, when the person asks (the manage pages of an RSVP, a helper, a series
  registration: the feature cancels first, so seats go to who waits). Session sign-ups carry no
  personal data: they are cancelled with the RSVP and stay as counts. Messages tied to an RSVP
  include a rapid-response training's invitation to the roster (`coalition/rapid`).
- `purge_expired`: daily (worker) and `flask purge-expired`: every record whose `expired` rule
  holds (RSVPs, helpers and delegations of dates that ended more than `purge_after_days` ago,
  series registrations none of whose dates is left, the contents of every message sent or given
  up more than `purge_after_days` ago, the SMS webhooks' receipts after a year: ids and times
  only), and the messages copying what it erased; then it deletes the rows of records that
  ask for it (`drop_expired`: RSVPs, whose counts reports froze first; an erased row kept
  would still link people who signed up together by its neighbouring id and its times).
  Before anything is blanked it sends
  `signals.occurrence_purging` (`cutoff`: dates that ended before it are purged):
  `coalition.reports` freezes each date's counts then (README: "What reports keep and what
  they do not").
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from coalition.db import utcnow
from coalition.extensions import db
from coalition.people.registry import PersonalRecord, record_of, records
from coalition.settings.operations import get_setting
from coalition.signals import occurrence_purging


def erase_where(record: PersonalRecord | type, condition, now: datetime) -> int:
    """Erase the rows of `record` matching `condition` that are not erased yet (delete them,
    for records without a stamp); returns how many."""
    if isinstance(record, type):
        record = record_of(record)
    model = record.model
    if record.stamp is None:
        return db.session.execute(
            sa.delete(model).where(condition).execution_options(synchronize_session=False)
        ).rowcount
    todo = sa.and_(condition, getattr(model, record.stamp).is_(None))
    if record.per_row:
        rows = list(db.session.scalars(sa.select(model).where(todo)))
        for row in rows:
            for name, value in record.values(now).items():
                setattr(row, name, value)
        db.session.flush()
        return len(rows)
    base = sa.update(model).where(todo).execution_options(synchronize_session=False)
    count = 0
    if record.first is not None:
        extra_condition, extra = record.first
        count += db.session.execute(
            base.where(extra_condition).values(**extra, **record.values(now))
        ).rowcount
    return count + db.session.execute(base.values(**record.values(now))).rowcount


def _erase_copies(table: str, ids, now: datetime) -> None:
    """Erase what other records repeat of the rows `ids` of `table` (messages about them)."""
    for record in records():
        columns = [name for name, owner in record.copies_of.items() if owner == table]
        if columns:
            condition = sa.or_(*(getattr(record.model, name).in_(ids) for name in columns))
            erase_where(record, condition, now)


def erase(row, now: datetime | None = None) -> None:
    """Remove one person's data at once, and the messages about them (the feature cancels the
    sign-up first)."""
    now = now or utcnow()
    record = record_of(row)
    for name, value in record.values(now).items():
        setattr(row, name, value)
    db.session.flush()
    _erase_copies(record.table, [row.id], now)


def purge_expired(now: datetime | None = None) -> int:
    """Erase what the retention period allows no longer; returns the number of RSVPs erased.
    Safe to run twice."""
    now = now or utcnow()
    cutoff = now - timedelta(days=int(get_setting("purge_after_days")))
    # Reports freeze each ended date's counts first (`coalition.reports`): nothing is blanked yet.
    occurrence_purging.send(None, cutoff=cutoff, now=now)
    erased: dict[str, int] = {}
    expiring = [record for record in records() if record.expired is not None]
    # The records first, then what copies them (a message erased with its RSVP), then the
    # copies' own retention.
    for record in sorted(expiring, key=lambda record: bool(record.copies_of)):
        condition = record.expired(cutoff, now)
        erased[record.table] = erase_where(record, condition, now)
        if record.stamp is not None:
            _erase_copies(record.table, sa.select(record.model.id).where(condition), now)
    # Then the rows nothing needs any more: what linked them (ids, times) goes with them.
    for record in expiring:
        if record.drop_expired:
            db.session.execute(
                sa.delete(record.model)
                .where(record.expired(cutoff, now))
                .execution_options(synchronize_session=False)
            )
    db.session.flush()
    db.session.expire_all()
    return erased.get("rsvps", 0)
