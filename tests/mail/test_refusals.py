"""Who a relay's refusal is about: one message (it fails or waits), or us (the channel pauses).

A real SMTP server (aiosmtpd) answers each code at each step of the conversation: the greeting,
EHLO, AUTH, MAIL FROM, RCPT TO and the end of DATA. A refusal of our connection, credentials or
sender is an outage of the channel that waits for the admins (told once), never a reason to fail
the queue; a refusal of the recipient or the contents is that one message's.
"""

from __future__ import annotations

import socketserver
import threading

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from coalition.mail.delivery import deliver_due
from coalition.mail.models import Channel, ChannelState, EmailStatus, OutgoingEmail
from tests.conftest import _free_port
from tests.factories import UserFactory

ADMIN = "admin@example.org"


class ScriptedRelay:
    """Accepts mail, except at the steps given an answer in `answers` ("ehlo", "mail", "rcpt",
    "data"), where it answers that line instead."""

    def __init__(self):
        self.answers: dict[str, str] = {}
        self.accepted: list[list[str]] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if "ehlo" in self.answers:
            return [self.answers["ehlo"]]
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        if "ehlo" in self.answers:
            return self.answers["ehlo"]
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if "mail" in self.answers:
            return self.answers["mail"]
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "rcpt" in self.answers:
            return self.answers["rcpt"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if "data" in self.answers:
            return self.answers["data"]
        self.accepted.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _refuse_credentials(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=False, handled=False)


@pytest.fixture
def relay(app):
    handler = ScriptedRelay()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=_refuse_credentials,
        auth_require_tls=False,
    )
    controller.start()
    handler.port = controller.port
    app.config.update(MAIL_PORT=controller.port, MAIL_TIMEOUT=5)
    yield handler
    controller.stop()


