"""Feed benchmark (issue 12): `/calendar.ics` on gunicorn + PostgreSQL, as ratios to `/healthz`.

Seeds `--events` events (a fifth of them series) into the PostgreSQL database given with
`--database-url` (`--reset` drops its tables first), starts gunicorn (`--workers` 2, the default
30 s worker timeout) with the shared feed cache in Redis (`--redis-url`, a key prefix of its own,
removed afterwards), and measures from `--concurrency` (16) client threads, gzip accepted:

- first build: the public feed with no fragment cached anywhere (time until it answers 200; it is
  built off the request path, so requests meanwhile get 503 + Retry-After), with /healthz timed
  during that build (its worst latency shows whether the build blocks other pages);
- `/healthz`: the baseline;
- warm: `/calendar.ics` again;
- 304: `/calendar.ics` with If-None-Match;
- cold: a never-seen filter combination per request (types × organizations), built from the
  cached fragments;
- cold 2,000: one never-seen combination listing about 2,000 events (the median of 5);
- free text: a never-seen `q=` per request (an ad-hoc feed: built, kept only in the process's
  bounded copy, never in Redis).

`--rate-limits` turns the production limits on (counters in the same Redis): the 304 row then
shows that conditional requests are never limited, the warm row that full answers of one feed to
one address are (`FEED_RATE_LIMIT`), the free-text row `FEED_ADHOC_RATE_LIMIT`.

Usage: .venv/bin/python bench/feed_bench.py --database-url postgresql+psycopg://…/db --reset
       [--events 10000 --requests 400 --time-limit 30]

`--reuse` keeps a data set of `--events` events made by an earlier run; `--cache-prefix P` keeps
the events' fragments in Redis under P after the run (feed bodies are deleted, so combinations are
never-seen again next time): the first build then concatenates instead of building from nothing.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import calendar_bench as cb  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from coalition import create_app  # noqa: E402
from coalition.events.models import Event, EventType  # noqa: E402
from coalition.extensions import db  # noqa: E402
from coalition.orgs.models import Organization, OrgStatus  # noqa: E402

GZIP = {"Accept-Encoding": "gzip"}


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, str | None, float]:
    began = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("ETag"), time.perf_counter() - began
    finally:
        connection.close()


def run(port, label, paths, *, requests, concurrency, time_limit, headers=None) -> cb.Measure:
    """Up to `requests` GETs of `paths(n)` from `concurrency` threads, at most `time_limit` s."""
    counter = itertools.count()
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    deadline = time.monotonic() + time_limit

    def worker(quota: int) -> None:
        for _ in range(quota):
            if time.monotonic() > deadline:
                return
            with lock:
                path = paths(next(counter))
            status, _etag, seconds = _get(port, path, headers)
            with lock:
                latencies.append(seconds)
                statuses[status] = statuses.get(status, 0) + 1

    quotas = [requests // concurrency + (n < requests % concurrency) for n in range(concurrency)]
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(worker, quota) for quota in quotas]:
            future.result()
    elapsed = time.perf_counter() - began
    return cb.Measure(label, label, len(latencies), elapsed, latencies, statuses)


def _combinations(types: list[str], orgs: list[str], rng: random.Random) -> list[str]:
    """Distinct filter combinations: a non-empty set of types and one organization."""
    combos = []
    for org in orgs:
        for size in range(1, len(types) + 1):
            for chosen in itertools.combinations(types, size):
                combos.append("&".join([f"type={t}" for t in chosen] + [f"org={org}"]))
    rng.shuffle(combos)
    return combos


def _about(per_type: dict[str, int], target: int, count: int = 5) -> list[str]:
    """`count` distinct type combinations listing about `target` events each."""
    subsets = [
        chosen for size in (1, 2, 3) for chosen in itertools.combinations(sorted(per_type), size)
    ]
    subsets.sort(key=lambda chosen: abs(sum(per_type[t] for t in chosen) - target))
    return ["&".join(f"type={t}" for t in chosen) for chosen in subsets[:count]]


def _first_build(port: int, concurrency: int, limit: float) -> tuple[float, list, dict]:
    """Hit the uncached feed from `concurrency` threads until it answers 200, timing /healthz."""
    done = threading.Event()
    statuses: dict[int, int] = {}
    health: list[float] = []
    lock = threading.Lock()
    began = time.perf_counter()
    finished: list[float] = []

    def subscriber() -> None:
        while not done.is_set() and time.perf_counter() - began < limit:
            status, _etag, _seconds = _get(port, "/calendar.ics", GZIP)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                finished.append(time.perf_counter() - began)
                done.set()
            else:
                time.sleep(0.5)

    def prober() -> None:
        while not done.is_set() and time.perf_counter() - began < limit:
            status, _etag, seconds = _get(port, "/healthz")
            health.append(seconds if status == 200 else float("inf"))
            time.sleep(0.1)

    with ThreadPoolExecutor(max_workers=concurrency + 1) as pool:
        futures = [pool.submit(subscriber) for _ in range(concurrency)] + [pool.submit(prober)]
        for future in futures:
            future.result()
    return (finished[0] if finished else float("inf")), health, statuses


def _forget(redis_url: str, prefix: str, *, keep_fragments: bool) -> None:
    """Delete the run's cache keys; with `keep_fragments`, every key but the events' fragments
    (feed bodies, last good copies, locks): the next run's combinations are never-seen again."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=prefix + "*", count=1000):
        if not (keep_fragments and key.startswith(prefix.encode() + b"frag:")):
            client.delete(key)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--reset", action="store_true", help="drop its tables first")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--recurring", type=int, default=None, help="default: a fifth")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--time-limit", type=float, default=30)
    parser.add_argument("--build-limit", type=float, default=600)
    parser.add_argument(
        "--rate-limits", action="store_true", help="the production rate limits on (in Redis)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep a data set of --events events made earlier"
    )
    parser.add_argument(
        "--cache-prefix",
        help="keep the feed cache in Redis under this prefix after the run (and reuse what an "
        "earlier run left there): measures the combinations with the fragments already built",
    )
    args = parser.parse_args()
    recurring = args.recurring if args.recurring is not None else args.events // 5
    app = create_app(cb.app_config(args.database_url))
    with app.app_context():
        seeded = None
        if not (args.reuse and cb._reusable(args.events)):
            cb._prepare_schema(args.reset or args.reuse)
            seeded = cb.seed(args.events, recurring, orgs=20, rng=random.Random(2026))
        types = list(db.session.scalars(sa.select(EventType.slug).order_by(EventType.slug)))
        orgs = list(
            db.session.scalars(
                sa.select(Organization.slug).where(Organization.status == OrgStatus.active)
            )
        )
        listed = db.session.scalar(sa.select(sa.func.count(Event.id)))
        per_type = dict(
            db.session.execute(
                sa.select(EventType.slug, sa.func.count(Event.id))
                .join(Event, Event.type_id == EventType.id)
                .group_by(EventType.slug)
            ).all()
        )
        about_2000 = _about(per_type, 2000)
        db.session.remove()
        db.engine.dispose()
    if seeded is None:
        print(f"Reusing the data set of {args.events} events in the database.")
    else:
        print(f"Seeded {seeded.events} events ({seeded.recurring} recurring), "
              f"{seeded.occurrences} occurrences in {seeded.seconds:.0f} s.")  # fmt: skip
    prefix = args.cache_prefix or f"feed-bench:{uuid.uuid4().hex[:8]}:"
    _forget(args.redis_url, prefix, keep_fragments=True)
    port = cb._free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COALITION_ENV": "production",
        "SECRET_KEY": "benchmark-only-not-secret",
        "CONTACT_KEYS": cb.app_config("")["CONTACT_KEYS"],
        "CONTACT_HASH_KEY": cb.app_config("")["CONTACT_HASH_KEY"],
        "DATABASE_URL": args.database_url,
        "RATELIMIT_ENABLED": "1" if args.rate_limits else "0",
        "CACHE_REDIS_URL": args.redis_url,
        "FEED_CACHE_PREFIX": prefix,
    }
    if args.rate_limits:
        env.update(RATELIMIT_STORAGE_URI=args.redis_url, RATELIMIT_KEY_PREFIX=prefix + "limits")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--bind",
         f"127.0.0.1:{port}", "--timeout", "30", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        cb._wait_until_up(port, server)
        first, health, first_statuses = _first_build(port, args.concurrency, args.build_limit)
        cached = "fragments kept from an earlier run" if args.cache_prefix else "nothing cached"
        print(f"First build of /calendar.ics ({listed} events, {cached}): {first:.1f} s; "
              f"answers meanwhile: {first_statuses}; /healthz during it: {len(health)} probes, "
              f"median {statistics.median(health) * 1000:.0f} ms, "
              f"worst {max(health) * 1000:.0f} ms.")  # fmt: skip
        if first == float("inf"):
            # Not built within --build-limit: do what the worker does with Redis (build the
            # fragments into the shared store), then wait for the web processes to serve it.
            began = time.perf_counter()
            warm_app = create_app({**cb.app_config(args.database_url),
                                   "CACHE_REDIS_URL": args.redis_url,
                                   "FEED_CACHE_PREFIX": prefix})  # fmt: skip
            with warm_app.app_context():
                from coalition.feeds.listing import warm_fragments

                built = warm_fragments()
                db.session.remove()
                db.engine.dispose()
            print(f"The worker's warm-up built {built} fragments in "
                  f"{time.perf_counter() - began:.0f} s.")  # fmt: skip
        for _attempt in range(600):
            status, etag, _seconds = _get(port, "/calendar.ics", GZIP)
            if status == 200:
                break
            time.sleep(1)
        assert status == 200, status
        combos = iter(_combinations(types, orgs, random.Random(7)))
        cold_2000 = [_get(port, f"/calendar.ics?{query}", GZIP)[2] for query in about_2000]
        options = {"concurrency": args.concurrency, "time_limit": args.time_limit}
        results = [
            run(port, "/healthz (baseline)", lambda n: "/healthz", requests=args.requests,
                **options),
            run(port, "/calendar.ics warm, gzip", lambda n: "/calendar.ics",
                requests=args.requests, headers=GZIP, **options),
            run(port, "/calendar.ics 304", lambda n: "/calendar.ics", requests=args.requests,
                headers={**GZIP, "If-None-Match": etag}, **options),
            run(port, "/calendar.ics cold combination", lambda n: f"/calendar.ics?{next(combos)}",
                requests=args.requests, headers=GZIP, **options),
            run(port, "/calendar.ics?q= never seen", lambda n: f"/calendar.ics?q=w{n}x{port}",
                requests=args.requests, headers=GZIP, **options),
        ]  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
        _forget(args.redis_url, prefix, keep_fragments=bool(args.cache_prefix))
    cb.print_table(results)
    print(f"one never-seen combination of ~2,000 events: median "
          f"{statistics.median(cold_2000) * 1000:.0f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
