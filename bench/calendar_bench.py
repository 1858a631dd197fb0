"""Calendar benchmark: the public pages and the API, served as production serves them.

Seeds a database (SQLite in a temporary folder, or the PostgreSQL database named by
BENCH_DATABASE_URL / --database-url) with 10,000 events of which 2,000 recurring, serves the app
with gunicorn (2 sync workers) on 127.0.0.1, and loads every public page with wrk (16
connections; a Python keep-alive client when wrk is missing), each page against /healthz of the
same server in the same run, alternately, twice. The table gives each page's rate as a ratio to
/healthz and the SQL statements one request runs.

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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # `config` lives at the top of the repository

import load  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from bench_app import bench_config  # noqa: E402

from coalition import create_app  # noqa: E402
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
    with db.engine.connect() as connection:
        connection.execute(sa.text("ANALYZE"))
        connection.commit()
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


def statements_per_request(app, paths: list[str]) -> dict[str, tuple[int, int]]:
    """SQL statements of an anonymous GET of each path: (first request, second request). With
    the render cache on, the first one renders and the second one is answered from the cache."""
    counts: dict[str, tuple[int, int]] = {}
    statements: list[str] = []

    def record(*_args) -> None:
        statements.append("")

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        client = app.test_client()
        for path in paths:
            seen = []
            for _ in range(2):
                statements.clear()
                with app.app_context():
                    response = client.get(path, headers={"Accept-Language": "en"})
                assert response.status_code == 200, (path, response.status_code)
                seen.append(len(statements))
                client.delete_cookie("session")
            counts[path] = (seen[0], seen[1])
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return counts


@dataclass
class Row:
    path: str
    label: str
    ratios: list[float]
    rates: list[float]
    baseline: list[float]
    errors: int
    statements: tuple[int, int]


def run_load(port: int, pages, *, rounds: int, seconds: float, connections: int, client: str):
    rows = []
    for path, label in pages:
        ratios, rates, baseline, errors = [], [], [], 0
        for _ in range(rounds):
            base = load.measure(port, "/healthz", seconds, connections, client)
            page = load.measure(port, path, seconds, connections, client)
            baseline.append(base.rate)
            rates.append(page.rate)
            ratios.append(page.rate / base.rate if base.rate else 0.0)
            errors += page.errors + base.errors
        rows.append(Row(path, label, ratios, rates, baseline, errors, (0, 0)))
        print(f"  {path:<44} ratio {statistics.mean(ratios):.3f}", flush=True)
    return rows


def print_ratios(rows: list[Row], *, cached: bool) -> None:
    sql = "SQL miss/hit" if cached else "SQL/req"
    header = f"{'page':<44} {'req/s':>8} {'healthz':>8} {'ratio':>6} {'min':>6} {sql:>12}  errors"
    print(header)
    print("-" * len(header))
    for row in rows:
        statements = f"{row.statements[0]}/{row.statements[1]}" if cached else \
            str(row.statements[1])  # fmt: skip
        print(
            f"{row.path:<44} {statistics.mean(row.rates):>8.1f} "
            f"{statistics.mean(row.baseline):>8.1f} {statistics.mean(row.ratios):>6.3f} "
            f"{min(row.ratios):>6.3f} {statements:>12}  {row.errors}"
        )


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
        help="render cache and rate limits in Redis (default: BENCH_REDIS_URL)",
    )
    parser.add_argument(
        "--no-render-cache", action="store_true", help="render every page on every request"
    )
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

    with tempfile.TemporaryDirectory(prefix="coalition-bench-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        options = {"redis_url": args.redis_url, "render_cache": not args.no_render_cache}
        app = create_app(app_config(url, **options))
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
            backend = db.engine.dialect.name
            if args.prepare_only:
                return 0
            pages = targets()
            if args.only:
                pages = [p for p in pages if p[0] in args.only]
            if args.skip:
                pages = [p for p in pages if not any(p[0].startswith(s) for s in args.skip)]
            db.session.remove()
        if args.redis_url:
            import redis

            redis.Redis.from_url(args.redis_url).flushdb()
        statements = statements_per_request(app, [path for path, _label in pages])
        with app.app_context():
            db.engine.dispose()
        env = {"BENCH_APP_RENDER_CACHE": "0" if args.no_render_cache else "1"}
        if args.redis_url:
            env["BENCH_APP_REDIS_URL"] = args.redis_url
        with load.Gunicorn(url, workers=args.workers, env=env) as server:
            for path, _label in pages:  # warm up: caches, lazy imports, connection pools
                for _ in range(2 * args.workers):
                    try:
                        load.get(server.port, path, timeout=WARMUP_TIMEOUT)
                    except OSError as exc:
                        print(f"warm-up of {path}: {exc}", flush=True)
            print(
                f"gunicorn, {args.workers} sync workers, {backend}, {args.events} events; "
                f"{client}, {args.connections} connections, {args.seconds:.0f} s per "
                f"measurement, {args.rounds} rounds; render cache "
                f"{'off' if args.no_render_cache else ('Redis' if args.redis_url else 'memory')}."
            )
            rows = run_load(
                server.port,
                pages,
                rounds=args.rounds,
                seconds=args.seconds,
                connections=args.connections,
                client=client,
            )
        for row in rows:
            row.statements = statements[row.path]
        print()
        print_ratios(rows, cached=not args.no_render_cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
