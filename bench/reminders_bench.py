"""Reminder delivery benchmark (issue 6).

1. Rate: 10,000 due reminders delivered to a local SMTP sink by the worker's own code path
   (reminders -> outbox -> SMTP, one transaction per message, one SMTP connection per batch),
   as a ratio to plain smtplib sending as many prebuilt messages over one connection.
2. Crashes: the same run with the worker process killed (SIGKILL) several times and restarted;
   counts losses (must be 0) and duplicates (at most one per kill).
3. Two workers at once on PostgreSQL: duplicates (must be 0).
4. As deployed (issue 13): `--deployed N` queued messages delivered by `flask worker` itself
   (a subprocess, default settings) against the same sink, timed from the worker's start and
   from the first to the last message received, as a ratio to the plain smtplib loop; then the
   same with the worker killed (SIGKILL) `--kills` times and restarted: losses and duplicates.
5. Texts (issue 11): `--texts N` texts through the outbox to a local server speaking Twilio's
   Messages API, against a plain loop of `twilio` client calls to the same server; kills and
   two workers at once count requests per text.

Usage: .venv/bin/python bench/reminders_bench.py [--count 10000] [--kills 5] [--deployed 2000]
       [--texts 2000] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
       [--use-database URL] [--skip-reminders]
PostgreSQL parts create and drop their own database on that server (skipped without it), or use
the existing database given with --use-database (its tables are dropped and re-created).
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
    """Counts messages by their X-Coalition-Id header, with the times of the first and last."""

    def __init__(self):
        self.ids: Counter = Counter()
        self.total = 0
        self.first = self.last = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        header = b"X-Coalition-Id: "
        content = envelope.original_content or envelope.content
        start = content.find(header)
        ident = content[start + len(header) : content.find(b"\r\n", start)] if start >= 0 else b"?"
        with self.lock:
            self.ids[ident] += 1
            self.total += 1
            self.last = time.perf_counter()
            if self.total == 1:
                self.first = self.last
        return "250 OK"

    def reset(self):
        with self.lock:
            self.ids.clear()
            self.total = 0
            self.first = self.last = 0.0


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


# As deployed: `flask worker` itself ---------------------------------------------------------


def queue_reminder_mail(url: str, count: int) -> None:
    """`count` reminder emails in the outbox, rendered by the app (text, HTML and .ics)."""
    from coalition import create_app
    from coalition.reminders.operations import send_due

    seed(url, count)
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, **CONTACT_KEYS})
    with app.app_context():
        from coalition.extensions import db

        send_due(limit=count)
        db.engine.dispose()


_compiled = False


def start_worker(env: dict) -> subprocess.Popen:
    global _compiled
    if not _compiled:
        # As installed (`pip install .` writes the bytecode of the package): this editable
        # checkout would otherwise compile every module at each start when bytecode is not
        # written (PYTHONDONTWRITEBYTECODE), ~0.5 s that no deployment pays.
        subprocess.run([sys.executable, "-m", "compileall", "-q", "coalition", "config.py",
                        "wsgi.py"], cwd=ROOT, check=True)  # fmt: skip
        _compiled = True
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "worker"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def baseline_same_messages(url: str, port: int, sink: Sink) -> float:
    """Plain smtplib over one connection, sending the very bytes the outbox holds (prebuilt)."""
    from coalition import create_app
    from coalition.extensions import db
    from coalition.mail.models import OutgoingEmail
    from coalition.mail.transports import build_message

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, **CONTACT_KEYS})
    with app.app_context():
        rows = db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
        messages = [(r.recipient, build_message(r).as_bytes()) for r in rows]
        db.engine.dispose()
    sink.reset()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
        for recipient, data in messages:
            smtp.sendmail("coalition@localhost", [recipient], data)
    rate = len(messages) / (time.perf_counter() - started)
    sink.reset()
    return rate


def run_deployed(url: str, port: int, sink: Sink, count: int) -> tuple[float, float, float]:
    """(baseline msg/s, msg/s from the worker's start, msg/s from the first to the last)."""
    queue_reminder_mail(url, count)
    base = baseline_same_messages(url, port, sink)
    started = time.perf_counter()
    process = start_worker(env_for(url, port))
    try:
        wait_for(sink, count, 120)
    finally:
        stop(process)
    assert sink.total >= count, f"only {sink.total} of {count} delivered"
    return base, count / (sink.last - started), (count - 1) / (sink.last - sink.first)


def run_deployed_kills(url, port, sink, count, kills) -> tuple[int, int, int]:
    queue_reminder_mail(url, count)
    sink.reset()
    env = env_for(url, port)
    env["OUTBOX_LEASE_SECONDS"] = "2"  # the killed worker's unsent batch is taken up soon
    rng = random.Random(11)
    done_kills = 0
    while done_kills < kills:
        process = start_worker(env)
        # Kill somewhere in the middle of delivery (after at least one message went).
        before = sink.total
        deadline = time.monotonic() + 30
        while sink.total <= before and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.05, 0.6))
        process.send_signal(signal.SIGKILL)
        process.wait()
        done_kills += 1
    process = start_worker(env)
    try:
        wait_for(sink, count, 120)
        time.sleep(1)
    finally:
        stop(process)
    losses = sum(1 for n in range(1, count + 1) if sink.ids[str(n).encode()] == 0)
    duplicates = sum(c - 1 for c in sink.ids.values() if c > 1)
    return done_kills, losses, duplicates


