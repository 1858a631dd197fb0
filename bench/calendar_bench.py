"""Calendar benchmark: the public pages, the API and the busiest signed-in pages, served as
production serves them.

Seeds a database (SQLite in a temporary folder, or the PostgreSQL database named by
BENCH_DATABASE_URL / --database-url) with 10,000 events of which 2,000 recurring, and the
signed-in pages' people and data (bench/signed_in.py: 1,000 RSVPs on a date, a delegation, an
alert to 800 responders). Serves the app with gunicorn (2 sync workers) on 127.0.0.1, with the
render cache on and then off (--render-cache), and loads every page with wrk (16 connections;
a Python keep-alive client when wrk is missing): each anonymous page with each server, each
signed-in page (with the session cookie the real sign-in forms handed out) with the first,
each against /healthz of the same server in the same run, alternately, twice. The table gives
each page's rate as a ratio to /healthz, the SQL statements one request runs, and the non-2xx
answers (a failed measurement).

    .venv/bin/python bench/calendar_bench.py            # or: make bench
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench make bench
    .venv/bin/python bench/calendar_bench.py --events 100000 --database-url ... --reuse

See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # `config` lives at the top of the repository

import load  # noqa: E402
import signed_in  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from bench_app import bench_config  # noqa: E402

from coalition import create_app  # noqa: E402
from coalition.delegations import operations as delegation_ops  # noqa: E402
from coalition.delegations.models import Delegation  # noqa: E402
from coalition.events.models import (  # noqa: E402
    Event,
    EventStatus,
    EventTranslation,
    EventType,
    EventVisibility,
    LocationVisibility,
    Occurrence,
)
from coalition.events.recurrence import (  # noqa: E402
    Frequency,
    RecurrenceSpec,
    build_rrule,
    expand,
)
from coalition.events.types import ensure_default_types  # noqa: E402
from coalition.extensions import db  # noqa: E402
from coalition.orgs.models import Organization, OrgStatus  # noqa: E402

CITIES = ["Boston", "Worcester", "Springfield", "Lowell", "Lawrence", "Chelsea", "Framingham"]
ZONES = ["America/New_York"] * 9 + ["America/Chicago"]
CHUNK = 5000
SERVER_START_TIMEOUT = 30
#: Seconds one warm-up request may take (a cold feed of 100,000 events is slow to build).
WARMUP_TIMEOUT = 60
#: Seconds to wait for a feed built in the background (~7 ms an event).
FEED_BUILD_TIMEOUT = 300


def app_config(database_url: str, **options) -> dict:
    """Production settings, as `gunicorn wsgi:app` would run, minus rate limits."""
    return bench_config(database_url, **options)


# Seeding ---------------------------------------------------------------------------------------


@dataclass
class Seeded:
    events: int = 0
    recurring: int = 0
    translations: int = 0
    occurrences: int = 0
    seconds: float = 0.0


def _prepare_schema(reset: bool) -> None:
    existing = sa.inspect(db.engine).get_table_names()
    if existing and not reset:
        sys.exit(
            "The database already has tables. Point --database-url at an empty database, or "
            "pass --reset to drop every table in it first (or --reuse to keep its data)."
        )
    if existing:
        db.drop_all()
    db.create_all()


def _reusable(events: int) -> bool:
    """The database already holds a data set of `events` events (from an earlier run)."""
    if "events" not in sa.inspect(db.engine).get_table_names():
        return False
    inspector = sa.inspect(db.engine)
    for table in db.metadata.sorted_tables:  # the schema changed since: make the data again
        if table.name not in inspector.get_table_names():
            return False
        if {c["name"] for c in inspector.get_columns(table.name)} != set(table.columns.keys()):
            return False
    if db.session.scalar(sa.select(sa.func.count()).select_from(Event)) != events:
        return False
    for table in db.metadata.sorted_tables:  # indexes added since the data set was made
        for index in table.indexes:
            index.create(db.engine, checkfirst=True)
    return True


def _orgs(count: int) -> tuple[list[int], int]:
    """`count` member organizations (ids), and one suspended (its events must not be listed)."""
    orgs = [
        Organization(
            name=f"Bench Workers Center {n}",
            slug=f"bench-{n}",
            city=CITIES[n % len(CITIES)],
            languages=["en", "es"],
            status=OrgStatus.active if n < count else OrgStatus.suspended,
        )
        for n in range(count + 1)
    ]
    db.session.add_all(orgs)
    db.session.flush()
    return [org.id for org in orgs[:-1]], orgs[-1].id


def _insert(table: sa.Table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(table), rows[start : start + CHUNK])


def _reset_sequences() -> None:
    """Explicit ids were inserted: move PostgreSQL's sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("events", "event_translations", "occurrences"):
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def seed(total: int, recurring: int, *, orgs: int, rng: random.Random) -> Seeded:
    """Bulk-insert `total` events (`recurring` of them series) with texts and occurrence rows,
    the rows the app materializes when an event is saved (expanded with the app's own rules)."""
    began = time.perf_counter()
    ensure_default_types()
    types = dict(db.session.execute(sa.select(EventType.slug, EventType.id)).all())
    org_ids, suspended_id = _orgs(orgs)
    now = datetime.now(UTC)
    today = now.date()
    events, texts, occurrences = [], [], []
    result = Seeded()
    recurring_ids = set(rng.sample(range(1, total + 1), recurring))
    for event_id in range(1, total + 1):
        zone_name = rng.choice(ZONES)
        zone = ZoneInfo(zone_name)
        day = today + timedelta(days=rng.randint(-90, 365))
        local_start = datetime.combine(day, clock(rng.randint(8, 19), rng.choice([0, 30])), zone)
        duration = timedelta(minutes=rng.choice([60, 90, 120, 180]))
        rule = None
        if event_id in recurring_ids:
            if rng.random() < 0.5:
                spec = RecurrenceSpec(
                    Frequency.weekly, interval=rng.choice([1, 1, 2]), count=rng.randint(8, 52)
                )
            else:
                spec = RecurrenceSpec(Frequency.monthly_weekday, count=rng.randint(6, 18))
            rule = build_rrule(spec, local_start)
            starts = expand(rule, local_start)
        else:
            starts = [local_start]
        primary = "es" if rng.random() < 0.3 else "en"
        type_slug = rng.choice(list(types))
        roll = rng.random()
        status = (
            EventStatus.draft
            if roll < 0.02
            else EventStatus.cancelled
            if roll < 0.04
            else EventStatus.published
        )
        visibility = EventVisibility.members if rng.random() < 0.03 else EventVisibility.public
        location = (
            LocationVisibility.attendees if rng.random() < 0.05 else LocationVisibility.public
        )
        start_at = local_start.astimezone(UTC)
        events.append(
            {
                "id": event_id,
                "host_org_id": rng.choice(org_ids) if rng.random() > 0.01 else suspended_id,
                "created_by_id": None,
                "type_id": types[type_slug],
                "primary_language": primary,
                "is_bilingual": False,
                "start_at": start_at,
                "end_at": start_at + duration,
                "timezone": zone_name,
                "is_all_day": False,
                "rrule": rule,
                "venue": f"Hall {event_id}",
                "address": f"{event_id} Main St",
                "city": rng.choice(CITIES),
                "map_url": None,
                "latitude": None,
                "longitude": None,
                "online_url": None,
                "location_visibility": location,
                "location_reveal_hours": None,
                "languages": ["en", "es"] if rng.random() < 0.6 else [primary],
                "has_interpretation": rng.random() < 0.3,
                "has_childcare": rng.random() < 0.2,
                "has_rides": rng.random() < 0.2,
                "has_food": rng.random() < 0.4,
                "accessibility_notes": None,
                "contact_name": None,
                "contact_email": "events@example.org",
                "contact_phone": None,
                "capacity": rng.choice([None, None, None, 25, 100]),
                "has_waitlist": True,
                "rsvp_opens_at": None,
                "rsvp_closes_at": None,
                "reminder_offsets": None,
                "delegations_by_organizers_only": False,
                "status": status,
                "visibility": visibility,
                "cancel_reason": "Weather" if status == EventStatus.cancelled else None,
                "moderation_note": None,
                "published_at": None if status == EventStatus.draft else now,
                "cancelled_at": now if status == EventStatus.cancelled else None,
                "sequence": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        noun = type_slug.replace("-", " ")
        texts.append(
            {
                "event_id": event_id,
                "language": "en",
                "title": f"Community {noun} {event_id}",
                "description": "Join us. **Everyone welcome.**",
            }
        )
        if primary == "es" or rng.random() < 0.4:
            texts.append(
                {
                    "event_id": event_id,
                    "language": "es",
                    "title": f"Evento {noun} {event_id}",
                    "description": "Acompáñennos. **Todos bienvenidos.**",
                }
            )
        for start in starts:
            utc_start = start.astimezone(UTC)
            occurrences.append(
                {
                    "event_id": event_id,
                    "recurrence_id": utc_start,
                    "start_at": utc_start,
                    "end_at": utc_start + duration,
                    "is_cancelled": rng.random() < 0.01,
                    "cancel_reason": None,
                    "is_override": False,
                    "venue": None,
                    "address": None,
                    "city": None,
                    "map_url": None,
                    "note": None,
                    "capacity": None,
                    "sequence": 0,
                    "updated_at": now,
                }
            )
        result.recurring += bool(rule)
    for number, row in enumerate(texts, start=1):
        row["id"] = number
    for number, row in enumerate(occurrences, start=1):
        row["id"] = number
    _insert(Event.__table__, events)
    _insert(EventTranslation.__table__, texts)
    _insert(Occurrence.__table__, occurrences)
    _reset_sequences()
    db.session.commit()
    # VACUUM too on PostgreSQL: autovacuum keeps a live database's tables vacuumed, and the
    # visibility map it sets is what lets index-only scans (an organization's events counted
    # on its organizers' dashboard) skip the table.
    analyze = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(analyze))
    result.events, result.translations, result.occurrences = (
        len(events),
        len(texts),
        len(occurrences),
    )
    result.seconds = time.perf_counter() - began
    return result


# werkzeug serving, kept for bench/feed_bench.py -----------------------------------------


def serve(database_url: str, port: int) -> None:
    """Run in the subprocess: the app behind werkzeug's threaded WSGI server."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(app_config(database_url))
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, float]:
    began = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Accept-Language": "en"})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - began
    finally:
        connection.close()


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"The server exited with code {server.returncode}.")
        try:
            if _get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("The server did not answer /healthz in time.")


@dataclass
class Measure:
    path: str
    label: str
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def measure(
    port: int,
    path: str,
    label: str,
    *,
    requests: int,
    concurrency: int,
    time_limit: float,
    warmup: int,
) -> Measure:
    """Send up to `requests` GETs from `concurrency` threads, stopping after `time_limit`."""
    for _ in range(warmup):
        _get(port, path)
    deadline = time.monotonic() + time_limit
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def worker(quota: int) -> None:
        for _ in range(quota):
            if time.monotonic() > deadline:
                return
            status, seconds = _get(port, path)
            latencies.append(seconds)
            statuses[status] = statuses.get(status, 0) + 1

    quotas = [requests // concurrency + (n < requests % concurrency) for n in range(concurrency)]
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(worker, quota) for quota in quotas]:
            future.result()
    elapsed = time.perf_counter() - began
    return Measure(path, label, len(latencies), elapsed, latencies, statuses)


def print_table(results: list[Measure]) -> None:
    baseline = results[0].rate
    header = f"{'endpoint':<32} {'requests':>8} {'req/s':>9} {'ratio':>7} {'median ms':>10}  status"
    print(header)
    print("-" * len(header))
    for result in results:
        ratio = result.rate / baseline if baseline else 0.0
        median = statistics.median(result.latencies) * 1000 if result.latencies else 0.0
        statuses = ", ".join(f"{code}×{n}" for code, n in sorted(result.statuses.items()))
        print(
            f"{result.path:<32} {result.requests:>8} {result.rate:>9.1f} {ratio:>7.3f} "
            f"{median:>10.1f}  {statuses}"
        )
    failing = [r for r in results if set(r.statuses) - {200}]
    for result in failing:
        print(f"warning: {result.path} did not always answer 200: {result.statuses}")


# Measuring -------------------------------------------------------------------------------------


def targets(label_event: bool = True) -> list[tuple[str, str]]:
    """Every public page, with a listed recurring event and one of its upcoming dates."""
    now = datetime.now(UTC)
    row = db.session.execute(
        sa.select(Occurrence.event_id, Occurrence.id)
        .join(Occurrence.event)
        .join(Event.host_org)
        .where(
            Event.status == EventStatus.published,
            Event.visibility == EventVisibility.public,
            Event.location_visibility == LocationVisibility.public,
            Event.rrule.is_not(None),
            Organization.status == OrgStatus.active,
            Occurrence.start_at > now,
            Occurrence.is_cancelled.is_(False),
        )
        .order_by(Occurrence.start_at, Occurrence.id)
        .limit(1)
    ).one()
    return [
        ("/", "home page"),
        ("/calendar", "calendar"),
        ("/calendar?type=rally&lang=es", "calendar, filtered"),
        ("/calendar/month", "month"),
        ("/api/v1/events", "API list"),
        (f"/events/{row.event_id}", "event page"),
        (f"/events/{row.event_id}/occurrences/{row.id}", "date page"),
        ("/calendar.ics", "feed"),
    ]


@dataclass
class Page:
    path: str
    label: str
    #: "anon cached", "anon uncached" or "signed-in".
    view: str
    #: Who is signed in (a key of signed_in.EMAILS), for signed-in pages.
    who: str | None = None

    @property
    def shown(self) -> str:
        """The path as printed (a private link's token left out)."""
        if self.path.startswith("/delegations/lead/"):
            return "/delegations/lead/<token>"
        return self.path


class _Client:
    """The app's test client, asking for the host production answers to (TRUSTED_HOSTS is
    BASE_URL's host: the test client's default `localhost` is refused with 400)."""

    def __init__(self, app):
        self.client = app.test_client()
        self.base_url = app.config["BASE_URL"]
        self.host = urlsplit(self.base_url).hostname

    def get(self, path: str, **kwargs):
        return self.client.get(path, base_url=self.base_url, **kwargs)

    def post(self, path: str, **kwargs):
        return self.client.post(path, base_url=self.base_url, **kwargs)

    def forget_session(self) -> None:
        self.client.delete_cookie("session", domain=self.host)


def statements_per_request(app, pages: list[Page]) -> dict[tuple[str, str], str]:
    """SQL statements of one GET of each page, in process, keyed by (view, path). Anonymous,
    render cache on: "first/second" (the first renders, the second is answered by the cache);
    otherwise the second request's count (the steady state: lazy loads done). Signed-in pages
    are asked by a client signed in through the forms as that person. A page that does not
    answer 200 is shown as such ("302!"): its count would mean nothing."""
    counts: dict[tuple[str, str], str] = {}
    statements: list[str] = []

    def record(*_args) -> None:
        statements.append("")

    with app.app_context():
        engine = db.engine
    clients: dict[str, object] = {}
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for page in pages:
            if page.who is None:
                client = _Client(app)
            elif page.who not in clients:
                client = clients[page.who] = _Client(app)
                signed_in.client_sign_in(app, client, page.who)
            else:
                client = clients[page.who]
            seen, bad = [], None
            deadline = time.monotonic() + FEED_BUILD_TIMEOUT
            for _ in range(2):
                while True:
                    statements.clear()
                    response = client.get(page.path, headers={"Accept-Language": "en"})
                    # A feed built in the background answers 503 meanwhile.
                    if response.status_code != 503 or time.monotonic() > deadline:
                        break
                    time.sleep(1)
                if response.status_code != 200:
                    bad = response.status_code
                seen.append(len(statements))
                if page.who is None:
                    client.forget_session()
            if bad is not None:
                print(f"warning: {page.view} {page.shown} answered {bad} in process", flush=True)
                counts[(page.view, page.path)] = f"{bad}!"
            elif page.view == "anon cached":
                counts[(page.view, page.path)] = f"{seen[0]}/{seen[1]}"
            else:
                counts[(page.view, page.path)] = str(seen[1])
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
        with app.app_context():
            db.session.remove()
    return counts


@dataclass
class Row:
    page: Page
    ratios: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    statements: str = "?"
    #: Measurements (of the page, or of /healthz just before it) in which not one request was
    #: answered: the ratio means nothing (a page slower than --seconds, or a backlog).
    unanswered: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.unanswered)

    def problems(self) -> str:
        found = []
        if self.errors:
            found.append(f"{self.errors} ({_statuses(self.statuses)})" if load.bad_statuses(
                self.statuses) else str(self.errors))  # fmt: skip
        if self.unanswered:
            found.append(f"{self.unanswered} measurement(s) without one answer")
        return "; ".join(found) or "0"


def run_load(
    port: int,
    pages: list[Page],
    *,
    rounds: int,
    seconds: float,
    connections: int,
    client: str,
    cookies: dict[str, str] | None = None,
) -> list[Row]:
    """Each page against /healthz just before it, `rounds` times. Only the page's non-2xx
    answers count as its errors (a /healthz failure is printed: the ratio is then suspect)."""
    rows = []
    for page in pages:
        row = Row(page)
        headers = {"Cookie": f"session={cookies[page.who]}"} if page.who else None
        for _ in range(rounds):
            base = load.measure(port, "/healthz", seconds, connections, client)
            measured = load.measure(port, page.path, seconds, connections, client, headers)
            row.baseline.append(base.rate)
            row.rates.append(measured.rate)
            row.ratios.append(measured.rate / base.rate if base.rate else 0.0)
            row.errors += measured.errors
            row.unanswered += (measured.requests == 0) + (base.requests == 0)
            for status, count in measured.statuses.items():
                row.statuses[status] = row.statuses.get(status, 0) + count
            if base.errors:
                print(f"  warning: /healthz had {base.errors} errors", flush=True)
        rows.append(row)
        print(
            f"  {page.view:<13} {page.shown:<44} ratio {statistics.mean(row.ratios):.3f}"
            + (f"  FAILED: {row.problems()}" if row.failed else ""),
            flush=True,
        )
    return rows


def _statuses(statuses: dict[int, int]) -> str:
    return " ".join(f"{status}×{count}" for status, count in sorted(statuses.items()))


def _label(page: Page) -> str:
    return page.shown if page.who is None else f"{page.shown} [{page.who}]"


def print_ratios(rows: list[Row]) -> None:
    """The final table: one line per page and view."""
    width = max([44, *(len(_label(row.page)) for row in rows)])
    header = (
        f"{'page':<{width}} {'view':<13} {'req/s':>8} {'healthz':>8} {'ratio (lowest)':>15} "
        f"{'SQL/req':>8}  errors"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        errors = row.problems()
        ratio = f"{statistics.mean(row.ratios):.3f} ({min(row.ratios):.3f})"
        print(
            f"{_label(row.page):<{width}} {row.page.view:<13} {statistics.mean(row.rates):>8.1f} "
            f"{statistics.mean(row.baseline):>8.1f} {ratio:>15} {row.statements:>8}  {errors}"
        )
    print(
        "SQL/req: anon cached = first request (renders) / second (from the cache); others = a "
        "second request. errors = non-2xx answers and socket failures, and measurements in which "
        "not one request was answered (must be 0)."
    )


def _selected(pages: list[Page], args) -> list[Page]:
    if args.only:
        pages = [p for p in pages if p.path in args.only or p.shown in args.only]
    if args.skip:
        pages = [p for p in pages if not any(x.startswith(s) for s in args.skip for x in (p.path,))]
    return pages


def _warm_up(port: int, page: Page, workers: int, cookies: dict[str, str]) -> None:
    """Caches, lazy imports, connection pools of every worker (a feed may build meanwhile)."""
    headers = {"Accept-Language": "en"}
    if page.who:
        headers["Cookie"] = f"session={cookies[page.who]}"
    for _ in range(2 * workers):
        deadline = time.monotonic() + FEED_BUILD_TIMEOUT
        try:
            while load.get(port, page.path, headers, timeout=WARMUP_TIMEOUT)[0] == 503:
                if time.monotonic() > deadline:
                    break
                time.sleep(1)
        except OSError as exc:
            print(f"warm-up of {page.shown}: {exc}", flush=True)


def _flush_redis(url: str | None) -> None:
    if url:
        import redis

        redis.Redis.from_url(url).flushdb()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or None,
        help="default: BENCH_DATABASE_URL, else SQLite in a temporary folder",
    )
    parser.add_argument("--reset", action="store_true", help="drop the tables that exist first")
    parser.add_argument(
        "--reuse", action="store_true", help="keep a data set of --events events made earlier"
    )
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--recurring", type=int, help="default: a fifth of --events")
    parser.add_argument("--orgs", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="page/healthz pairs per page")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL") or None,
        help="render cache and rate limits in Redis (default: BENCH_REDIS_URL); FLUSHED",
    )
    parser.add_argument(
        "--render-cache",
        choices=["both", "on", "off"],
        default="both",
        help="anonymous pages with the render cache on, off, or both (two servers in turn)",
    )
    parser.add_argument(
        "--no-render-cache",
        dest="render_cache",
        action="store_const",
        const="off",
        help="same as --render-cache off",
    )
    parser.add_argument("--no-signed-in", action="store_true", help="leave out the signed-in pages")
    parser.add_argument("--only", action="append", help="measure only these paths")
    parser.add_argument("--skip", action="append", help="leave out paths starting so")
    parser.add_argument(
        "--prepare-only", action="store_true", help="seed (or check) the data set and stop"
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the data")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:  # bench/feed_bench.py
        serve(args.database_url, args.port)
        return 0
    recurring = args.events // 5 if args.recurring is None else args.recurring
    if not 0 <= recurring <= args.events:
        parser.error("--recurring must be between 0 and --events")
    client = args.client
    if client == "auto":
        client = "wrk" if load.wrk_available() else "python"
    modes = ["on", "off"] if args.render_cache == "both" else [args.render_cache]
    began = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="coalition-bench-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        apps = {
            mode: create_app(app_config(url, redis_url=args.redis_url, render_cache=mode == "on"))
            for mode in modes
        }
        app = apps[modes[0]]
        with app.app_context():
            if args.reuse and _reusable(args.events):
                print(f"Reusing the data set of {args.events} events in the database.")
            else:
                _prepare_schema(args.reset or args.reuse)
                seeded = seed(args.events, recurring, orgs=args.orgs, rng=random.Random(args.seed))
                print(
                    f"Seeded {seeded.events} events ({seeded.recurring} recurring), "
                    f"{seeded.translations} texts, {seeded.occurrences} occurrences "
                    f"in {seeded.seconds:.1f} s."
                )
            if not signed_in.seeded():
                with app.test_request_context(base_url=app.config["BASE_URL"]):
                    took = signed_in.seed_people()
                print(
                    f"Seeded the signed-in pages' data ({signed_in.RSVPS} RSVPs, a delegation "
                    f"of {signed_in.DELEGATES}, an alert to {signed_in.RESPONDERS} responders) "
                    f"in {took:.1f} s."
                )
            backend = db.engine.dialect.name
            if args.prepare_only:
                db.engine.dispose()
                return 0
            anonymous = targets()
            found = signed_in.data()
            with app.test_request_context(base_url=app.config["BASE_URL"]):
                token = delegation_ops.lead_token(db.session.get(Delegation, found.delegation_id))
            private_pages = [
                Page(path, label, "signed-in", who)
                for path, label, who in signed_in.pages(found, token)
            ]
            db.session.remove()
            db.engine.dispose()

        # Cold caches once, at the start: the feed (built for minutes at 100,000 events) is then
        # built once per run, as production builds it once; nothing reads a page stored by the
        # first server when the second one runs with the render cache off.
        _flush_redis(args.redis_url)
        rows: list[Row] = []
        for number, mode in enumerate(modes):
            view = "anon cached" if mode == "on" else "anon uncached"
            pages = [Page(path, label, view) for path, label in anonymous]
            if number == 0 and not args.no_signed_in:
                pages += private_pages
            pages = _selected(pages, args)
            if not pages:
                continue
            statements = statements_per_request(apps[mode], pages)
            with apps[mode].app_context():
                db.engine.dispose()
            env = {"BENCH_APP_RENDER_CACHE": "1" if mode == "on" else "0"}
            if args.redis_url:
                env["BENCH_APP_REDIS_URL"] = args.redis_url
            with load.Gunicorn(url, workers=args.workers, env=env) as server:
                cookies = {
                    who: signed_in.http_sign_in(server.port, who, app)
                    for who in dict.fromkeys(p.who for p in pages if p.who)
                }
                for page in pages:
                    _warm_up(server.port, page, args.workers, cookies)
                print(
                    f"gunicorn, {args.workers} sync workers, {backend}, {args.events} events; "
                    f"{client}, {args.connections} connections, {args.seconds:.0f} s per "
                    f"measurement, {args.rounds} rounds; render cache "
                    f"{'off' if mode == 'off' else ('Redis' if args.redis_url else 'memory')}"
                    f"{'; signed in as ' + ', '.join(cookies) if cookies else ''}.",
                    flush=True,
                )
                measured = run_load(
                    server.port,
                    pages,
                    rounds=args.rounds,
                    seconds=args.seconds,
                    connections=args.connections,
                    client=client,
                    cookies=cookies,
                )
            for row in measured:
                row.statements = statements[(row.page.view, row.page.path)]
            rows += measured
        print()
        print_ratios(rows)
        print(f"Whole run: {time.monotonic() - began:.0f} s.")
        failed = [row for row in rows if row.failed]
        if failed:
            print(f"{len(failed)} measurement(s) had errors: their figures are not valid.")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
