"""Two web servers (gunicorn, as deployed) and two workers (`flask worker`, as deployed) on one
PostgreSQL and one Redis: the same answers, what one writes the other shows at once, one rate
limit for both servers, and every queued email delivered once, by both workers between them.

Runs only with PostgreSQL (TEST_DATABASE_URL) and Redis (REDIS_TEST_URL, default db 13 on
127.0.0.1); under REQUIRE_POSTGRES=1 a missing one fails instead of skipping.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from coalition import create_app
from coalition.events.models import Event
from coalition.extensions import db
from coalition.mail.models import EmailStatus, OutgoingEmail
from coalition.reminders import operations as reminder_ops
from coalition.rsvps import operations as rsvp_ops
from tests.conftest import REQUIRE_POSTGRES, _free_port, _reset_postgres, need_postgres
from tests.factories import OrganizationFactory, make_event

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/13")
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="[^"]*"')


def _need_redis() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_URL}: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


def _get(port: int, path: str, language: str = "en") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        # One host name for both, as behind a load balancer (absolute links name it).
        connection.request(
            "GET", path, headers={"Accept-Language": language, "Host": "coalition.test"}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _post_json(port: int, path: str, body: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST", path, body=json.dumps(body),
            headers={"Content-Type": "application/json", "Host": "coalition.test"},
        )  # fmt: skip
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


class _Process:
    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Server(_Process):
    """`gunicorn wsgi:app` with one sync worker, as in production."""

    def __init__(self, env: dict):
        self.port = _free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "--workers", "1", "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env={**os.environ, **env},
        )  # fmt: skip

    def wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "gunicorn exited"
            try:
                if _get(self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not answer in time")


class Worker(_Process):
    """`flask --app wsgi worker`, as in production; its log goes to a file."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        flask = Path(sys.executable).with_name("flask")
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(flask), "--app", "wsgi", "worker"], cwd=ROOT, env={**os.environ, **env},
                stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self) -> None:
        deadline = time.monotonic() + 30
        while "worker started" not in self.output():
            assert self.process.poll() is None, f"the worker exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"the worker did not start:\n{self.output()}"
            time.sleep(0.05)


#: Contacts are encrypted at rest: the test process and the deployed ones share these keys.
CONTACT_KEYS = {
    "CONTACT_KEYS": "c2NhbGUtb3V0LXRlc3Qtb25seS1jb250YWN0LWtleXM=",
    "CONTACT_HASH_KEY": "scale-out-test-only-contact-hash-key",
}


@pytest.fixture
def production_env(smtp_server) -> dict:
    """What every deployed process is started with: one PostgreSQL, one Redis, one relay."""
    database_url = need_postgres()
    redis_url = _need_redis()
    return {
        "COALITION_ENV": "production",
        "SECRET_KEY": "scale-out-test",
        "BASE_URL": "http://coalition.test",  # the host name every request names (TRUSTED_HOSTS)
        **CONTACT_KEYS,
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"scale-out-{uuid.uuid4().hex}",
        "CACHE_REDIS_URL": redis_url,
        "SESSION_COOKIE_SECURE": "0",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port),
        "MAIL_DELIVERY_INTERVAL": "1",
    }