# Texts through the outbox to a local Twilio-like server ---------------------------------------


def queue_texts(url: str, count: int, reset: bool = True) -> None:
    """`count` texts in the outbox, bodies numbered so that copies can be counted."""
    from coalition import create_app
    from coalition.extensions import db
    from coalition.mail.models import Channel, OutgoingEmail

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, **CONTACT_KEYS})
    with app.app_context():
        if reset:
            db.drop_all()
            db.create_all()
        now = datetime.now(UTC)
        db.session.execute(
            sa.insert(OutgoingEmail),
            [
                {
                    "channel": Channel.sms,
                    "kind": "reminder",
                    "recipient": f"+1617555{n:04d}",
                    "subject": "",
                    "body_text": f"Reminder {n}: May Day rally tomorrow 10am, "
                    "City Hall. Details: http://127.0.0.1:5000/r/abcdefghijklmnop",
                    "headers": {},
                    "attachments": [],
                    "message_id": f"<b{n}@bench>",
                    "status": "queued",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "segments": 1,
                    "is_uncertain": False,
                }
                for n in range(count)
            ],
        )
        db.session.commit()
        db.engine.dispose()


def sms_env(url: str, provider) -> dict:
    env = env_for(url, 1)
    env["OUTBOX_LEASE_SECONDS"] = "2"  # a killed worker's unsent batch is taken up soon
    env.update({key: str(value) for key, value in provider.config().items()})
    env["MAIL_BACKEND"] = "folder"
    env["MAIL_FOLDER"] = tempfile.mkdtemp(prefix="coalition-bench-mail-")
    return env


SMS_DRAIN = """
from coalition import create_app
from coalition.mail.delivery import deliver_due
from coalition.mail.models import Channel
from coalition.settings.operations import set_setting
from coalition.extensions import db
app = create_app()
with app.app_context():
    set_setting("sms_daily_cap", 0)
    db.session.commit()
    while True:
        report = deliver_due(limit=200, channels=[Channel.sms])
        if report.sent == 0 and report.retrying == 0:
            break
"""


def sms_drain(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SMS_DRAIN], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def sms_baseline(provider, count: int) -> float:
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    config = provider.config()
    client = Client(
        config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
        http_client=TwilioHttpClient(timeout=20),
    )  # fmt: skip
    client.api.base_url = config["TWILIO_BASE_URL"]
    started = time.perf_counter()
    for n in range(count):
        client.messages.create(
            to=f"+1617555{n:04d}", from_=config["TWILIO_FROM"],
            body=f"Baseline {n}: May Day rally tomorrow 10am, City Hall.",
        )  # fmt: skip
    return count / (time.perf_counter() - started)


def sms_copies(provider, count: int) -> tuple[int, int]:
    bodies = Counter(r["Body"].split(":")[0] for r in provider.state.requests)
    losses = sum(1 for n in range(count) if bodies[f"Reminder {n}"] == 0)
    duplicates = sum(c - 1 for c in bodies.values() if c > 1)
    return losses, duplicates


