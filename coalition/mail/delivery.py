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

The mark that records a message as sent is committed without waiting for the disk flush on
PostgreSQL (`synchronous_commit = off` for that transaction): the worker being killed loses
nothing (the server has the commit); only a crash of the database server itself can lose the
last fraction of a second of marks, i.e. re-send those messages once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.errors import (
    ChannelDown,
    DeliveryError,
    OutcomeUnknown,
    PermanentFailure,
    TemporaryFailure,
)
from coalition.mail.models import Channel, ChannelState, EmailStatus, OutgoingEmail

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


def channel_state(channel: Channel) -> ChannelState:
    state = db.session.get(ChannelState, channel)
    if state is None:
        state = ChannelState(channel=channel, failures=0)
        db.session.add(state)
        try:
            db.session.flush()
        except sa.exc.IntegrityError:  # another worker made it first
            db.session.rollback()
            state = db.session.get(ChannelState, channel)
    return state


def _fast_commit() -> None:
    """Commit a delivery mark; on PostgreSQL without waiting for the WAL flush (see above)."""
    db.session.commit()


def _begin_mark() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL synchronous_commit = off"))


def _claim_next(channel: Channel, now: datetime) -> OutgoingEmail | None:
    query = (
        sa.select(OutgoingEmail)
        .where(
            OutgoingEmail.channel == channel,
            OutgoingEmail.status == EmailStatus.queued,
            OutgoingEmail.next_attempt_at <= now,
        )
        .order_by(OutgoingEmail.next_attempt_at, OutgoingEmail.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalars(query).first()


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


def _resume(state: ChannelState) -> None:
    if state.failures:
        log.info("%s channel answers again; delivering the queue", state.channel)
    state.failures = 0
    state.paused_until = None
    state.down_since = None
    state.last_error = None


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
        _deliver_queue(channel, transport, state, report, limit, clock)
    finally:
        transport.close()


def _deliver_queue(channel, transport, state, report, limit, clock) -> None:
    screen = getattr(transport, "screen", None)
    done = 0
    while limit is None or done < limit:
        now = clock()
        _begin_mark()
        row = _claim_next(channel, now)
        if row is None:
            db.session.commit()
            return
        done += 1
        if row.expires_at is not None and row.expires_at <= now:
            _finish(row, EmailStatus.dropped, "not sent: too late (its event had started)")
            report.dropped += 1
            log.info("%s %s dropped: its event had started", channel, row.id)
            _fast_commit()
            continue
        hold = screen(row, now) if screen else None
        if hold is not None:
            if hold.stop_until is not None:
                db.session.rollback()
                state = channel_state(channel)
                state.paused_until = hold.stop_until
                state.last_error = hold.reason
                db.session.commit()
                report.paused_channels.append(channel.value)
                return
            if hold.status is not None:
                _finish(row, hold.status, f"not sent: {hold.reason}")
                if hold.status == EmailStatus.dropped:
                    report.dropped += 1
                else:
                    report.suppressed += 1
            else:
                row.next_attempt_at = hold.until
            _fast_commit()
            continue
        try:
            transport.send(row)
        except ChannelDown as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            report.retrying += 1
            db.session.commit()
            state = channel_state(channel)
            _pause(state, exc, clock())
            db.session.commit()
            report.paused_channels.append(channel.value)
            return
        except OutcomeUnknown as exc:
            _unknown(row, exc, report, now)
        except PermanentFailure as exc:
            _finish(row, EmailStatus.failed, f"{type(exc).__name__}: {exc}")
            if hasattr(transport, "failed"):
                transport.failed(row, exc)
            report.failed += 1
            log.warning("%s %s refused for good: %s", channel, row.id, exc)
        except TemporaryFailure as exc:
            _temporary(row, exc, report, now)
        else:
            row.status = EmailStatus.sent
            row.sent_at = utcnow()
            report.sent += 1
        _fast_commit()


def _finish(row: OutgoingEmail, status: EmailStatus, error: str) -> None:
    row.status = status
    row.last_error = error[:2000]


def _unknown(row: OutgoingEmail, exc: Exception, report: DeliveryReport, now: datetime) -> None:
    if row.is_uncertain:
        _finish(row, EmailStatus.failed, f"no answer twice, not tried again: {exc}")
        report.failed += 1
        log.warning("%s %s gave up: no answer twice (%s)", row.channel, row.id, exc)
        return
    row.is_uncertain = True
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    row.next_attempt_at = now + UNKNOWN_PAUSE
    report.retrying += 1
    log.warning("%s %s: no answer after sending; one retry at %s", row.channel, row.id,
                row.next_attempt_at.isoformat())  # fmt: skip


def _temporary(row: OutgoingEmail, exc: Exception, report: DeliveryReport, now: datetime) -> None:
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.status = EmailStatus.failed
        report.failed += 1
        log.warning("%s %s gave up after %d refusals: %s", row.channel, row.id, row.attempts, exc)
        return
    row.next_attempt_at = now + _backoff(row.attempts)
    report.retrying += 1
    log.info("%s %s refused for now (try %d), retry at %s: %s", row.channel, row.id,
             row.attempts, row.next_attempt_at.isoformat(), exc)  # fmt: skip
