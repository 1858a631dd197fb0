"""Reminder delivery benchmark (issue 6).

1. Rate: 10,000 due reminders delivered to a local SMTP sink by the worker's own code path
   (reminders -> outbox -> SMTP, one transaction per message, one SMTP connection per batch),
   as a ratio to plain smtplib sending as many prebuilt messages over one connection.
2. Crashes: the same run with the worker process killed (SIGKILL) several times and restarted;
   counts losses (must be 0) and duplicates (at most one per kill).
3. Two workers at once on PostgreSQL: duplicates (must be 0).

Usage: .venv/bin/python bench/reminders_bench.py [--count 10000] [--kills 5]
       [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
PostgreSQL parts create and drop their own database on that server (skipped without it).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Sink:
    """Counts messages by their X-Coalition-Id header."""

    def __init__(self):
        self.ids: Counter = Counter()
        self.total = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        header = b"X-Coalition-Id: "
        content = envelope.original_content or envelope.content
        start = content.find(header)
        ident = content[start + len(header) : content.find(b"\r\n", start)] if start >= 0 else b"?"
        with self.lock:
            self.ids[ident] += 1
            self.total += 1
        return "250 OK"

    def reset(self):
        with self.lock:
            self.ids.clear()
            self.total = 0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(sink: Sink, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while sink.total < expected and time.monotonic() < deadline:
        time.sleep(0.05)


#: Contacts are encrypted at rest: the seeding process and the workers share these keys.
CONTACT_KEYS = {
    "CONTACT_KEYS": "YmVuY2gtb25seS1ub3QtYS1zZWNyZXQtY29udGFjdHM=",
    "CONTACT_HASH_KEY": "bench-only-not-a-secret-contact-hash-key",
}


def env_for(url: str, port: int) -> dict:
    env = dict(os.environ)
    env.update(
        COALITION_ENV="production",
        SECRET_KEY="bench-not-secret",
        **CONTACT_KEYS,
        DATABASE_URL=url,
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        RATELIMIT_ENABLED="0",
        BASE_URL="http://127.0.0.1:5000",
    )
    return env


def seed(url: str, count: int) -> None:
    """An event tomorrow with `count` confirmed attendees, each with one reminder due now."""
    from coalition import create_app
    from coalition.auth.models import User
    from coalition.events import operations as event_ops
    from coalition.events.models import EventStatus
    from coalition.events.types import ensure_default_types
    from coalition.extensions import db
    from coalition.orgs.models import Membership, Organization, OrgRole, OrgStatus
    from coalition.reminders.models import Reminder, ReminderKind
    from coalition.rsvps.models import RSVP, RSVPStatus

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, **CONTACT_KEYS})
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_default_types()
        org = Organization(name="Bench Workers", slug="bench", status=OrgStatus.active)
        user = User(email="bench@example.org", name="Bench", password_hash="x")
        org.memberships.append(Membership(user=user, role=OrgRole.organizer))
        db.session.add(org)
        db.session.flush()
        tomorrow = date.today() + timedelta(days=2)
        data = event_ops.EventInput(
            type_slug="rally", primary_language="en", texts={"en": ("Bench rally", "")},
            timezone="America/New_York", start_date=tomorrow,
            start_time=datetime(2000, 1, 1, 12).time(), reminder_offsets=[1440 * 3],
        )  # fmt: skip
        event = event_ops.create_event(org, user, data)
        event.status = EventStatus.published
        db.session.flush()
        occurrence = event.occurrences[0]
        now = datetime.now(UTC)
        db.session.execute(
            sa.insert(RSVP),
            [
                {
                    "occurrence_id": occurrence.id,
                    "name": f"P{n}",
                    "email": f"p{n}@example.org",
                    "language": "es" if n % 2 else "en",
                    "party_size": 1,
                    "status": RSVPStatus.confirmed,
                    "manage_secret": uuid.uuid4().hex,
                    "consents_to_reminders": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ],
        )
        ids = db.session.scalars(sa.select(RSVP.id).order_by(RSVP.id)).all()
        db.session.execute(
            sa.insert(Reminder),
            [
                {
                    "kind": ReminderKind.attendee,
                    "occurrence_id": occurrence.id,
                    "rsvp_id": i,
                    "offset_minutes": 1440 * 3,
                    "due_at": now - timedelta(minutes=1),
                    "status": "pending",
                    "created_at": now,
                }
                for i in ids
            ],
        )
        db.session.commit()
        db.engine.dispose()


DRAIN = """
from coalition import create_app
from coalition.mail.delivery import deliver_due
from coalition.reminders.operations import send_due
from coalition.extensions import db
app = create_app()
with app.app_context():
    while True:
        queued = send_due(limit=200).queued
        sent = deliver_due(limit=200)
        if queued == 0 and sent.sent == 0 and sent.retrying == 0:
            break
