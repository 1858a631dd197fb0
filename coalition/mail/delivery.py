"""Deliver the outbox, both channels: one message per transaction, so a crash re-sends at most one.

Each channel (the SMTP relay, the SMS provider) is delivered over one connection. What happens
to a message depends on who failed (`coalition.mail.errors`):

- the channel is down (no connection, 421, provider 429/5xx): the channel pauses with its own
  backoff and is probed before the next try; the queued messages are not blamed, keep their
  place and all go as soon as a probe succeeds, oldest due first;
- the message was refused for now: it backs off on its own and is given up after MAX_ATTEMPTS;
- refused for good: failed at once (an invalid number is remembered);
- no answer after the message was handed over: it may have arrived, so it is tried once more
  after UNKNOWN_PAUSE (same Message-ID), then given up;
- a message that can no longer arrive in time (`expires_at`, a reminder whose event started)
  is dropped, not sent late.

A worker leases a batch of due rows (FOR UPDATE SKIP LOCKED, then `leased_until`, one commit),
then sends them one by one, recording each outcome with one autocommitted statement before the
next message goes: a killed worker re-sends at most the one message it was sending, and the
rest of its batch waits for the lease to run out. Those marks do not wait for the disk flush
(see `_Marks`), which is what makes one statement per message cheap. An email's MIME was
rendered when it was queued (`OutgoingEmail.mime`): the worker decrypts it and sends it, and
does not load (decrypt) its bodies.

Texts are requested exactly once, kill -9 or not: a transport that can look a message up
(`find_sent`: the SMS channel) gets one more autocommitted mark, `sending_since`, written before
its request goes and cleared by the answer. A queued row that still carries it was being sent
when its worker died (or got no answer): the next worker, once the lease ran out, asks the
provider whether that text was accepted (Twilio's Messages list, the folder's file) and records
it as sent if so, instead of sending it again. The lease (OUTBOX_LEASE_SECONDS, 120 s) is far
longer than a request may take (SMS_TIMEOUT, 20 s), so the killed worker's request has been
answered by the time anyone asks.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.errors import (
    ChannelDown,
    ChannelRefused,
    DeliveryError,
    OutcomeUnknown,
    PermanentFailure,
    TemporaryFailure,
)
from coalition.mail.models import (
    Channel,
    ChannelState,
    EmailStatus,
    OutgoingEmail,
    channel_state,
)

log = logging.getLogger(__name__)

#: Tries before a message that is refused for now (not an outage) is given up.
MAX_ATTEMPTS = 6
#: Wait before the one retry of a message whose outcome is unknown.
UNKNOWN_PAUSE = timedelta(minutes=10)
#: Longest pause between two probes of a channel that is down.
MAX_PROBE_INTERVAL = timedelta(seconds=30)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    dropped: int = 0
    suppressed: int = 0
    #: Texts found accepted by the provider after their worker died (counted in `sent` too).
    recovered: int = 0
    #: Messages left waiting because their channel is paused (outage or cap).
    paused_channels: list[str] = field(default_factory=list)


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def _probe_backoff(failures: int) -> timedelta:
    interval = current_app.config["MAIL_DELIVERY_INTERVAL"]
    return min(timedelta(seconds=interval * 2 ** max(failures - 1, 0)), MAX_PROBE_INTERVAL)


def _open(channel: Channel):
    config = current_app.config
    if channel == Channel.sms:
        from coalition.sms.channel import SmsTransport

        return SmsTransport(config)
    from coalition.mail.transports import open_email_transport

    return open_email_transport(config)


def active_channels() -> list[Channel]:
    if current_app.config.get("SMS_BACKEND", "none") == "none":
        return [Channel.email]
    return [Channel.email, Channel.sms]


#: Rows claimed at once by one worker.
BATCH = 100
#: First key of the advisory locks that say a delivering worker is alive (the second is the
#: backend pid of the connection holding it, which `leased_by` records on its rows).
LEASE_LOCK_SPACE = 0x0C0A
#: Seconds between two looks, while a batch of routine messages goes, for an urgent one that
#: came in meanwhile (it is claimed at once, before the rest of the batch).
URGENT_CHECK_SECONDS = 1.0


class _Marks:
    """Records outcomes, one autocommitted statement per message on a connection of its own.

    The mark of a sent message is written by a helper thread while the next message is built
    and its envelope sent; `wait()` is called before that next message's end of data (the
    point after which it counts as sent), so a killed worker re-sends at most one message.
    On PostgreSQL the marks do not wait for the WAL flush (`synchronous_commit = off`): a
    killed worker loses nothing, since the server has the commit; only a crash of the database
    server itself can lose the last fraction of a second of marks. On SQLite the connection
    syncs less often (`synchronous = NORMAL`), with the same trade.
    """

    def __init__(self):
        self.dialect = db.engine.dialect.name
        self.pending = None
        self.connection = None
        self.executor = None
        #: PostgreSQL: this worker's id in `leased_by` (see `_claim_batch`), None elsewhere.
        self.owner: int | None = None
        if self.dialect == "sqlite" and db.engine.url.database in (None, "", ":memory:"):
            return  # one connection shared by everything (tests): marks go through the session
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-marks")
        self.executor.submit(self._open, current_app._get_current_object()).result()

    def _open(self, app) -> None:
        # The helper thread keeps an app context: encrypted columns need the app's keys.
        self.context = app.app_context()
        self.context.push()
        self.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if self.dialect == "postgresql":
            self.connection.exec_driver_sql("SET synchronous_commit TO off")
            # Held as long as this connection lives: the server releases it the moment the
            # worker's process dies (its socket closes), and our leases with it.
            owner = self.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            self.connection.execute(
                sa.text("SELECT pg_advisory_lock(:space, :owner)"),
                {"space": LEASE_LOCK_SPACE, "owner": owner},
            )
            self.owner = owner
        elif self.dialect == "sqlite":
            self.connection.exec_driver_sql("PRAGMA synchronous = NORMAL")
        # The driver's own cursor, for the one-row marks (`_driver_statement`).
        self.cursor = self.connection.connection.driver_connection.cursor()

    #: One UPDATE per set of column names, with bound parameters: built and compiled once
    #: (SQLAlchemy's statement cache), not per message.
    _statements: dict[tuple[str, ...], sa.Update] = {}

    @classmethod
    def _statement(cls, names: tuple[str, ...]) -> sa.Update:
        statement = cls._statements.get(names)
        if statement is None:
            columns = OutgoingEmail.__table__.c
            statement = (
                sa.update(OutgoingEmail)
                .where(OutgoingEmail.id.in_(sa.bindparam("mark_ids", expanding=True)))
                .values({n: sa.bindparam(f"mark_{n}", type_=columns[n].type) for n in names})
                .execution_options(synchronize_session=False)
            )
            cls._statements[names] = statement
        return statement

    #: (dialect, column names) -> (SQL, parameter order or None, bind processors).
    _driver: dict[tuple, tuple] = {}

    @classmethod
    def _driver_statement(cls, dialect, names: tuple[str, ...]):
        """The one-row mark compiled once to the driver's SQL, with the columns' own bind
        processors (encryption, UTC, enum values): what SQLAlchemy would send, without building
        and executing a statement through it each time (most of a mark's CPU, and CPU taken from
        the thread that talks to the relay)."""
        key = (dialect.name, names)
        found = cls._driver.get(key)
        if found is None:
            table = OutgoingEmail.__table__
            params = {"mark_id": table.c.id.type, **{f"mark_{n}": table.c[n].type for n in names}}
            statement = (
                sa.update(table)
                .where(table.c.id == sa.bindparam("mark_id", type_=table.c.id.type))
                .values({n: sa.bindparam(f"mark_{n}", type_=params[f"mark_{n}"]) for n in names})
            )
            compiled = statement.compile(dialect=dialect)
            processors = {p: t.bind_processor(dialect) for p, t in params.items()}
            order = tuple(compiled.positiontup) if compiled.positional else None
            found = cls._driver[key] = (compiled.string, order, processors)
        return found

    def _execute_one(self, sql, order, params) -> None:
        self.cursor.execute(sql, params if order is None else tuple(params[p] for p in order))

    def update_later(self, ids, **values) -> None:
        """Start writing the mark; `wait()` (or the next mark) makes sure it was written."""
        if isinstance(ids, int) and self.executor is not None:
            names = tuple(sorted(values))
            sql, order, processors = self._driver_statement(db.engine.dialect, names)
            params = {"mark_id": ids, **{f"mark_{n}": values[n] for n in names}}
            for name, process in processors.items():
                if process is not None and params[name] is not None:
                    params[name] = process(params[name])
            self.wait()
            self.pending = self.executor.submit(self._execute_one, sql, order, params)
            return
        ids = [ids] if isinstance(ids, int) else list(ids)
        if not ids:
            return
        statement = self._statement(tuple(sorted(values)))
        params = {"mark_ids": ids, **{f"mark_{n}": v for n, v in values.items()}}
        if self.executor is None:
            db.session.execute(statement, params)
            db.session.commit()
            return
        self.wait()
        self.pending = self.executor.submit(self.connection.execute, statement, params)

    def update(self, ids, **values) -> None:
        self.update_later(ids, **values)
        self.wait()

    def wait(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        if self.executor is None:
            return
        try:
            self.wait()
        finally:
            self.executor.submit(self._close).result()
            self.executor.shutdown()

    def _close(self) -> None:
        try:
            if self.dialect == "postgresql":
                self.connection.exec_driver_sql("RESET synchronous_commit")
                if self.owner is not None:  # the connection goes back to the pool, not away
                    self.connection.execute(
                        sa.text("SELECT pg_advisory_unlock(:space, :owner)"),
                        {"space": LEASE_LOCK_SPACE, "owner": self.owner},
                    )
            elif self.dialect == "sqlite":
                self.connection.exec_driver_sql("PRAGMA synchronous = FULL")
        finally:
            self.cursor.close()
            self.connection.close()
            self.context.pop()


def _available(now: datetime, owner: int | None):
    """Rows no live worker holds: never leased, lease over, or (PostgreSQL) leased by a worker
    whose advisory lock is gone: it died, and its rows are taken back at once. A text it was
    requesting (`sending_since`) waits SMS_LOOKUP_DELAY from the start of that request, so
    that the provider has answered it before it is looked up (`_recover`)."""
    free = sa.or_(OutgoingEmail.leased_until.is_(None), OutgoingEmail.leased_until <= now)
    if owner is None:
        return free
    # Read in the same statement as the rows: a worker whose claim this statement sees took
    # its lock before it, so it is in this list.
    live = sa.select(sa.cast(sa.column("objid", sa.Integer), sa.Integer)).select_from(
        sa.table("pg_locks", sa.column("locktype"), sa.column("classid"),
                 sa.column("objid"), sa.column("objsubid"), sa.column("granted"))
    ).where(
        sa.column("locktype") == "advisory",
        sa.cast(sa.column("classid"), sa.Integer) == LEASE_LOCK_SPACE,
        sa.column("objsubid") == 2,
        sa.column("granted").is_(True),
    )  # fmt: skip
    delay = timedelta(seconds=current_app.config["SMS_LOOKUP_DELAY"])
    orphaned = sa.and_(
        OutgoingEmail.leased_by.is_not(None),
        OutgoingEmail.leased_by.not_in(live.scalar_subquery().self_group()),
        sa.or_(OutgoingEmail.sending_since.is_(None), OutgoingEmail.sending_since <= now - delay),
    )
    return sa.or_(free, orphaned)


def _urgent_waiting(channel: Channel, now: datetime, owner: int | None) -> bool:
    """Is an urgent message (an alert) due on this channel, and free to claim?"""
    found = db.session.scalar(
        sa.select(OutgoingEmail.id)
        .where(
            OutgoingEmail.channel == channel,
            OutgoingEmail.status == EmailStatus.queued,
            OutgoingEmail.priority == 0,
            OutgoingEmail.next_attempt_at <= now,
            _available(now, owner),
        )
        .limit(1)
    )
    db.session.commit()
    return found is not None


def _claim_batch(
    channel: Channel, now: datetime, size: int, owner: int | None = None
) -> list[OutgoingEmail]:
    """Lease up to `size` due rows, urgent ones (rapid-response alerts) first, then oldest due
    first. `owner`: the claiming worker (`_Marks.owner`), recorded in `leased_by`."""
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    query = (
        sa.select(OutgoingEmail)
        .where(
            OutgoingEmail.channel == channel,
            OutgoingEmail.status == EmailStatus.queued,
            OutgoingEmail.next_attempt_at <= now,
            _available(now, owner),
        )
        .order_by(OutgoingEmail.priority, OutgoingEmail.next_attempt_at, OutgoingEmail.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    if channel == Channel.email:
        # The stored MIME is all an email needs; the bodies (one decryption each) are loaded
        # only for a row queued without it (`wire_bytes`).
        query = query.options(
            orm.undefer(OutgoingEmail.mime),
            orm.defer(OutgoingEmail.subject),
            orm.defer(OutgoingEmail.body_text),
            orm.defer(OutgoingEmail.body_html),
            orm.defer(OutgoingEmail.last_error),
        )
    if db.engine.dialect.name == "postgresql":
        # A lease only keeps other workers away; losing one to a crash of the database server
        # (the only way a committed transaction is lost with this setting) costs what losing
        # the marks costs (see `_Marks`), so the claim does not wait for the WAL flush either.
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO off"))
    rows = db.session.scalars(query).all()
    if rows:
        db.session.execute(
            sa.update(OutgoingEmail)
            .where(OutgoingEmail.id.in_([r.id for r in rows]))
            .values(leased_until=now + lease, leased_by=owner)
            .execution_options(synchronize_session=False)
        )
    # The rows keep their loaded values (no reload per row); outcomes are written by `_Marks`.
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    return rows


def deliver_due(
    limit: int | None = None,
    now: datetime | None = None,
    channels: list[Channel] | None = None,
) -> DeliveryReport:
    """Send every due message (or up to `limit` per channel) and record each outcome.

    Without `now` the clock runs: messages that fall due while the run goes on are sent too, so
    the worker drains the queue in one run instead of waiting for its next interval.
    """
    report = DeliveryReport()
    for channel in channels or active_channels():
        _deliver_channel(channel, report, limit, (lambda: now) if now else utcnow)
    return report


def _pause(state: ChannelState, exc: Exception, now: datetime) -> None:
    state.failures += 1
    state.down_since = state.down_since or now
    state.paused_until = now + _probe_backoff(state.failures)
    state.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    log.warning(
        "%s channel down (failure %d, next probe at %s): %s",
        state.channel, state.failures, state.paused_until.isoformat(), exc,
    )  # fmt: skip
    if isinstance(exc, ChannelRefused) and state.alerted_at is None:
        # Our credentials, account or sender: waiting will not end it. Said once, loudly.
        from coalition.mail.admins import tell_admins_channel_refused

        state.alerted_at = now
        log.error(
            "%s channel refuses us (%s at %s): paused until it accepts again; admins told",
            state.channel, exc.code, exc.stage,
        )  # fmt: skip
        tell_admins_channel_refused(state.channel.value, exc.stage, exc.code, now)


def _resume(state: ChannelState) -> None:
    if state.failures:
        log.info("%s channel answers again; delivering the queue", state.channel)
    if state.alerted_at is None:
        # A channel that refused us keeps its backoff until a message goes through: its probe
        # cannot always tell (a relay that denies relaying answers NOOP and MAIL FROM).
        state.failures = 0
        state.down_since = None
        state.last_error = None
    state.paused_until = None


def _accepted_again(channel: Channel) -> None:
    """A message went through on a channel that had refused us: the refusal is over."""
    state = channel_state(channel)
    if state.alerted_at is not None:
        log.warning("%s channel accepts our messages again", channel)
        state.alerted_at = None
        state.failures = 0
        state.down_since = None
        state.last_error = None
    db.session.commit()


def _deliver_channel(channel: Channel, report: DeliveryReport, limit, clock) -> None:
    now = clock()
    state = channel_state(channel)
    if state.paused_until is not None and state.paused_until > now:
        report.paused_channels.append(channel.value)
        db.session.commit()
        return
    try:
        transport = _open(channel)
    except ChannelDown as exc:  # e.g. the provider is not configured
        _pause(state, exc, now)
        db.session.commit()
        report.paused_channels.append(channel.value)
        return
    try:
        if state.failures:
            try:
                transport.probe()
            except DeliveryError as exc:
                _pause(state, exc, now)
                db.session.commit()
                report.paused_channels.append(channel.value)
                return
        _resume(state)
        db.session.commit()
        sent = report.sent
        _deliver_queue(channel, transport, state, report, limit, clock)
        if report.sent > sent and state.alerted_at is not None:
            _accepted_again(channel)
    finally:
        transport.close()


def _deliver_queue(channel, transport, state, report, limit, clock) -> None:
    marks = _Marks()
    try:
        _deliver_batches(channel, transport, report, limit, clock, marks)
    finally:
        marks.close()
        db.session.expire_all()  # outcomes were written beside the session


def _deliver_batches(channel, transport, report, limit, clock, marks) -> None:
    screen = getattr(transport, "screen", None)
    lease = current_app.config["OUTBOX_LEASE_SECONDS"]
    done = 0
    while limit is None or done < limit:
        size = BATCH if limit is None else min(BATCH, limit - done)
        rows = _claim_batch(channel, clock(), size, marks.owner)
        if not rows:
            return
        claimed_at = checked_at = utcnow()
        pending = [r.id for r in rows]
        routine = any(r.priority != 0 for r in rows)
        try:
            for row in rows:
                if (utcnow() - claimed_at).total_seconds() > lease / 2:
                    break  # the lease runs out: the rest goes with the next claim
                if routine and (utcnow() - checked_at).total_seconds() >= URGENT_CHECK_SECONDS:
                    checked_at = utcnow()
                    if _urgent_waiting(channel, clock(), marks.owner):
                        break  # an alert came in: it goes first, the rest after it
                pending.remove(row.id)
                done += 1
                if not _deliver_one(channel, transport, screen, row, report, clock(), marks):
                    return
        finally:
            marks.update(pending, leased_until=None)


def _recover(channel, transport, row, report, marks) -> bool | None:
    """A row whose last request got no answer (`sending_since`): True when the provider had
    accepted it (recorded as sent), False when it had not (send it), None when the provider
    cannot tell now (the channel pauses; the row keeps its mark and is asked about again)."""
    try:
        result = transport.find_sent(row)
    except DeliveryError as exc:
        marks.update(row.id, leased_until=None, last_error=_error(exc))
        state = channel_state(channel)
        _pause(state, exc, utcnow())
        db.session.commit()
        report.paused_channels.append(channel.value)
        report.retrying += 1
        return None
    if result is None:
        log.info("%s %s: not accepted by the provider before; sending it", channel, row.id)
        return False
    marks.update(row.id, status=EmailStatus.sent, sent_at=utcnow(), leased_until=None,
                 sending_since=None, provider_id=result.provider_id,
                 segments=result.segments)  # fmt: skip
    report.sent += 1
    report.recovered += 1
    log.info("%s %s: the provider had accepted it (%s); not sent again", channel, row.id,
             result.provider_id)  # fmt: skip
    return True


def _deliver_one(channel, transport, screen, row, report, now, marks) -> bool:
    """Send one row and record its outcome; False when the channel stops for now."""
    lookup = getattr(transport, "find_sent", None)
    if lookup is not None and row.sending_since is not None:
        recovered = _recover(channel, transport, row, report, marks)
        if recovered is None:
            return False
        if recovered:
            return True
    if row.expires_at is not None and row.expires_at <= now:
        marks.update(row.id, status=EmailStatus.dropped, leased_until=None,
                     last_error="not sent: too late (its event had started)")  # fmt: skip
        report.dropped += 1
        log.info("%s %s dropped: its event had started", channel, row.id)
        return True
    hold = screen(row, now) if screen else None
    if hold is not None:
        if hold.stop_until is not None:
            marks.update(row.id, leased_until=None)
            state = channel_state(channel)
            state.paused_until = hold.stop_until
            state.last_error = hold.reason
            db.session.commit()
            report.paused_channels.append(channel.value)
            return False
        if hold.status is not None:
            marks.update(row.id, status=hold.status, leased_until=None,
                         last_error=f"not sent: {hold.reason}")  # fmt: skip
            if hold.status == EmailStatus.dropped:
                report.dropped += 1
            else:
                report.suppressed += 1
        else:
            marks.update(row.id, next_attempt_at=hold.until, leased_until=None)
        return True
    if lookup is not None:
        # Committed before the request goes: a worker that dies from here on leaves the mark,
        # and the next one asks the provider before sending again (`_recover`).
        marks.update(row.id, sending_since=utcnow())
    try:
        # The previous message's mark is written before this one can count as sent.
        result = transport.send(row, ready=marks.wait)
    except ChannelDown as exc:
        marks.update(row.id, last_error=_error(exc), leased_until=None)
        report.retrying += 1
        state = channel_state(channel)
        _pause(state, exc, now)
        db.session.commit()
        report.paused_channels.append(channel.value)
        return False
    except OutcomeUnknown as exc:
        _unknown(row, exc, report, now, marks)
    except PermanentFailure as exc:
        marks.update(row.id, status=EmailStatus.failed, leased_until=None, last_error=_error(exc),
                     sending_since=None)  # fmt: skip
        if hasattr(transport, "failed"):
            transport.failed(row, exc)
            db.session.commit()
        report.failed += 1
        log.warning("%s %s refused for good: %s", channel, row.id, exc)
    except TemporaryFailure as exc:
        _temporary(row, exc, report, now, marks)
    else:
        extra = {}
        if result is not None:  # texts: the provider's id and the segments it counted
            extra = {"provider_id": result.provider_id, "segments": result.segments}
        marks.update_later(row.id, status=EmailStatus.sent, sent_at=utcnow(), leased_until=None,
                           sending_since=None, **extra)  # fmt: skip
        report.sent += 1
    return True


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _unknown(row, exc: Exception, report: DeliveryReport, now: datetime, marks) -> None:
    if row.is_uncertain:
        marks.update(row.id, status=EmailStatus.failed, leased_until=None,
                     last_error=f"no answer twice, not tried again: {exc}"[:2000])  # fmt: skip
        report.failed += 1
        log.warning("%s %s gave up: no answer twice (%s)", row.channel, row.id, exc)
        return
    next_attempt = now + UNKNOWN_PAUSE
    marks.update(row.id, is_uncertain=True, last_error=_error(exc), leased_until=None,
                 next_attempt_at=next_attempt)  # fmt: skip
    report.retrying += 1
    log.warning("%s %s: no answer after sending; one retry at %s", row.channel, row.id,
                next_attempt.isoformat())  # fmt: skip


def _temporary(row, exc: Exception, report: DeliveryReport, now: datetime, marks) -> None:
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        marks.update(row.id, status=EmailStatus.failed, attempts=attempts, leased_until=None,
                     last_error=_error(exc), sending_since=None)  # fmt: skip
        report.failed += 1
        log.warning("%s %s gave up after %d refusals: %s", row.channel, row.id, attempts, exc)
        return
    next_attempt = now + _backoff(attempts)
    marks.update(row.id, attempts=attempts, next_attempt_at=next_attempt, leased_until=None,
                 last_error=_error(exc), sending_since=None)  # fmt: skip
    report.retrying += 1
    log.info("%s %s refused for now (try %d), retry at %s: %s", row.channel, row.id,
             attempts, next_attempt.isoformat(), exc)  # fmt: skip