@pytest.fixture
def local_app(production_env):
    """The test's own app on the same database (reset here), with the same keys."""
    app = create_app({"CONFIG_NAME": "testing", **CONTACT_KEYS,
                      "SQLALCHEMY_DATABASE_URI": production_env["DATABASE_URL"]})  # fmt: skip
    _reset_postgres(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def servers(local_app, production_env):
    with local_app.app_context():
        org = OrganizationFactory()
        capped = make_event(org, title="Know your rights training", start_date=date(2027, 3, 4),
                            capacity=20, type_slug="training")  # fmt: skip
        for day in range(1, 6):
            make_event(org, title=f"Rally {day}", start_date=date(2027, 4, day))
        town_hall = make_event(org, title="Town hall on the raids", start_date=date(2027, 5, 6))
        ids = {"event": capped.id, "occurrence": capped.occurrences[0].id,
               "town_hall": town_hall.id}  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    pair = [Server(production_env), Server(production_env)]
    try:
        for server in pair:
            server.wait()
        yield pair, ids
    finally:
        for server in pair:
            server.stop()


#: Seconds the relay takes to accept each message (a real one takes longer): a worker's batch
#: (up to 100 messages) then outlasts the delivery interval, so the other worker claims its
#: share while the first is still sending, as two busy workers do.
RELAY_DELAY = 0.02


@pytest.fixture
def workers(servers, production_env, smtp, tmp_path):
    """Two `flask worker` processes beside the two servers, delivering to the loopback relay."""
    smtp.delay = RELAY_DELAY
    pair = []
    try:
        for n in (1, 2):
            pair.append(Worker(production_env, tmp_path / f"worker-{n}.log"))
        for worker in pair:
            worker.wait()
        yield pair
    finally:
        for worker in pair:
            worker.stop()
        smtp.delay = 0.0


def test_two_web_servers_answer_alike_and_share_rate_limits(servers):
    (one, two), ids = servers
    event_path = f"/api/v1/events/{ids['event']}"
    pages = ["/calendar", "/calendar?type=training", "/calendar/month?year=2027&month=4",
             "/api/v1/events", event_path, f"/events/{ids['event']}"]  # fmt: skip
    for path in pages:
        for language in ("en", "es"):
            a, b = _get(one.port, path, language), _get(two.port, path, language)
            assert a[0] == b[0] == 200, path
            assert _CSRF.sub("", a[1].decode()) == _CSRF.sub("", b[1].decode()), path
    assert b"Rally 5" in _get(one.port, "/calendar")[1]

    # A seat taken through one server is gone on the other as soon as that process reads the
    # calendar version again (it reuses the version it read for CALENDAR_VERSION_TTL, 1 s).
    assert json.loads(_get(two.port, event_path)[1])["spots_left"] == 20
    rsvp = {"name": "Ana", "email": "ana@example.org",
            "party_size": 3}  # fmt: skip
    status, body = _post_json(one.port, f"{event_path}/rsvps", rsvp)
    assert status in (201, 202), body
    time.sleep(1.2)
    assert json.loads(_get(two.port, event_path)[1])["spots_left"] == 17

    # "10 per minute" for the RSVP API, counted across both servers: 10 more requests (one
    # already made), alternating servers, and the next one is refused whichever server gets it.
    statuses = [_post_json((one, two)[n % 2].port, f"{event_path}/rsvps", {})[0] for n in range(9)]
    assert 429 not in statuses, statuses
    assert _post_json(two.port, f"{event_path}/rsvps", {})[0] == 429
    assert _post_json(one.port, f"{event_path}/rsvps", {})[0] == 429


def _wait_for(done, timeout: float, failure) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(failure())
        time.sleep(0.05)


def _overlapping_sessions(peers: list) -> tuple | None:
    """Two SMTP sessions (client addresses) that each had a message accepted while the other
    was open, or None. A worker delivers one run at a time over one connection, so two such
    sessions come from two worker processes."""
    spans: dict = {}
    for index, peer in enumerate(peers):
        first, _ = spans.get(peer, (index, index))
        spans[peer] = (first, index)
    ordered = sorted(spans.items(), key=lambda item: item[1])
    for (one, (_, one_last)), (two, (two_first, _)) in itertools.pairwise(ordered):
        if two_first < one_last:
            return one, two
    return None


def test_two_workers_beside_them_deliver_each_email_once(servers, workers, local_app, smtp):
    (one, two), ids = servers

    def logs() -> str:
        return "\n".join(f"--- {w.log.name}\n{w.output()[-3000:]}" for w in workers)

    # One RSVP through each server: its confirmation is queued by the web process.
    for n, server in enumerate((one, two), 1):
        person = {"name": f"Web {n}", "email": f"web-{n}@example.org"}
        status, body = _post_json(server.port, f"/api/v1/events/{ids['town_hall']}/rsvps", person)
        assert status in (201, 202), body

    # More in this process, committed at once with their reminders (made due): more than one
    # worker's batch (100), so the second worker takes the rest while the first sends.
    with local_app.app_context():
        occurrence = db.session.get(Event, ids["town_hall"]).occurrences[0]
        for n in range(75):
            person = rsvp_ops.RSVPInput(name=f"Attendee {n}", email=f"attendee-{n}@example.org")
            rsvp_ops.submit(occurrence, person)
        report = reminder_ops.send_due(now=occurrence.start_at - timedelta(days=1))
        assert report.queued >= 77  # the two made on the web servers too
        rows = {r.id: (r.recipient, r.message_id)
                for r in db.session.scalars(sa.select(OutgoingEmail))}  # fmt: skip
        db.session.remove()
    assert len(rows) == 2 + 75 + report.queued

    _wait_for(lambda: len(smtp.messages) >= len(rows), 20,
              lambda: f"{len(smtp.messages)} of {len(rows)} emails arrived\n{logs()}")  # fmt: skip

    def statuses() -> Counter:
        with local_app.app_context():
            found = Counter(db.session.scalars(sa.select(OutgoingEmail.status)))
            db.session.remove()
            return found

    _wait_for(lambda: statuses() == {EmailStatus.sent: len(rows)}, 10,
              lambda: f"outbox not all sent: {statuses()}\n{logs()}")  # fmt: skip
    time.sleep(1.5)  # each worker runs again: nothing is sent twice later either

    arrived = Counter(int(message["X-Coalition-Id"]) for _, message in smtp.messages)
    assert {n: c for n, c in arrived.items() if c > 1} == {}, "sent more than once"
    assert set(arrived) == set(rows)
    for recipients, message in smtp.messages:
        recipient, message_id = rows[int(message["X-Coalition-Id"])]
        assert recipients == [recipient] and message["Message-ID"] == message_id
    assert _overlapping_sessions(smtp.peers), f"one worker sent everything\n{logs()}"
    for worker in workers:
        assert worker.process.poll() is None, f"a worker exited\n{logs()}"
        assert "Traceback" not in worker.output(), logs()
