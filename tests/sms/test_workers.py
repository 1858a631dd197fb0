"""Each text is requested from the provider exactly once: by two workers at once, and across
kill -9 of a worker at any point, including right after the provider accepted it (PostgreSQL).

The fake provider (`fake_provider.py`, Twilio's API) counts the POSTs; a worker that finds a
row it was sending when another died asks the provider's Messages list first."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from coalition import create_app
from coalition.extensions import db as _db
from coalition.mail.delivery import deliver_due
from coalition.mail.models import Channel, EmailStatus, OutgoingEmail
from coalition.sms.operations import queue_sms
from tests.conftest import need_postgres

ROOT = Path(__file__).resolve().parents[2]


def _queue_texts(db, count):
    for n in range(count):
        queue_sms(to=f"+1617555{n:04d}", kind="test", template="test", locale="en",
                  text=f"Text {n}: rally at 6")  # fmt: skip
    db.session.commit()


def _copies(provider) -> Counter:
    return Counter(r["Body"].split(":")[0] for r in provider.requests)


@pytest.fixture
def pg_only(backend):
    if backend != "postgresql":
        pytest.skip("proven on PostgreSQL")
    return need_postgres()


def test_two_workers_at_once_send_each_text_once(app, db, provider, pg_only):
    _queue_texts(db, 250)  # more than one batch each
    other = create_app({"CONFIG_NAME": "testing", **{k: app.config[k] for k in (
        "SQLALCHEMY_DATABASE_URI", "SMS_BACKEND", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM", "TWILIO_BASE_URL")}})  # fmt: skip
    provider.delay = 0.01
    reports = []

    def worker(flask_app):
        with flask_app.app_context():
            reports.append(deliver_due(channels=[Channel.sms]))
            _db.session.remove()

    threads = [threading.Thread(target=worker, args=(a,)) for a in (app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with other.app_context():
        _db.engine.dispose()
    copies = _copies(provider)
    assert len(copies) == 250 and set(copies.values()) == {1}
    assert sum(r.sent for r in reports) == 250
    assert all(r.sent > 0 for r in reports)  # both really worked


DRAIN = """
from coalition import create_app
from coalition.mail.delivery import deliver_due
from coalition.mail.models import Channel
app = create_app()
with app.app_context():
    while deliver_due(limit=20, channels=[Channel.sms]).sent:
        pass
"""


def _worker_env(app) -> dict:
    env = dict(os.environ)
    env.update(
        COALITION_ENV="production", SECRET_KEY=app.config["SECRET_KEY"],
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], OUTBOX_LEASE_SECONDS="1",
        SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID=app.config["TWILIO_ACCOUNT_SID"],
        TWILIO_AUTH_TOKEN=app.config["TWILIO_AUTH_TOKEN"], TWILIO_FROM="+16175550000",
        TWILIO_BASE_URL=app.config["TWILIO_BASE_URL"], RATELIMIT_ENABLED="0",
        CONTACT_KEYS=app.config["CONTACT_KEYS"], CONTACT_HASH_KEY=app.config["CONTACT_HASH_KEY"],
    )  # fmt: skip
    return env


class _Killer:
    """Kills the worker process with SIGKILL at the n-th event of a stage of the provider
    ("accepted": the message exists, its answer not written; "answered": just after)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.target = None  # (process, stage, n)
        self.seen = 0

    def arm(self, process, stage: str, n: int) -> None:
        with self.lock:
            self.target, self.seen = (process, stage, n), 0

    def __call__(self, stage, _form) -> None:
        with self.lock:
            if self.target is None or stage != self.target[1]:
                return
            self.seen += 1
            if self.seen == self.target[2]:
                os.kill(self.target[0].pid, signal.SIGKILL)
                self.target = None


def _assert_each_text_requested_once(db, provider, count: int) -> None:
    copies = _copies(provider)
    assert len(copies) == count  # nothing lost
    assert [body for body, n in copies.items() if n > 1] == []  # nothing requested twice
    db.session.expire_all()
    rows = db.session.scalars(sa.select(OutgoingEmail)).all()
    assert {r.status for r in rows} == {EmailStatus.sent}
    assert all(r.sending_since is None for r in rows)
    # Every row carries the provider's id of its one message (found again after a kill).
    assert sorted(r.provider_id for r in rows) == sorted(m["sid"] for m in provider.messages)


def test_a_worker_killed_at_any_point_requests_each_text_exactly_once(app, db, provider, pg_only):
    _queue_texts(db, 60)
    env = _worker_env(app)
    provider.delay = 0.02
    killer = _Killer()
    provider.hook = killer
    # Right after the provider accepted (before its answer), just after its answer, then at
    # moments picked by the clock (claiming, marking, between two texts...).
    plans = [("accepted", 3), ("answered", 2), ("accepted", 1), ("answered", 5),
             0.15, 0.4, 0.9, ("accepted", 4)]  # fmt: skip
    killed = 0
    for plan in plans:
        process = subprocess.Popen([sys.executable, "-c", DRAIN], cwd=ROOT, env=env)
        if isinstance(plan, tuple):
            killer.arm(process, *plan)
            process.wait(timeout=60)
        else:
            start = len(provider.requests)
            deadline = time.monotonic() + 30
            while len(provider.requests) == start and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(plan * 0.1)
            process.send_signal(signal.SIGKILL)
            process.wait()
        killed += process.returncode == -signal.SIGKILL
        time.sleep(1.1)  # the killed worker's lease runs out
    assert killed >= 6  # the worker really was killed (not done before)
    provider.hook = None
    subprocess.run([sys.executable, "-c", DRAIN], cwd=ROOT, env=env, check=True, timeout=120)
    _assert_each_text_requested_once(db, provider, 60)
    assert provider.lookups  # the texts left "sending" were looked up, not sent again


def test_two_worker_processes_one_killed_request_each_text_exactly_once(app, db, provider, pg_only):
    _queue_texts(db, 120)
    env = _worker_env(app)
    provider.delay = 0.01
    killer = _Killer()
    provider.hook = killer
    first = subprocess.Popen([sys.executable, "-c", DRAIN], cwd=ROOT, env=env)
    second = subprocess.Popen([sys.executable, "-c", DRAIN], cwd=ROOT, env=env)
    killer.arm(first, "accepted", 15)
    first.wait(timeout=120)
    second.wait(timeout=120)
    assert first.returncode == -signal.SIGKILL and second.returncode == 0
    provider.hook = None
    time.sleep(1.1)  # the killed worker's lease runs out
    subprocess.run([sys.executable, "-c", DRAIN], cwd=ROOT, env=env, check=True, timeout=120)
    _assert_each_text_requested_once(db, provider, 120)