class _Greeter(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(self.server.greeting.encode() + b"\r\n")
        self.request.recv(1024)


@pytest.fixture
def greeting_relay(app):
    """A relay that answers the connection itself with `.greeting` (then hangs up)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Greeter)
    server.daemon_threads = True
    server.greeting = "220 ready"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config.update(MAIL_PORT=server.server_address[1], MAIL_TIMEOUT=5)
    yield server
    server.shutdown()
    server.server_close()


def _row(db, to="rosa@example.org", kind="test"):
    row = OutgoingEmail(recipient=to, subject="Hello", body_text="Hi", kind=kind)
    db.session.add(row)
    db.session.commit()
    return row


def _state(db) -> ChannelState | None:
    db.session.expire_all()
    return db.session.get(ChannelState, Channel.email)


def _alerts(db) -> list[OutgoingEmail]:
    return db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "channel_refused")
    ).all()


#: (step, answer, outcome): "fail" the message for good, "retry" it later (this message only),
#: "pause" the channel (an outage: busy, nobody is told), "refuse" (the channel pauses and the
#: admins are told once: our credentials, account or sender).
TABLE = [
    ("connect", "421 4.3.2 Service not available, closing", "pause"),
    ("connect", "554 5.7.1 No SMTP service here", "refuse"),
    ("ehlo", "421 4.3.2 Shutting down", "pause"),
    ("ehlo", "451 4.3.0 Try later", "pause"),
    ("ehlo", "554 5.7.1 Client host rejected", "refuse"),
    ("auth", "535 5.7.8 Authentication credentials invalid", "refuse"),
    ("mail", "421 4.7.0 Too many connections", "pause"),
    ("mail", "451 4.3.0 Sender domain lookup failed, try later", "pause"),
    ("mail", "530 5.7.0 Authentication required", "refuse"),
    ("mail", "550 5.7.1 Sender rejected", "refuse"),
    ("mail", "553 5.7.1 Sender address not owned by user", "refuse"),
    ("mail", "554 5.7.1 Account suspended", "refuse"),
    ("rcpt", "421 4.7.0 Closing connection", "pause"),
    ("rcpt", "450 4.2.1 Mailbox busy", "retry"),
    ("rcpt", "451 4.3.0 Greylisted, try later", "retry"),
    ("rcpt", "452 4.2.2 Mailbox full", "retry"),
    ("rcpt", "550 5.1.1 No such user", "fail"),
    ("rcpt", "551 5.1.6 User has moved", "fail"),
    ("rcpt", "553 5.1.3 Bad recipient address syntax", "fail"),
    ("rcpt", "554 5.7.1 Recipient address rejected: policy", "fail"),
    ("rcpt", "530 5.7.0 Authentication required", "refuse"),
    ("rcpt", "554 5.7.1 Relay access denied", "refuse"),
    ("rcpt", "550 5.7.1 Relaying not permitted", "refuse"),
    ("data", "421 4.3.2 Shutting down", "pause"),
    ("data", "451 4.3.0 Local error in processing", "retry"),
    ("data", "452 4.3.1 Insufficient storage", "retry"),
    ("data", "550 5.7.1 Message content rejected", "fail"),
    ("data", "552 5.3.4 Message too big", "fail"),
    ("data", "554 5.6.0 Transaction failed: spam", "fail"),
]


@pytest.mark.parametrize(("step", "answer", "outcome"), TABLE)
def test_each_answer_at_each_step_is_sorted_by_whom_it_is_about(
    app, db, relay, greeting_relay, step, answer, outcome
):
    UserFactory(email=ADMIN, is_admin=True)
    if step == "connect":
        greeting_relay.greeting = answer
        app.config["MAIL_PORT"] = greeting_relay.server_address[1]
    elif step == "auth":
        app.config.update(MAIL_PORT=relay.port, MAIL_USERNAME="coalition", MAIL_PASSWORD="old")
    else:
        app.config["MAIL_PORT"] = relay.port
        relay.answers[step] = answer
    row = _row(db)
    report = deliver_due(channels=[Channel.email])
    db.session.refresh(row)
    state = _state(db)
    paused = state is not None and state.paused_until is not None
    if outcome == "fail":
        assert (row.status, report.failed, paused) == (EmailStatus.failed, 1, False)
    elif outcome == "retry":
        assert (row.status, row.attempts, paused) == (EmailStatus.queued, 1, False)
    else:
        # Not the message's fault: it keeps its place, untried, and the channel waits.
        assert (row.status, row.attempts, paused) == (EmailStatus.queued, 0, True)
        assert report.paused_channels == ["email"]
        told = [a.recipient for a in _alerts(db)]
        assert (told == [ADMIN]) == (outcome == "refuse"), told
        assert (state.alerted_at is not None) == (outcome == "refuse")


def test_a_relay_that_refuses_our_sender_fails_nothing_and_tells_the_admins_once(app, db, relay):
    """Issue 24: 530 at MAIL FROM for a while failed 311 of 500 messages for good."""
    admin = UserFactory(email=ADMIN, is_admin=True, language="es")
    rows = [_row(db, f"p{n}@example.org") for n in range(20)]
    relay.answers["mail"] = "530 5.7.0 Authentication required"
    for _ in range(5):  # five probes of a relay that still refuses
        state = _state(db)
        deliver_due(now=state.paused_until if state and state.paused_until else None)
    db.session.expire_all()
    assert {r.status for r in rows} == {EmailStatus.queued}
    assert {r.attempts for r in rows} == {0}
    (alert,) = _alerts(db)  # once, whatever the number of probes
    assert alert.recipient == admin.email
    assert "530" in alert.body_text and "MAIL" in alert.body_text.upper()
    assert alert.subject.startswith("Correo")  # in the admin's language
    assert "@example.org" not in alert.body_text.replace(ADMIN, "")  # no recipient named

    # The credentials are fixed: the whole queue goes, oldest first, and the alert with it.
    del relay.answers["mail"]
    report = deliver_due(now=_state(db).paused_until)
    assert report.sent == 21
    assert relay.accepted[:20] == [[f"p{n}@example.org"] for n in range(20)]
    state = _state(db)
    assert (state.alerted_at, state.failures, state.paused_until) == (None, 0, None)

    # A later refusal is a new outage: the admins are told again.
    relay.answers["mail"] = "550 5.7.1 Sender rejected"
    _row(db, "later@example.org")
    deliver_due()
    assert len(_alerts(db)) == 2


def test_a_probe_asks_for_our_sender_so_a_refusing_relay_backs_off(app, db, relay):
    relay.answers["mail"] = "530 5.7.0 Authentication required"
    _row(db)
    deliver_due()
    for _ in range(6):
        deliver_due(now=_state(db).paused_until)
    state = _state(db)
    # The probes were refused too: the pause grew to its ceiling instead of trying the queue
    # every interval.
    assert state.failures == 7
