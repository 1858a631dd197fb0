"""Texts are sent once each by two workers at once, and at most once more per kill -9."""

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


def test_a_killed_worker_sends_each_text_at_most_once_more(app, db, provider, pg_only):
    _queue_texts(db, 40)
    env = dict(os.environ)
    env.update(
        COALITION_ENV="production", SECRET_KEY=app.config["SECRET_KEY"],
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], OUTBOX_LEASE_SECONDS="1",
        SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID=app.config["TWILIO_ACCOUNT_SID"],
        TWILIO_AUTH_TOKEN=app.config["TWILIO_AUTH_TOKEN"], TWILIO_FROM="+16175550000",
        TWILIO_BASE_URL=app.config["TWILIO_BASE_URL"], RATELIMIT_ENABLED="0",
        CONTACT_KEYS=app.config["CONTACT_KEYS"], CONTACT_HASH_KEY=app.config["CONTACT_HASH_KEY"],
    )  # fmt: skip
    provider.delay = 0.02
    kills = 0
    for _ in range(2):
        process = subprocess.Popen([sys.executable, "-c", DRAIN], cwd=ROOT, env=env)
        deadline = time.monotonic() + 30
        start = len(provider.requests)
        while len(provider.requests) < start + 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    time.sleep(1.1)  # the killed worker's lease runs out
    subprocess.run([sys.executable, "-c", DRAIN], cwd=ROOT, env=env, check=True, timeout=120)
    copies = _copies(provider)
    assert len(copies) == 40  # nothing lost
    assert sum(c - 1 for c in copies.values()) <= kills
    db.session.expire_all()
    statuses = db.session.scalars(sa.select(OutgoingEmail.status)).all()
    assert set(statuses) == {EmailStatus.sent}
