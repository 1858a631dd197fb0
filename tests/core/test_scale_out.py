"""Two web servers (gunicorn, as deployed) on one PostgreSQL and one Redis: the same answers,
what one writes the other shows at once, and one rate limit for both.

Runs only with PostgreSQL (TEST_DATABASE_URL) and Redis (REDIS_TEST_URL, default db 13 on
127.0.0.1); under REQUIRE_POSTGRES=1 a missing one fails instead of skipping.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest

from coalition import create_app
from coalition.extensions import db
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
            "POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


class Server:
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

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def servers(smtp_server):
    database_url = need_postgres()
    redis_url = _need_redis()
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    _reset_postgres(app)
    with app.app_context():
        org = OrganizationFactory()
        capped = make_event(org, title="Know your rights training", start_date=date(2027, 3, 4),
                            capacity=20, type_slug="training")  # fmt: skip
        for day in range(1, 6):
            make_event(org, title=f"Rally {day}", start_date=date(2027, 4, day))
        ids = {"event": capped.id, "occurrence": capped.occurrences[0].id}
        db.session.remove()
        db.engine.dispose()
    env = {
        "COALITION_ENV": "production",
        "SECRET_KEY": "scale-out-test",
        "CONTACT_KEYS": "c2NhbGUtb3V0LXRlc3Qtb25seS1jb250YWN0LWtleXM=",
        "CONTACT_HASH_KEY": "scale-out-test-only-contact-hash-key",
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"scale-out-{uuid.uuid4().hex}",
        "CACHE_REDIS_URL": redis_url,
        "SESSION_COOKIE_SECURE": "0",
        "MAIL_PORT": str(smtp_server.port),
    }
    pair = [Server(env), Server(env)]
    try:
        for server in pair:
            server.wait()
        yield pair, ids
    finally:
        for server in pair:
            server.stop()


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
