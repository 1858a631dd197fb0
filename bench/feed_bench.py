"""Feed benchmark (issue 5): `/calendar.ics` with 2,000 events (400 recurring).

Reports requests per second, as a ratio to the trivial `/healthz` of the same app served the
same way (werkzeug's threaded server in a subprocess), for:
- cold: every request builds the feed (a unique, ignored query parameter defeats the cache);
- warm: the same URL again, answered from the in-process cache;
- conditional: If-None-Match with the feed's ETag, answered 304 without building anything.

Usage: .venv/bin/python bench/feed_bench.py [--events 2000 --recurring 400 --requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import calendar_bench as cb  # noqa: E402

from coalition import create_app  # noqa: E402
from coalition.extensions import db  # noqa: E402


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, str | None]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("ETag")
    finally:
        connection.close()


def run(port: int, label: str, paths, *, requests: int, concurrency: int, headers=None):
    counter = itertools.count()
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    latencies: list[float] = []

    def worker(quota: int) -> None:
        for _ in range(quota):
            with lock:
                path = paths(next(counter))
            began = time.perf_counter()
            status, _etag = _get(port, path, headers)
            with lock:
                latencies.append(time.perf_counter() - began)
                statuses[status] = statuses.get(status, 0) + 1

    quotas = [requests // concurrency + (n < requests % concurrency) for n in range(concurrency)]
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(worker, quota) for quota in quotas]:
            future.result()
    return cb.Measure(
        label, label, len(latencies), time.perf_counter() - began, latencies, statuses
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--recurring", type=int, default=400)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--cold-requests", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coalition-feed-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        app = create_app(cb.app_config(url))
        with app.app_context():
            cb._prepare_schema(False)
            seeded = cb.seed(args.events, args.recurring, orgs=20, rng=random.Random(2026))
            db.session.remove()
            db.engine.dispose()
        print(f"Seeded {seeded.events} events ({seeded.recurring} recurring), "
              f"{seeded.occurrences} occurrences.")  # fmt: skip
        port = cb._free_port()
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "calendar_bench.py"), "--serve",
             "--database-url", url, "--port", str(port)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        try:
            cb._wait_until_up(port, server)
            status, etag = _get(port, "/calendar.ics")
            assert status == 200, status
            options = {"concurrency": args.concurrency}
            results = [
                run(port, "/healthz (baseline)", lambda n: "/healthz",
                    requests=args.requests, **options),
                run(port, "/calendar.ics cold", lambda n: f"/calendar.ics?bench={n}",
                    requests=args.cold_requests, **options),
                run(port, "/calendar.ics warm", lambda n: "/calendar.ics",
                    requests=args.requests, **options),
                run(port, "/calendar.ics 304", lambda n: "/calendar.ics",
                    requests=args.requests, headers={"If-None-Match": etag}, **options),
            ]  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=10)
        cb.print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
