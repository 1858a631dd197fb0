"""An outage is the relay's, not each message's; a slow relay never makes copies."""

import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from coalition.db import utcnow
from coalition.mail.delivery import MAX_ATTEMPTS, UNKNOWN_PAUSE, deliver_due
from coalition.mail.models import Channel, ChannelState, EmailStatus, OutgoingEmail
from tests.conftest import RecordingHandler, _free_port


def _row(db, to, **fields):
    fields.setdefault("kind", "test")
    row = OutgoingEmail(recipient=to, subject="Hello", body_text="Hi", **fields)
    db.session.add(row)
    db.session.commit()
    return row


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _state(db) -> ChannelState:
    db.session.expire_all()
    return db.session.get(ChannelState, Channel.email)


def test_a_long_outage_gives_up_nothing_and_the_queue_resumes_oldest_first(app, db, smtp):
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()
    for n in range(5):
        _row(db, f"p{n}@example.org")
    deliver_due()
    # Down for far longer than six tries' worth: every probe fails, no message is blamed.
    for _ in range(MAX_ATTEMPTS * 3):
        probe_at = _state(db).paused_until
        report = deliver_due(now=probe_at)
        assert report.paused_channels == ["email"] and report.sent == 0
        # Probes are spaced by the channel's own backoff, capped at 30 s.
        assert _state(db).paused_until - probe_at <= timedelta(seconds=30)
    assert _state(db).failures > MAX_ATTEMPTS
    rows = db.session.scalars(sa.select(OutgoingEmail)).all()
    assert {r.status for r in rows} == {EmailStatus.queued}
    assert {r.attempts for r in rows} == {0}
    # The relay is back: one run sends the whole queue, oldest first.
    app.config["MAIL_PORT"] = real_port
    report = deliver_due(now=_state(db).paused_until)
    assert report.sent == 5
    assert [r for r, _m in smtp.messages] == [[f"p{n}@example.org"] for n in range(5)]
    assert _state(db).failures == 0


def test_a_message_that_cannot_arrive_in_time_is_dropped_and_recorded(app, db, smtp):
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()
    start = utcnow() + timedelta(minutes=1)
    late = _row(db, "late@example.org", kind="reminder", expires_at=start)
    _row(db, "fine@example.org")
    deliver_due()
    app.config["MAIL_PORT"] = real_port
    report = deliver_due(now=start + timedelta(minutes=1))
    assert (report.sent, report.dropped) == (1, 1)
    db.session.refresh(late)
    assert late.status == EmailStatus.dropped
    assert "too late" in late.last_error
    assert [r for r, _m in smtp.messages] == [["fine@example.org"]]


def test_refusals_of_one_message_are_still_given_up_and_logged_as_such(db, smtp, caplog):
    smtp.refuse["busy@example.org"] = (451, "Try again later")
    row = _row(db, "busy@example.org")
    deliver_due()
    for _ in range(MAX_ATTEMPTS):
        db.session.refresh(row)
        if row.status != EmailStatus.queued:
            break
        deliver_due(now=row.next_attempt_at)
    db.session.refresh(row)
    assert row.status == EmailStatus.failed
    assert any("gave up" in r.getMessage() for r in caplog.records)


#: The client's timeout, and a relay slower than it. The timeout leaves the greeting and the
#: envelope room on a busy machine: only the answer to the data may run past it (a timeout
#: before the data is an outage of the relay, not an unknown outcome).
TIMEOUT = 3
SLOWER = TIMEOUT + 1.5


@pytest.fixture
def slow_relay(app):
    handler = RecordingHandler()  # answers after its `delay`
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_PORT=controller.port, MAIL_TIMEOUT=TIMEOUT)
    yield handler
    controller.stop()


def test_a_timeout_after_the_data_is_retried_once_with_the_same_message_id(db, slow_relay):
    slow_relay.delay = SLOWER
    row = _row(db, "a@example.org")
    report = deliver_due()
    assert report.retrying == 1 and report.sent == 0
    db.session.refresh(row)
    assert row.status == EmailStatus.queued and row.is_uncertain
    assert row.next_attempt_at >= utcnow() + UNKNOWN_PAUSE - timedelta(seconds=5)
    # Not again before the pause.
    assert deliver_due().retrying == 0
    # Still slow: the one retry also goes unanswered, and that is the end of it.
    report = deliver_due(now=row.next_attempt_at)
    db.session.refresh(row)
    assert row.status == EmailStatus.failed
    assert deliver_due(now=row.next_attempt_at + UNKNOWN_PAUSE).failed == 0
    ids = [m["Message-ID"] for _r, m in slow_relay.messages]
    assert len(ids) == 2 and ids[0] == ids[1] == row.message_id


def test_a_slow_ack_then_a_fast_one_makes_one_copy_a_receiver_can_spot(db, slow_relay):
    slow_relay.delay = SLOWER
    row = _row(db, "a@example.org")
    deliver_due()
    slow_relay.delay = 0
    db.session.refresh(row)
    assert deliver_due(now=row.next_attempt_at).sent == 1
    ids = {m["Message-ID"] for _r, m in slow_relay.messages}
    assert ids == {row.message_id}  # two deliveries, one Message-ID
