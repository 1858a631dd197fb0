"""Channels go independently: a hung SMTP relay never holds texts back; alerts go first; a dead
worker's leased rows are taken back at once (PostgreSQL: its advisory lock is gone)."""

import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from coalition.extensions import db as _db
from coalition.mail.delivery import _claim_batch, deliver_due
from coalition.mail.models import Channel, EmailStatus, OutgoingEmail
from tests.conftest import need_postgres
from tests.sms.test_workers import _worker_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_only(backend):
    if backend != "postgresql":
        pytest.skip("proven on PostgreSQL (a worker process of its own)")
    return need_postgres()


@pytest.fixture
def hung_relay():
    """Accepts connections and never says a word (no greeting)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for sock in held:
        sock.close()
    server.close()


def _text(db, to, kind="test"):
    """A text of `kind` in the outbox. Made-up content: the row as `queue_sms` writes it (its
    priority follows from its kind, `URGENT_KINDS`), without a real notice's template."""
    body = f"{kind} to {to}"
    db.session.add(
        OutgoingEmail(
            channel=Channel.sms, kind=kind, recipient=to, subject="", body_text=body, segments=1
        )
    )
    db.session.commit()


def test_a_hung_relay_never_delays_texts(app, db, provider, pg_only, hung_relay):
    for n in range(3):
        db.session.add(OutgoingEmail(recipient=f"p{n}@example.org", subject="Hi", body_text="Hi",
                                     kind="test"))  # fmt: skip
    db.session.commit()
    _text(db, "+16175550101", kind="rapid_alert")
    env = _worker_env(app)
    env.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(hung_relay),
               MAIL_TIMEOUT="30", MAIL_DELIVERY_INTERVAL="1")  # fmt: skip
    worker = subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "worker"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        started = time.monotonic()
        # The worker starts (a few seconds on a busy machine) and asks the relay first...
        while not provider.requests and time.monotonic() - started < 25:
            time.sleep(0.05)
        waited = time.monotonic() - started
        assert provider.requests, "the text waited for the hung relay"
        # ... far sooner than MAIL_TIMEOUT (30 s), which one delivery run for both channels
        # would have spent on the relay's greeting before the texts.
        assert waited < 20, waited
        # A text queued while the relay still hangs goes too.
        _text(db, "+16175550102")
        deadline = time.monotonic() + 10
        while len(provider.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(provider.requests) == 2
    finally:
        worker.kill()
        worker.wait()
    db.session.expire_all()
    emails = db.session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.channel == "email"))
    assert {e.status for e in emails} == {EmailStatus.queued}  # waiting, not blamed


def test_alerts_go_ahead_of_everything_on_their_channel(app, db, provider):
    for n in range(5):
        _text(db, f"+161755502{n:02d}", kind="reminder")
    _text(db, "+16175550299", kind="rapid_alert")
    deliver_due(channels=[Channel.sms])
    assert provider.requests[0]["To"] == "+16175550299"
    assert len(provider.requests) == 6


def test_a_dead_workers_rows_are_taken_back_at_once(app, db, provider, pg_only):
    """A worker leases a batch and dies (its connection, and the advisory lock on it, gone):
    the next claim takes its rows at once, long before the 120 s lease runs out."""
    for n in range(4):
        _text(db, f"+161755503{n:02d}", kind="rapid_alert")
    app.config["OUTBOX_LEASE_SECONDS"] = 120
    engine = _db.engine
    holder = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    owner = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    holder.execute(sa.text("SELECT pg_advisory_lock(3082, :o)"), {"o": owner})
    from coalition.db import utcnow

    rows = _claim_batch(Channel.sms, utcnow(), 100, owner)
    assert len(rows) == 4
    # While that worker lives, nobody else takes its rows.
    assert _claim_batch(Channel.sms, utcnow(), 100, owner + 1) == []
    assert deliver_due(channels=[Channel.sms]).sent == 0
    # It dies: the server ends its session (here: the connection is closed for good).
    holder.invalidate()
    holder.close()
    report = deliver_due(channels=[Channel.sms])
    assert report.sent == 4
    assert len(provider.requests) == 4
