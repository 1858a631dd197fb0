"""Delivering the outbox over a real SMTP server on loopback."""

import socket

import sqlalchemy as sa

from coalition.mail.delivery import MAX_ATTEMPTS, deliver_due
from coalition.mail.models import Channel, ChannelState, EmailStatus, OutgoingEmail
from coalition.mail.operations import queue_email


def _queue(db, *recipients):
    for to in recipients:
        queue_email(
            to=to,
            kind="test",
            subject="Hello",
            template="auth/password_reset",
            locale="en",
            user=type("U", (), {"name": "Ana"})(),
            reset_url="http://localhost/x",
            hours=2,
        )
    db.session.commit()


def _statuses(db):
    return {
        m.recipient: m.status
        for m in db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id))
    }


def test_a_batch_is_sent_with_text_and_html_parts(db, smtp):
    _queue(db, "a@example.org", "b@example.org")
    report = deliver_due()
    assert report.sent == 2
    assert sorted(r[0] for r, _m in smtp.messages) == ["a@example.org", "b@example.org"]
    _r, message = smtp.messages[0]
    assert message.get_body(preferencelist=("plain",)) is not None
    assert message.get_body(preferencelist=("html",)) is not None
    assert set(_statuses(db).values()) == {EmailStatus.sent}
    # Running again sends nothing twice.
    assert deliver_due().sent == 0
    assert len(smtp.messages) == 2


def test_a_refused_recipient_fails_alone_and_the_batch_goes_on(db, smtp):
    smtp.refuse["bad@example.org"] = (550, "No such user")
    _queue(db, "a@example.org", "bad@example.org", "c@example.org")
    report = deliver_due()
    assert (report.sent, report.failed) == (2, 1)
    statuses = _statuses(db)
    assert statuses["bad@example.org"] == EmailStatus.failed
    failed = next(m for m in db.session.scalars(sa.select(OutgoingEmail))
                  if m.recipient == "bad@example.org")  # fmt: skip
    assert "No such user" in failed.last_error


def test_a_temporary_refusal_is_retried_later_then_given_up(db, smtp):
    smtp.refuse["busy@example.org"] = (451, "Try again later")
    _queue(db, "busy@example.org")
    report = deliver_due()
    assert report.retrying == 1
    email = db.session.scalar(sa.select(OutgoingEmail))
    assert email.status == EmailStatus.queued
    assert email.attempts == 1
    # Not due again before its backoff has passed.
    assert deliver_due().retrying == 0
    for attempt in range(2, MAX_ATTEMPTS + 1):
        report = deliver_due(now=email.next_attempt_at)
        db.session.refresh(email)
        assert email.attempts == attempt
    assert email.status == EmailStatus.failed


def test_an_unreachable_relay_leaves_mail_queued(app, db):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    app.config["MAIL_PORT"] = closed_port
    _queue(db, "a@example.org")
    report = deliver_due()
    assert report.retrying == 1
    assert _statuses(db)["a@example.org"] == EmailStatus.queued


def test_folder_backend_writes_one_eml_per_message(app, db, tmp_path):
    app.config.update(MAIL_BACKEND="folder", MAIL_FOLDER=str(tmp_path))
    _queue(db, "a@example.org", "b@example.org")
    assert deliver_due().sent == 2
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    assert b"To: a@example.org" in files[0].read_bytes()


def test_a_rolled_back_request_sends_nothing(client, db, smtp):
    # A registration that fails validation queues nothing.
    client.submit("/password/forgot", {"email": "not an email"}, page="/password/forgot")
    assert deliver_due().sent == 0


def test_a_batch_reuses_one_smtp_connection(db, smtp):
    _queue(db, "a@example.org", "b@example.org", "c@example.org")
    assert deliver_due().sent == 3
    assert len(set(smtp.peers)) == 1


def _silent_server():
    """A TCP server on loopback that accepts connections and never answers (a hung relay)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    return server


def test_a_relay_that_hangs_times_out_and_pauses_the_channel(app, db):
    server = _silent_server()
    try:
        app.config.update(MAIL_PORT=server.getsockname()[1], MAIL_TIMEOUT=1)
        _queue(db, "a@example.org")
        report = deliver_due()
        assert report.retrying == 1
        assert report.paused_channels == ["email"]
        email = db.session.scalar(sa.select(OutgoingEmail))
        assert email.status == EmailStatus.queued
        assert email.attempts == 0  # the relay's fault, not the message's
        assert "timed out" in email.last_error.lower() or "timeout" in email.last_error.lower()
    finally:
        server.close()


def test_a_dropped_connection_fails_one_message_and_the_next_reconnects(app, db, smtp):
    import threading

    # A relay that greets, then hangs up at the first command.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve_once():
        connection, _ = server.accept()
        connection.sendall(b"220 flaky relay\r\n")
        connection.recv(1024)
        connection.close()

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    real_port = app.config["MAIL_PORT"]
    app.config.update(MAIL_PORT=server.getsockname()[1], MAIL_TIMEOUT=2)
    _queue(db, "a@example.org")
    report = deliver_due()
    thread.join(timeout=5)
    server.close()
    assert report.retrying == 1
    # The relay is back: the probe succeeds and the message goes out on the next run.
    app.config["MAIL_PORT"] = real_port
    state = db.session.get(ChannelState, Channel.email)
    assert deliver_due(now=state.paused_until).sent == 1
    assert [r for r, _m in smtp.messages] == [["a@example.org"]]


def test_the_message_is_rendered_once_when_queued_and_stored_encrypted(db, smtp):
    _queue(db, "a@example.org")
    row = db.session.scalars(sa.select(OutgoingEmail)).one()
    # What goes on the wire is built with the row (the worker only names the row in front).
    assert row.mime is not None and b"Subject: Hello" in row.mime
    assert b"X-Coalition-Id" not in row.mime and row.message_id.encode() in row.mime
    stored = db.session.execute(sa.text("SELECT mime FROM outgoing_emails")).scalar_one()
    assert b"Hello" not in stored.encode() and b"a@example.org" not in stored.encode()
    assert deliver_due().sent == 1
    ((_recipients, message),) = smtp.messages
    assert message["X-Coalition-Id"] == str(row.id)
    assert message["Message-ID"] == row.message_id
    assert message.get_body(preferencelist=("html",)) is not None


def test_a_row_queued_without_its_mime_is_built_when_sent(db, smtp):
    _queue(db, "a@example.org")
    row = db.session.scalars(sa.select(OutgoingEmail)).one()
    db.session.execute(  # queued before the column existed
        sa.update(OutgoingEmail).values(mime=None).execution_options(synchronize_session=False)
    )
    db.session.commit()
    assert deliver_due().sent == 1
    ((_recipients, message),) = smtp.messages
    assert message["Subject"] == "Hello" and message["X-Coalition-Id"] == str(row.id)
    assert "Ana" in message.get_body(preferencelist=("plain",)).get_content()
