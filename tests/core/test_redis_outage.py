"""Redis is an accelerator, never a single point of failure.

The app runs with README's production settings (render cache, feed cache and rate-limit storage
all on Redis) against a `redis-server` this test starts itself (a free port, no persistence, a
temporary folder), then stops it mid-traffic, brings it back, and freezes it (SIGSTOP: a Redis
that accepts connections and never answers). Every page, feed and RSVP (form and API) must keep
answering 2xx within a short time, served from the database and the process's memory, and the
app must go back to Redis when it returns. `/healthz` tells "degraded" (200) from down (503).

Without `redis-server` the test is skipped with a notice; REQUIRE_REDIS=1 (as in CI) makes that
a failure.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa

from coalition.rsvps.models import RSVP
from tests.conftest import _free_port
from tests.factories import OrganizationFactory, make_event

REQUIRE_REDIS = os.environ.get("REQUIRE_REDIS") == "1"
#: What one request may take with Redis stopped or frozen: the app's Redis timeout (0.25 s) is
#: paid at most once per client before the circuit opens; the rest is the page itself.
SLOW = 1.5
#: Longer than this and the request is counted as hung (the test does not wait for it).
HUNG = 6.0


class RedisServer:
    """A `redis-server` of the test's own: start, stop, freeze, thaw."""

    def __init__(self, binary: str, folder):
        self.binary, self.folder = binary, folder
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def keys(self) -> int:
        return self.client().dbsize()


@pytest.fixture
def redis_server(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed: the Redis outage test is not run"
        if REQUIRE_REDIS:
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_overrides(redis_server):
    """README's production settings: render cache, feed cache and rate limits on Redis."""
    return {
        "RENDER_CACHE": True,
        "RENDER_CACHE_SECONDS": 30,
        "CALENDAR_VERSION_TTL": 1.0,
        "CACHE_REDIS_URL": redis_server.url,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_server.url,
        "RATELIMIT_KEY_PREFIX": f"outage-{uuid.uuid4().hex}",
    }


def _call(client, method: str, url: str, **kwargs):
    """(status, seconds); status "hung" when the answer takes longer than HUNG seconds."""
    result: dict = {}

    def run():
        started = time.monotonic()
        try:
            response = client.open(url, method=method, **kwargs)
            result["status"] = response.status_code
            result["body"] = response.get_data()
        except Exception as exc:  # an exception escaping Flask is what a 500 would be
            result["status"] = f"error {type(exc).__name__}"
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HUNG)
    if thread.is_alive():
        return "hung", HUNG, b""
    return result["status"], result["seconds"], result.get("body", b"")


class Traffic:
    """Every kind of public request, once per round, each from its own client address (rate
    limits count per address: a round is one visitor's worth, never a 429)."""

    def __init__(self, client, ids: dict):
        self.client, self.ids = client, ids
        self.rounds = 0

    def requests(self):
        event, occurrence, slug = self.ids["event"], self.ids["occurrence"], self.ids["slug"]
        rsvp = f"/events/{event}/occurrences/{occurrence}/rsvp"
        return [
            ("GET", "/", {}),
            ("GET", "/calendar", {}),
            ("GET", "/calendar/month?year=2027&month=3", {}),
            ("GET", f"/events/{event}", {}),
            ("GET", f"/events/{event}/occurrences/{occurrence}", {}),
            ("GET", f"/orgs/{slug}", {}),
            ("GET", "/calendar.ics", {}),
            ("GET", "/calendar.ics?type=rally", {"headers": {"Accept-Encoding": "gzip"}}),
            ("GET", f"/orgs/{slug}/calendar.ics", {}),
            ("GET", f"/events/{event}.ics", {}),
            ("GET", "/api/v1/events", {}),
            ("GET", f"/api/v1/events/{event}", {}),
            ("GET", "/api/v1/orgs", {}),
            ("GET", rsvp, {}),
            ("FORM", rsvp, {}),
            ("POST", f"/api/v1/events/{event}/rsvps", {"json": None}),
            ("GET", "/login", {}),
            # A sign-in that fails: refused with 400 after the per-account throttle counted it.
            (
                "FORM",
                "/login",
                {"data": {"email": "nobody@example.org", "password": "wrong"}, "expect": 400},
            ),
        ]

    def round(self) -> list[tuple[str, object, float]]:
        self.rounds += 1
        results = []
        for n, (method, url, kwargs) in enumerate(self.requests()):
            kwargs = dict(kwargs)
            expect = kwargs.pop("expect", None)
            address = f"10.{self.rounds // 250}.{self.rounds % 250}.{n + 1}"
            kwargs["environ_base"] = {"REMOTE_ADDR": address}
            name = f"{method} {url}"
            if method == "FORM":
                status, seconds, page = _call(self.client, "GET", url, **kwargs)
                results.append((f"GET {url}", status, seconds))
                token = _token(page)
                if token is None:
                    results.append((name, f"no form ({status})", 0.0))
                    continue
                data = kwargs.pop("data", None) or self._rsvp_form()
                kwargs["data"] = {**data, "csrf_token": token}
                status, seconds, _ = _call(self.client, "POST", url, **kwargs)
            elif "json" in kwargs:
                kwargs["json"] = {"name": "Dora", "email": f"dora{self.rounds}@example.org"}
                status, seconds, _ = _call(self.client, method, url, **kwargs)
            else:
                status, seconds, _ = _call(self.client, method, url, **kwargs)
            if expect is not None and status == expect:
                status = f"{status} as expected"
            results.append((name, status, seconds))
        return results

    def _rsvp_form(self) -> dict:
        return {"name": "Lupe", "email": f"lupe{self.rounds}@example.org", "phone": "",
                "language": "es", "party_size": "1", "consents_to_reminders": "y"}  # fmt: skip


