"""Fixtures: an app per test on SQLite and on PostgreSQL, a browser-like client, an SMTP server.

Every test that takes `app` (directly or through `client`, `db`...) runs once per database:
SQLite (in memory) always, PostgreSQL when TEST_DATABASE_URL is set. Without it the PostgreSQL
runs are skipped, or fail when REQUIRE_POSTGRES=1 (as in CI).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller
from hypothesis import settings as hypothesis_settings

# Property tests explore the same examples on every run: a test passes at any hour and on any
# machine, and a case it finds once is found again (set HYPOTHESIS_PROFILE=explore to search
# new examples by hand).
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None, deadline=None)
hypothesis_settings.register_profile("explore", deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# The environment ------------------------------------------------------------------------------
# `config.py` reads its settings from the environment when it is imported: a variable left in
# the shell (RATELIMIT_ENABLED, DATABASE_URL, MAIL_SERVER...) would change what the tests see.
# Each one it reads is removed before anything imports it (a test that wants a setting passes
# it to `create_app`).
_CONFIG_SOURCE = (Path(__file__).resolve().parent.parent / "config.py").read_text()
#: The names config.py (and `create_app`, COALITION_ENV) read from os.environ.
APP_ENVIRONMENT = frozenset(
    re.findall(r'(?:os\.environ\.get|_env_bool|_env_int)\(\s*"([A-Z][A-Z0-9_]*)"', _CONFIG_SOURCE)
) | {"COALITION_ENV"}
for _name in APP_ENVIRONMENT:
    os.environ.pop(_name, None)

from coalition import create_app  # noqa: E402  (after the environment is cleared)
from coalition.extensions import db as _db  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
_pg_schema_ready = False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need_postgres() -> str:
    """The PostgreSQL URL, or skip (fail under REQUIRE_POSTGRES=1)."""
    if not PG_URL:
        message = "TEST_DATABASE_URL is not set: PostgreSQL tests not run"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return PG_URL


# SMTP -----------------------------------------------------------------------------------------


class RecordingHandler:
    """Accepts mail and keeps it; refuses recipients listed in `refuse` with their code."""

    def __init__(self):
        self.messages: list = []
        #: The client address of each message's connection (one per SMTP session).
        self.peers: list = []
        self.refuse: dict[str, tuple[int, str]] = {}
        #: Seconds between taking a whole message and answering for it (a slow relay).
        self.delay = 0.0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            code, text = self.refuse[address]
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message))
            self.peers.append(session.peer)
        if self.delay:
            await asyncio.sleep(self.delay)  # other connections are served meanwhile
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server():
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def smtp(smtp_server):
    """The loopback SMTP server's handler, emptied for this test."""
    handler = smtp_server.handler
    handler.messages.clear()
    handler.peers.clear()
    handler.refuse.clear()
    handler.delay = 0.0
    return handler


# App and database -----------------------------------------------------------------------------


def _make_app(url: str, smtp_port: int, **overrides):
    config = {
        "CONFIG_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "MAIL_PORT": smtp_port,
        "MAIL_TIMEOUT": 5,
    }
    config.update(overrides)
    return create_app(config)


def _reset_postgres(app) -> None:
    global _pg_schema_ready
    with app.app_context():
        if not _pg_schema_ready:
            _db.drop_all()
            _db.create_all()
            _pg_schema_ready = True
        else:
            names = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            _db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            _db.session.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    if request.param == "postgresql":
        need_postgres()
    return request.param


@pytest.fixture
def app_overrides() -> dict:
    """Override in a test module to change the app's config."""
    return {}


