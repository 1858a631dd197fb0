"""What the database knows, read at scrape time: the outbox (depth, oldest due message, messages
sent and failed, SMS segments and spend), each channel's state, rapid-response alerts.

A custom collector (prometheus-client's `Collector` protocol): every scrape runs the same few
queries (`QUERIES`, however many rows there are) and reports the state as stored, so the figures
are the same whichever gunicorn worker answers and whatever process did the work (deliveries
are the worker's). Totals are counts of outbox rows in a final status: rows are never deleted
(erasure blanks their contents and keeps status, channel, times and segments), and a final
status never changes, so they only grow, as counters must.

Labels: channel, status, priority (urgent/routine), state, drill. Never a person, a recipient,
an organization, a kind of message or a link.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.delivery import active_channels
from coalition.mail.models import Channel, ChannelState, EmailStatus, OutgoingEmail
from coalition.rapid.models import Alert, AlertMessage, AlertSummary, Answer

#: Statuses a message never leaves: their counts are counters.
FINAL = (
    EmailStatus.sent,
    EmailStatus.failed,
    EmailStatus.dropped,
    EmailStatus.suppressed,
    EmailStatus.cancelled,
)
PRIORITIES = {0: "urgent", 1: "routine"}
#: A channel's state: ok; down (an outage: no connection, 421, 429/5xx; probed with backoff);
#: refused (it refuses our credentials, account or sender; admins were told); held (paused
#: without an outage, e.g. the daily SMS cap).
STATES = ("ok", "down", "refused", "held")
#: Queries per scrape, whatever the number of rows (tests/metrics counts them).
QUERIES = 7


def _seconds(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds())


def channel_state_name(state: ChannelState | None, now: datetime) -> str:
    if state is None:
        return "ok"
    if state.alerted_at is not None:
        return "refused"
    if state.failures:
        return "down"
    if state.paused_until is not None and state.paused_until > now:
        return "held"
    return "ok"


#: Rows created this recently may still be joined by rows of lower ids that a longer transaction
#: has not committed yet: the counted part never reaches them.
SETTLE = timedelta(hours=1)


@dataclass
class _Counted:
    """Totals of the outbox rows below `below` (ids), all final when they were counted."""

    below: int = 0
    totals: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _add(totals: dict, rows) -> None:
    for channel, status, priority, count, segments in rows:
        key = (Channel(channel), EmailStatus(status), priority)
        before = totals.get(key, (0, 0))
        totals[key] = (before[0] + count, before[1] + int(segments or 0))


def _final_totals(now: datetime, oldest_queued: int | None) -> dict:
    """Messages (and text segments) per channel, final status and priority, since the start.

    Counted once per process up to a boundary, then only past it: a row below the oldest still
    queued one, and older than SETTLE, is final for good (a final status never changes, no row
    is deleted), so its counts are kept instead of being read again at every scrape. Each scrape
    reads the rows from the boundary on (the primary key's range: the last hour and whatever is
    still queued), not the whole table. Two queries; `oldest_queued`: the lowest queued id."""
    counted: _Counted = current_app.extensions.setdefault("metrics_outbox", _Counted())
    with counted.lock:
        # `id + 0`: the lowest id among the last hour's rows (the created_at index), not a walk
        # of the primary key from the first row until one is recent.
        newest_settled, last = db.session.execute(
            sa.select(
                sa.select(sa.func.min(OutgoingEmail.id + 0))
                .where(OutgoingEmail.created_at > now - SETTLE)
                .scalar_subquery(),
                sa.select(sa.func.max(OutgoingEmail.id)).scalar_subquery(),
            )
        ).one()
        limits = [i for i in (oldest_queued, newest_settled) if i is not None]
        below = min(limits) if limits else (last + 1 if last is not None else 0)
        below = max(below, counted.below)
        settled = OutgoingEmail.id < below
        rows = db.session.execute(
            sa.select(
                settled,
                OutgoingEmail.channel,
                OutgoingEmail.status,
                OutgoingEmail.priority,
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(OutgoingEmail.segments), 0),
            )
            .where(OutgoingEmail.id >= counted.below, OutgoingEmail.status.in_(FINAL))
            .group_by(settled, OutgoingEmail.channel, OutgoingEmail.status, OutgoingEmail.priority)
        ).all()
        _add(counted.totals, [row[1:] for row in rows if row[0]])
        counted.below = below
        totals = dict(counted.totals)
    _add(totals, [row[1:] for row in rows if not row[0]])
    return totals


class StoredState:
    """Reads the database when collected (one scrape); call within an app context."""

    def collect(self):
        now = utcnow()
        up = GaugeMetricFamily(
            "coalition_database_up", "1 when the database answered this scrape's queries."
        )
        try:
            families = list(self._families(now))
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            current_app.logger.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        finally:
            db.session.rollback()  # read only: end the transaction, hold no snapshot
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self, now: datetime):
        yield from self._outbox(now)
        yield from self._channels(now)
        yield from self._alerts(now)

    # The outbox --------------------------------------------------------------------------

    def _outbox(self, now: datetime):
        queued = db.session.execute(
            sa.select(
                OutgoingEmail.channel,
                OutgoingEmail.priority,
                sa.func.count(),
                sa.func.sum(sa.case((OutgoingEmail.next_attempt_at <= now, 1), else_=0)),
                sa.func.min(OutgoingEmail.next_attempt_at),
                sa.func.min(OutgoingEmail.id),
            )
            # Every channel named: the due index (channel, status, ...) then reads only the
            # queued rows.
            .where(
                OutgoingEmail.channel.in_(list(Channel)), OutgoingEmail.status == EmailStatus.queued
            )
            .group_by(OutgoingEmail.channel, OutgoingEmail.priority)
        ).all()
        oldest_queued = min((row[5] for row in queued), default=None)
        totals = [
            (c, s, p, n, segments)
            for (c, s, p), (n, segments) in _final_totals(now, oldest_queued).items()
        ]
        channels = {Channel(c) for c in active_channels()}
        channels |= {Channel(row[0]) for row in queued} | {Channel(row[0]) for row in totals}
        channels = sorted(channels, key=lambda c: list(Channel).index(c))

        depth = GaugeMetricFamily(
            "coalition_outbox_queued",
            "Messages waiting in the outbox (due or not yet: backoff, quiet hours, daily cap).",
            labels=["channel", "priority"],
        )
        due = GaugeMetricFamily(
            "coalition_outbox_due",
            "Messages in the outbox whose time to be sent has come.",
            labels=["channel", "priority"],
        )
        oldest = GaugeMetricFamily(
            "coalition_outbox_oldest_due_seconds",
            "How long the oldest due message has waited past its time (0: none waiting).",
            labels=["channel", "priority"],
        )
        found = {(Channel(c), p): (n, d, first) for c, p, n, d, first, _ in queued}
        for channel in channels:
            for priority, name in PRIORITIES.items():
                count, due_count, first = found.get((channel, priority), (0, 0, None))
                labels = [channel.value, name]
                depth.add_metric(labels, count)
                due.add_metric(labels, due_count or 0)
                late = _seconds(now, first) if first is not None and first <= now else 0.0
                oldest.add_metric(labels, late)
        yield depth
        yield due
        yield oldest

        messages = CounterMetricFamily(
            "coalition_outbox_messages",
            "Messages that reached a final status: sent (handed to the relay or the provider), "
            "failed (given up), dropped (too late), suppressed (STOP, invalid number), "
            "cancelled (erased before sending).",
            labels=["channel", "status", "priority"],
        )
        counts = {(Channel(c), EmailStatus(s), p): n for c, s, p, n, _ in totals}
        for channel in channels:
            for status in FINAL:
                for priority, name in PRIORITIES.items():
                    count = counts.get((channel, status, priority), 0)
                    messages.add_metric([channel.value, status.value, name], count)
        yield messages

        segments = sum(
            int(s) for c, status, _, _, s in totals
            if Channel(c) == Channel.sms and EmailStatus(status) == EmailStatus.sent
        )  # fmt: skip
        yield CounterMetricFamily(
            "coalition_sms_segments",
            "Text message segments sent (what the provider bills).",
            value=segments,
        )
        price = current_app.config.get("SMS_SEGMENT_PRICE")
        if price:
            yield CounterMetricFamily(
                "coalition_sms_spend",
                "What the texts sent cost: segments × SMS_SEGMENT_PRICE (its currency).",
                value=round(segments * float(price), 6),
            )

    # Channels ----------------------------------------------------------------------------

    def _channels(self, now: datetime):
        states = {Channel(s.channel): s for s in db.session.scalars(sa.select(ChannelState))}
        channels = sorted(
            {Channel(c) for c in active_channels()} | set(states),
            key=lambda c: list(Channel).index(c),
        )
        state = GaugeMetricFamily(
            "coalition_channel_state",
            "1 for the channel's current state: ok, down (outage, probed), refused (refuses "
            "our credentials, account or sender), held (paused without an outage: daily cap).",
            labels=["channel", "state"],
        )
        down = GaugeMetricFamily(
            "coalition_channel_down_seconds",
            "How long the channel has been down or refusing us (0 when it works).",
            labels=["channel"],
        )
        failures = GaugeMetricFamily(
            "coalition_channel_failures",
            "Failed connections or probes in a row (0 when the channel works).",
            labels=["channel"],
        )
        for channel in channels:
            stored = states.get(channel)
            current = channel_state_name(stored, now)
            for name in STATES:
                state.add_metric([channel.value, name], 1 if name == current else 0)
            since = stored.down_since if stored is not None else None
            down.add_metric([channel.value], _seconds(now, since) if since else 0.0)
            failures.add_metric([channel.value], stored.failures if stored else 0)
        yield state
        yield down
        yield failures

    # Rapid response ----------------------------------------------------------------------

    def _alerts(self, now: datetime):
        stored = db.session.execute(
            sa.select(Alert.is_drill, Alert.closed_at.is_(None), sa.func.count()).group_by(
                Alert.is_drill, Alert.closed_at.is_(None)
            )
        ).all()
        # Alerts erased by the purge leave their summary (`rapid.operations.purge_alerts`).
        erased = db.session.execute(
            sa.select(AlertSummary.is_drill, sa.func.count())
            .where(AlertSummary.alert_id.not_in(sa.select(Alert.id)))
            .group_by(AlertSummary.is_drill)
        ).all()
        open_ = GaugeMetricFamily(
            "coalition_rapid_alerts_open", "Rapid-response alerts not closed.", labels=["drill"]
        )
        total = CounterMetricFamily(
            "coalition_rapid_alerts", "Rapid-response alerts sent.", labels=["drill"]
        )
        for drill in (False, True):
            label = [str(drill).lower()]
            open_.add_metric(label, sum(n for d, is_open, n in stored if d == drill and is_open))
            total.add_metric(
                label,
                sum(n for d, _, n in stored if d == drill)
                + sum(n for d, n in erased if d == drill),
            )
        yield open_
        yield total
        yield from self._latest_alerts(now)

    def _latest_alerts(self, now: datetime):
        """Of the latest alert (and the latest drill): when it was opened, its messages still
        waiting, and its time to the last recipient: per ring, from the ring (the answers'
        `alerted_at`) to its last alert message handed to the relay or the provider; while
        some still wait, the time so far."""

        def latest(drill: bool):
            return (
                sa.select(Alert.id)
                .where(Alert.is_drill.is_(drill))
                .order_by(Alert.created_at.desc(), Alert.id.desc())
                .limit(1)
                .scalar_subquery()
            )

        waiting = sa.func.sum(sa.case((OutgoingEmail.status == EmailStatus.queued, 1), else_=0))
        rows = db.session.execute(
            sa.select(
                Alert.is_drill,
                Alert.created_at,
                Answer.alerted_at,
                sa.func.max(OutgoingEmail.sent_at),
                waiting,
            )
            .select_from(Alert)
            .outerjoin(Answer, Answer.alert_id == Alert.id)
            .outerjoin(AlertMessage, AlertMessage.answer_id == Answer.id)
            .outerjoin(
                OutgoingEmail,
                sa.and_(
                    OutgoingEmail.id == AlertMessage.message_id,
                    OutgoingEmail.kind == "rapid_alert",
                ),
            )
            .where(sa.or_(Alert.id == latest(False), Alert.id == latest(True)))
            .group_by(Alert.is_drill, Alert.created_at, Answer.alerted_at)
        ).all()
        opened = GaugeMetricFamily(
            "coalition_rapid_alert_latest_opened_timestamp_seconds",
            "When the latest alert was opened (Unix time).",
            labels=["drill"],
        )
        left = GaugeMetricFamily(
            "coalition_rapid_alert_latest_waiting",
            "Messages of the latest alert still waiting in the outbox.",
            labels=["drill"],
        )
        last = GaugeMetricFamily(
            "coalition_rapid_alert_last_recipient_seconds",
            "Latest alert: seconds from each ring to its last message handed to the relay or "
            "provider, the longest ring (while messages wait: the time so far).",
            labels=["drill"],
        )
        alerts: dict[bool, dict] = {}
        for drill, created_at, rung_at, last_sent, queued in rows:
            alert = alerts.setdefault(drill, {"opened": created_at, "waiting": 0, "rings": []})
            if rung_at is None:
                continue  # nobody matched: no message to time
            alert["waiting"] += int(queued or 0)
            if queued:
                alert["rings"].append(_seconds(now, rung_at))
            elif last_sent is not None:
                alert["rings"].append(_seconds(last_sent, rung_at))
        for drill, alert in sorted(alerts.items()):
            label = [str(drill).lower()]
            opened.add_metric(label, alert["opened"].timestamp())
            left.add_metric(label, alert["waiting"])
            if alert["rings"]:
                last.add_metric(label, max(alert["rings"]))
        yield opened
        yield left
        yield last