def _token(page: bytes) -> str | None:
    import re

    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return match.group(1).decode() if match else None


def _ok(status) -> bool:
    """2xx, or the redirect that follows a form (login refused: 200; RSVP: the sent page)."""
    if isinstance(status, str):
        return status.endswith("as expected")
    return 200 <= status < 300 or status in (302, 303)


def _summary(results) -> Counter:
    return Counter(str(status) for _, status, _ in results)


def _check(phase: str, results, report: dict, limit: float = SLOW) -> None:
    report[phase] = _summary(results)
    failures = [(name, status) for name, status, _ in results if not _ok(status)]
    slow = [(name, round(seconds, 2)) for name, _, seconds in results if seconds > limit]
    assert not failures, f"{phase}: {failures}"
    assert not slow, f"{phase}: slower than {limit} s: {slow}"


def _health(client) -> tuple[int, dict]:
    status, seconds, body = _call(client, "GET", "/healthz")
    import json

    assert seconds < SLOW, f"/healthz took {seconds:.2f} s"
    return status, json.loads(body) if body else {}


def _wait_until(done, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


@pytest.fixture
def site(db):
    org = OrganizationFactory()
    event = make_event(org, title="Know your rights training", start_date=date(2027, 3, 4),
                       capacity=500, type_slug="training")  # fmt: skip
    make_event(org, title="Rally at city hall", start_date=date(2027, 3, 11), type_slug="rally")
    return {"event": event.id, "occurrence": event.occurrences[0].id, "slug": org.slug}


def test_pages_feeds_and_rsvps_answer_while_redis_is_down_or_frozen(
    client, db, site, redis_server, caplog
):
    caplog.set_level(logging.INFO)
    traffic = Traffic(client, site)
    report: dict = {}
    try:
        # Redis up: the site fills it (pages, feeds, rate-limit counters).
        _check("up", traffic.round(), report)
        assert redis_server.keys() > 0
        status, health = _health(client)
        assert status == 200 and health["status"] == "ok" and health["redis"] == "ok", health

        # Stopped mid-traffic: the next rounds come from the database and the process's memory.
        redis_server.stop()
        caplog.clear()
        for n in range(3):
            _check(f"stopped {n + 1}", traffic.round(), report)
        status, health = _health(client)
        assert status == 200 and health["status"] == "degraded"
        assert health["database"] == "ok" and health["redis"] == "down"
        # The change of state is logged once, not once per request.
        down = [r for r in caplog.records if "Redis" in r.getMessage() and "unreachable" in
                r.getMessage()]  # fmt: skip
        assert len(down) == 1, [r.getMessage() for r in down]

        # Back: the app uses it again by itself.
        redis_server.start()
        _wait_until(lambda: _health(client)[1].get("redis") == "ok", 15, "Redis not used again")
        _check("back", traffic.round(), report)
        assert redis_server.keys() > 0, "nothing was written to Redis after it came back"

        # Frozen: connections are accepted and never answered.
        redis_server.freeze()
        rounds = [traffic.round() for _ in range(3)]
        for n, results in enumerate(rounds):
            _check(f"frozen {n + 1}", results, report)
        report["frozen seconds"] = sorted(round(s, 3) for r in rounds for _, _, s in r)[-5:]
        status, health = _health(client)
        assert status == 200 and health["status"] == "degraded" and health["redis"] == "down"
        redis_server.thaw()
        _wait_until(lambda: _health(client)[1].get("redis") == "ok", 15, "Redis not used again")
        _check("thawed", traffic.round(), report)
        # Every RSVP answered 2xx was written: one by the form and one by the API per round.
        with client.application.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == (
                2 * traffic.rounds
            )
    finally:
        if redis_server.process is not None:
            redis_server.thaw()
        print("\nanswers by phase:", {k: dict(v) if isinstance(v, Counter) else v
                                      for k, v in report.items()})  # fmt: skip