@pytest.fixture
def app(backend, smtp_server, app_overrides):
    url = PG_URL if backend == "postgresql" else "sqlite://"
    app = _make_app(url, smtp_server.port, **app_overrides)
    if backend == "postgresql":
        _reset_postgres(app)
    with app.app_context():
        if backend == "sqlite":
            _db.create_all()
        yield app
        _db.session.remove()
        if backend == "sqlite":
            _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def pg_app(app, backend):
    """A second app on the test's PostgreSQL database, its pool big enough for many threads at
    once (concurrency and two-worker tests; skipped on SQLite, which serializes writers)."""
    if backend != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL")
    need_postgres()
    concurrent = create_app(
        {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 40, "max_overflow": 20, "pool_timeout": 120},
        }
    )
    yield concurrent
    with concurrent.app_context():
        _db.engine.dispose()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# A client that behaves like a browser with forms -------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Browser:
    """The Flask test client, plus form posts that carry the page's CSRF token.

    Each request runs in an app context of its own, as in production: its own `g` and its own
    database session, not the test's.
    """

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def open(self, *args, **kwargs):
        with self.client.application.app_context():
            return self.client.open(*args, **kwargs)

    def get(self, *args, **kwargs):
        kwargs["method"] = "GET"
        return self.open(*args, **kwargs)

    def post(self, *args, **kwargs):
        kwargs["method"] = "POST"
        return self.open(*args, **kwargs)

    def csrf_token(self, page: str = "/") -> str:
        response = self.get(page)
        match = _CSRF.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page} ({response.status_code})"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """POST `data` as a form, with the CSRF token that `page` (default: `/`) carries."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(page or "/"))
        return self.post(url, data=data, **kwargs)

    def login(self, email: str, password: str = "correct horse battery"):
        response = self.submit("/login", {"email": email, "password": password}, page="/login")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.submit("/logout")


@pytest.fixture
def client(app):
    return Browser(app.test_client())


@pytest.fixture
def make_client(app):
    """More browsers for the same app (two people at once)."""
    return lambda: Browser(app.test_client())


# Helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def deliver(app):
    """Deliver the outbox to the loopback SMTP server now, as the worker would."""
    from coalition.mail.delivery import deliver_due

    return deliver_due


@contextmanager
def count_queries(engine):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def queries(db):
    """`with queries() as statements:` records the SQL run inside the block."""
    return lambda: count_queries(db.engine)


@pytest.fixture
def channel_test_notice(request):
    """Channel tests queue made-up content as kind "test" (email: a password reset's templates;
    text: `sms/test.txt`): declared to the app's notice registry for those tests only."""
    if "app" not in request.fixturenames:
        return None
    from coalition.notices import EMAIL, SMS, Audience, Notice

    notice = Notice("test", Audience("operator", (EMAIL, SMS)), "auth/password_reset", "test")
    request.getfixturevalue("app").extensions["notices"].add(notice)
    return notice


# The clock ------------------------------------------------------------------------------------
# TEST_CLOCK="02:00 America/New_York" runs the whole session at that time of day: the clock is
# moved back to the last time it read 02:00 there and keeps ticking (time-machine), so a test
# that only passes in daytime (quiet hours, "tomorrow", the date in another zone) fails at any
# hour in CI instead of by chance. Back, never ahead: subprocesses (gunicorn, the worker) keep
# the real clock, and rows the tests write must already be due for them.

_session_travel = None


def clock_from(setting: str, real_now: datetime | None = None) -> datetime:
    """The latest moment, not after `real_now`, whose wall clock in the zone reads `HH:MM`."""
    clock, _, zone = setting.strip().partition(" ")
    tz = ZoneInfo(zone.strip() or "UTC")
    wanted = time.fromisoformat(clock)
    local_now = (real_now or datetime.now(UTC)).astimezone(tz)
    moment = datetime.combine(local_now.date(), wanted, tzinfo=tz)
    if moment > local_now:
        moment = datetime.combine(local_now.date() - timedelta(days=1), wanted, tzinfo=tz)
    return moment.astimezone(UTC)


def pytest_configure(config):
    global _session_travel
    setting = os.environ.get("TEST_CLOCK")
    if setting:
        _session_travel = time_machine.travel(clock_from(setting), tick=True)
        _session_travel.start()


def pytest_report_header(config):
    if _session_travel is not None:
        return f"TEST_CLOCK={os.environ['TEST_CLOCK']}: the session starts at {datetime.now(UTC)}"
    return None


def pytest_unconfigure(config):
    if _session_travel is not None:
        _session_travel.stop()


@pytest.fixture(scope="session")
def playwright_chromium():
    """The one Playwright (sync API) and Chromium of the test session, shared by every browser
    test: a second `sync_playwright()` while the first runs fails ("Sync API inside the asyncio
    loop"). Callers check first that a browser is there (`tests.browser.conftest`)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()