def run_texts(url: str, provider, count: int, kills: int, two_workers: bool) -> None:
    state = provider.state
    state.reset()
    base = sms_baseline(provider, count)
    print(f"plain twilio client loop:           {base:8.0f} texts/s  (baseline)")
    state.reset()
    queue_texts(url, count)
    env = sms_env(url, provider)
    started = time.perf_counter()
    process = sms_drain(env)
    process.wait()
    elapsed = time.perf_counter() - started
    assert process.returncode == 0, process.stderr.read().decode()[-2000:]
    losses, duplicates = sms_copies(provider, count)
    rate = len(state.requests) / elapsed
    print(f"texts through the outbox:           {rate:8.0f} texts/s  ratio {rate / base:.3f}"
          f"  (losses {losses}, duplicates {duplicates})")  # fmt: skip
    state.reset()
    queue_texts(url, count)
    rng = random.Random(5)
    done_kills = 0
    while True:
        process = sms_drain(env)
        if done_kills < kills:
            time.sleep(rng.uniform(1.0, 2.5))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                done_kills += 1
                continue
        process.wait()
        if process.returncode == 0 and len({r["Body"] for r in state.requests}) >= count:
            break
        time.sleep(0.5)
    losses, duplicates = sms_copies(provider, count)
    print(f"texts, SIGKILL x{done_kills}: losses {losses} (must be 0), duplicates {duplicates}"
          f" (must be 0)")  # fmt: skip
    if two_workers:
        state.reset()
        queue_texts(url, count)
        processes = [sms_drain(env), sms_drain(env)]
        for process in processes:
            process.wait()
        losses, duplicates = sms_copies(provider, count)
        print(f"texts, two workers at once (PostgreSQL): losses {losses}, duplicates "
              f"{duplicates} (must be 0)")  # fmt: skip


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
    parser.add_argument("--deployed", type=int, default=2000, help="0 to skip")
    parser.add_argument("--texts", type=int, default=2000, help="0 to skip")
    parser.add_argument("--skip-reminders", action="store_true", help="only parts 4 and 5")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server to create a scratch database on ('' to skip)",
    )
    parser.add_argument("--use-database", help="an existing PostgreSQL database to use instead")
    args = parser.parse_args()

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    tmp = tempfile.mkdtemp(prefix="coalition-bench-")
    sqlite_url = f"sqlite:///{tmp}/bench.db"
    if args.use_database:
        pg_url, pg_handle = args.use_database, None
    else:
        pg_url, pg_handle = postgres_database(args.database_url)
    try:
        base = baseline(port, args.count)
        sink.reset()
        print(f"plain smtplib, one connection:      {base:8.0f} msg/s  (baseline)")
        if not args.skip_reminders:
            for label, url in (("SQLite", sqlite_url), ("PostgreSQL", pg_url)):
                if url is None:
                    continue
                rate = run_rate(url, port, sink, args.count)
                print(f"worker path on {label:<10}          {rate:8.0f} msg/s"
                      f"  ratio {rate / base:.3f}")  # fmt: skip
            crash_url = pg_url or sqlite_url
            kills, losses, duplicates = run_kills(crash_url, port, sink, args.count, args.kills)
            print(
                f"SIGKILL x{kills} mid-run ({'PostgreSQL' if pg_url else 'SQLite'}): "
                f"losses {losses} (must be 0), duplicates {duplicates} (at most {kills})"
            )
            if pg_url:
                losses, duplicates = run_two_workers(pg_url, port, sink, args.count)
                print(f"two workers at once (PostgreSQL): losses {losses}, duplicates "
                      f"{duplicates} (must be 0)")  # fmt: skip
        if args.deployed:
            base = baseline(port, args.deployed)
            sink.reset()
            print(f"plain smtplib, {args.deployed} small messages: {base:6.0f} msg/s")
            for label, url in (("SQLite", f"sqlite:///{tmp}/deployed.db"), ("PostgreSQL", pg_url)):
                if url is None:
                    continue
                same, from_start, steady = run_deployed(url, port, sink, args.deployed)
                print(f"plain smtplib, the same {args.deployed} reminders: {same:6.0f} msg/s"
                      " (baseline)")  # fmt: skip
                print(f"flask worker on {label:<10}: {from_start:6.0f} msg/s from its start"
                      f" (ratio {from_start / same:.3f}), {steady:6.0f} msg/s first to last"
                      f" (ratio {steady / same:.3f})")  # fmt: skip
            crash_url = pg_url or f"sqlite:///{tmp}/deployed.db"
            kills, losses, duplicates = run_deployed_kills(
                crash_url, port, sink, args.deployed, args.kills
            )
            print(f"flask worker SIGKILL x{kills}: losses {losses} (must be 0), duplicates "
                  f"{duplicates} (at most {kills})")  # fmt: skip
        if args.texts:
            from tests.sms.fake_provider import FakeProvider

            provider = FakeProvider().start()
            try:
                url = pg_url or f"sqlite:///{tmp}/texts.db"
                run_texts(url, provider, args.texts, args.kills, two_workers=pg_url is not None)
            finally:
                provider.stop()
    finally:
        controller.stop()
        if pg_handle is not None:
            drop_database(pg_handle)


if __name__ == "__main__":
    main()