"""


def drain(url: str, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DRAIN], cwd=ROOT, env=env_for(url, port),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def baseline(port: int, count: int) -> float:
    messages = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = "coalition@localhost"
        message["To"] = f"p{n}@example.org"
        message["Subject"] = "Reminder: Bench rally"
        message["X-Coalition-Id"] = str(n)
        message.set_content("Hello, this is a reminder.\n" * 20)
        messages.append(message)
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
        for message in messages:
            smtp.send_message(message)
    return count / (time.perf_counter() - started)


def run_rate(url: str, port: int, sink: Sink, count: int) -> float:
    seed(url, count)
    sink.reset()
    started = time.perf_counter()
    process = drain(url, port)
    process.wait()
    wait_for(sink, count, 30)
    elapsed = time.perf_counter() - started
    assert process.returncode == 0, process.stderr.read().decode()[-2000:]
    return sink.total / elapsed


def run_kills(url: str, port: int, sink: Sink, count: int, kills: int) -> tuple[int, int, int]:
    seed(url, count)
    sink.reset()
    rng = random.Random(7)
    done_kills = 0
    while True:
        process = drain(url, port)
        if done_kills < kills:
            time.sleep(rng.uniform(1.0, 3.0))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                done_kills += 1
                continue
        process.wait()
        if process.returncode == 0:
            break
    wait_for(sink, count, 30)
    losses = sum(1 for n in range(1, count + 1) if sink.ids[str(n).encode()] == 0)
    duplicates = sum(c - 1 for c in sink.ids.values() if c > 1)
    return done_kills, losses, duplicates


def run_two_workers(url: str, port: int, sink: Sink, count: int) -> tuple[int, int]:
    seed(url, count)
    sink.reset()
    processes = [drain(url, port), drain(url, port)]
    for process in processes:
        process.wait()
    wait_for(sink, count, 30)
    losses = sum(1 for n in range(1, count + 1) if sink.ids[str(n).encode()] == 0)
    duplicates = sum(c - 1 for c in sink.ids.values() if c > 1)
    return losses, duplicates


def postgres_database(server_url: str | None):
    if not server_url:
        return None, None
    name = f"coalition_bench_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}); skipping its parts")
        return None, None
    url = sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return url, (admin, name)


def drop_database(handle) -> None:
    admin, name = handle
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server to create a scratch database on ('' to skip)",
    )
    args = parser.parse_args()

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    tmp = tempfile.mkdtemp(prefix="coalition-bench-")
    sqlite_url = f"sqlite:///{tmp}/bench.db"
    pg_url, pg_handle = postgres_database(args.database_url)
    try:
        base = baseline(port, args.count)
        sink.reset()
        print(f"plain smtplib, one connection:      {base:8.0f} msg/s  (baseline)")
        for label, url in (("SQLite", sqlite_url), ("PostgreSQL", pg_url)):
            if url is None:
                continue
            rate = run_rate(url, port, sink, args.count)
            print(f"worker path on {label:<10}          {rate:8.0f} msg/s  ratio {rate / base:.3f}")
        crash_url = pg_url or sqlite_url
        kills, losses, duplicates = run_kills(crash_url, port, sink, args.count, args.kills)
        print(
            f"SIGKILL x{kills} mid-run ({'PostgreSQL' if pg_url else 'SQLite'}): "
            f"losses {losses} (must be 0), duplicates {duplicates} (at most {kills})"
        )
        if pg_url:
            losses, duplicates = run_two_workers(pg_url, port, sink, args.count)
            print(f"two workers at once (PostgreSQL): losses {losses}, duplicates {duplicates}"
                  " (must be 0)")  # fmt: skip
    finally:
        controller.stop()
        if pg_handle is not None:
            drop_database(pg_handle)


if __name__ == "__main__":
    main()
