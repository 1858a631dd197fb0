"""Does a known contact answer in another time than an unknown one? (issue 24, item 7)

Possession, not knowledge: knowing an email proves nothing, so no answer may differ (content,
status or time) because the contact already has an RSVP. This bench sends, to the app served as
production serves it (gunicorn, 2 sync workers, PostgreSQL, production settings, CSRF on, rate
limits off), `--requests` (300) RSVPs with contacts that already have an RSVP for the date and as
many with fresh ones, to the RSVP form and to the JSON API, plus as many `/healthz` (the
baseline), all in one random order, one request at a time (a new connection each: gunicorn's
sync workers do not keep connections alive). Every known contact is used once, as someone going
through a list would. Then it prints, per entry point and group, p10/p50/p90/p99 in ms, the ratio
of the medians known/unknown, the Mann-Whitney U statistic (as the probability that a known
request is slower than an unknown one: 0.5 = indistinguishable) with its two-sided p (normal
approximation), and a permutation p for the difference of the medians.

Before the served run it counts, in process, the SQL statements and outbox rows of one known and
one unknown submission to each entry point (these must be equal; the suite checks it:
`tests/security/test_same_work.py`).

Usage: .venv/bin/python bench/contact_timing_bench.py \
           --database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB [--requests 300]
The database is emptied (tables dropped and re-created).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402

from bench.bench_app import bench_config  # noqa: E402
from bench.load import Gunicorn  # noqa: E402
from coalition import create_app  # noqa: E402
from coalition.extensions import db  # noqa: E402

PATTERN_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# Data -----------------------------------------------------------------------------------------


def seed(app, known: int) -> dict:
    """One organization, one published event with one date (no seat limit), and `known` RSVPs
    for it (their contacts are the "known" ones)."""
    from coalition.rsvps import operations as rsvp_ops
    from tests.factories import make_event

    with app.app_context():
        db.drop_all()
        db.create_all()
        event = make_event(capacity=None)
        occurrence = event.occurrences[0]
        for n in range(known):
            rsvp_ops.submit(
                occurrence,
                rsvp_ops.RSVPInput(name=f"Owner {n}", email=f"known{n}@example.org"),
                notify=False,
            )
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
        ids = {"event": event.id, "occurrence": occurrence.id}
        db.session.remove()
        db.engine.dispose()
    return ids


def form_path(ids: dict) -> str:
    return f"/events/{ids['event']}/occurrences/{ids['occurrence']}/rsvp"


def api_path(ids: dict) -> str:
    return f"/api/v1/events/{ids['event']}/rsvps"


def form_fields(email: str) -> dict:
    return {"name": "Stranger", "email": email, "language": "en", "party_size": "2",
            "consents_to_reminders": "y"}  # fmt: skip


def api_body(email: str) -> dict:
    return {"name": "Stranger", "email": email, "party_size": 2, "language": "en"}


# In process: SQL statements and rows per submission ---------------------------------------


def count_in_process(database_url: str, ids: dict, known: list[str]) -> list:
    """(entry point, group, SQL statements, outbox rows added) for one submission each."""
    from coalition.mail.models import OutgoingEmail

    app = create_app({**bench_config(database_url), "WTF_CSRF_ENABLED": False})
    rows = []
    with app.app_context():
        engine = db.engine
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        def outbox() -> int:
            return db.session.scalar(sa.select(sa.func.count(OutgoingEmail.id)))

        client = app.test_client()
        here = {"base_url": "http://127.0.0.1"}  # a host the site answers to
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            for entry, group, email in (
                ("form", "known", known[0]),
                ("form", "unknown", "fresh-form-inprocess@example.org"),
                ("api", "known", known[1]),
                ("api", "unknown", "fresh-api-inprocess@example.org"),
            ):
                mails = outbox()
                db.session.remove()
                statements.clear()
                if entry == "form":
                    response = client.post(form_path(ids), data=form_fields(email), **here)
                else:
                    response = client.post(api_path(ids), json=api_body(email), **here)
                count = len(statements)
                rows.append((entry, group, response.status_code, count, outbox() - mails))
                db.session.remove()
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)
        db.engine.dispose()
    return rows


# Served: one request at a time -------------------------------------------------------------


class Client:
    """One visitor's browser as far as the form needs: a session cookie and its CSRF token."""

    def __init__(self, port: int, ids: dict):
        self.port = port
        self.ids = ids
        self.cookie = ""
        status, _, body = self.request("GET", form_path(ids))
        assert status == 200, status
        self.csrf = PATTERN_CSRF.search(body.decode()).group(1)

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Accept-Language": "en", **(headers or {})}
        if self.cookie:
            sent["Cookie"] = self.cookie
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
            return response.status, response.getheaders(), data
        finally:
            connection.close()

    def timed(self, entry: str, email: str | None) -> tuple[float, int]:
        if entry == "healthz":
            args = ("GET", "/healthz")
        elif entry == "form":
            fields = {**form_fields(email), "csrf_token": self.csrf}
            args = ("POST", form_path(self.ids), urlencode(fields).encode(),
                    {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        else:
            args = ("POST", api_path(self.ids), json.dumps(api_body(email)).encode(),
                    {"Content-Type": "application/json"})  # fmt: skip
        began = time.perf_counter()
        status, _, _ = self.request(*args)
        return time.perf_counter() - began, status


# Statistics --------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mann_whitney(a: list[float], b: list[float]) -> tuple[float, float, float]:
    """U of `a` against `b`, U / (n_a n_b) (the chance an `a` exceeds a `b`), and the two-sided p
    of the normal approximation with the tie correction."""
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(pooled)
    ties = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        size = j - i + 1
        ties += size**3 - size
        i = j + 1
    n_a, n_b = len(a), len(b)
    rank_a = sum(rank for rank, (_, side) in zip(ranks, pooled, strict=True) if side == 0)
    u = rank_a - n_a * (n_a + 1) / 2
    n = n_a + n_b
    sigma = math.sqrt(n_a * n_b / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (u - n_a * n_b / 2) / sigma if sigma else 0.0
    p = math.erfc(abs(z) / math.sqrt(2))
    return u, u / (n_a * n_b), p


def permutation_p(a: list[float], b: list[float], rounds: int, rng: random.Random) -> float:
    """How often a random split of the pooled times gives a difference of medians at least as
    large as the one observed (two-sided)."""
    observed = abs(statistics.median(a) - statistics.median(b))
    pooled = a + b
    hits = 0
    for _ in range(rounds):
        rng.shuffle(pooled)
        if (
            abs(statistics.median(pooled[: len(a)]) - statistics.median(pooled[len(a) :]))
            >= observed
        ):
            hits += 1
    return (hits + 1) / (rounds + 1)


def describe(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return "  ".join(f"{percentile(ms, q):6.1f}" for q in (0.10, 0.50, 0.90, 0.99))


# Main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database (emptied)")
    parser.add_argument("--requests", type=int, default=300, help="per entry point and group")
    parser.add_argument("--warmup", type=int, default=20, help="per entry point, not counted")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--permutations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    needed = 2 * (args.requests + args.warmup) + 2
    app = create_app(bench_config(args.database_url))
    began = time.perf_counter()
    ids = seed(app, needed)
    print(f"Seeded {needed} RSVPs (the known contacts) in {time.perf_counter() - began:.1f} s.")
    known = [f"known{n}@example.org" for n in range(needed)]
    rng.shuffle(known)

    print("\nIn process, one submission each (production settings, CSRF off):")
    print("  entry    group    status  SQL statements  outbox rows")
    for entry, group, status, count, mails in count_in_process(
        args.database_url, ids, [known.pop(), known.pop()]
    ):
        print(f"  {entry:<8} {group:<8} {status:>6}  {count:>14}  {mails:>11}")

    tasks = []
    for entry in ("form", "api"):
        for n in range(args.warmup):
            tasks.append((True, entry, "known", known.pop()))
            tasks.append((True, entry, "unknown", f"warm-{entry}-{n}@example.org"))
    rng.shuffle(tasks)
    measured = []
    for entry in ("form", "api"):
        for n in range(args.requests):
            measured.append((False, entry, "known", known.pop()))
            measured.append((False, entry, "unknown", f"fresh-{entry}-{n}@example.org"))
    for _ in range(args.requests):
        measured.append((False, "healthz", "-", None))
    rng.shuffle(measured)
    tasks += measured

    times: dict[tuple[str, str], list[float]] = {}
    statuses: dict[tuple[str, str], dict[int, int]] = {}
    expected = {"form": 200, "api": 202, "healthz": 200}
    with Gunicorn(args.database_url, workers=args.workers) as server:
        client = Client(server.port, ids)
        began = time.perf_counter()
        for warmup, entry, group, email in tasks:
            seconds, status = client.timed(entry, email)
            if warmup:
                continue
            times.setdefault((entry, group), []).append(seconds)
            counted = statuses.setdefault((entry, group), {})
            counted[status] = counted.get(status, 0) + 1
        total = time.perf_counter() - began
    print(f"\nServed: {len(tasks)} requests in {total:.1f} s, one at a time, random order "
          f"({args.workers} gunicorn workers).")  # fmt: skip
    print("  entry    group       n  statuses         p10    p50    p90    p99 (ms)")
    for key in sorted(times):
        shown = ", ".join(f"{s}×{c}" for s, c in sorted(statuses[key].items()))
        flag = "" if set(statuses[key]) == {expected[key[0]]} else "  <- unexpected status"
        print(f"  {key[0]:<8} {key[1]:<8} {len(times[key]):>4}  {shown:<14} "
              f"{describe(times[key])}{flag}")  # fmt: skip
    health = statistics.median(times[("healthz", "-")])
    print("\n  entry    median known/unknown  Mann-Whitney P(known slower)  p (U)     "
          "p (perm., medians)  medians / healthz")  # fmt: skip
    for entry in ("form", "api"):
        a, b = times[(entry, "known")], times[(entry, "unknown")]
        _, share, p = mann_whitney(a, b)
        perm = permutation_p(a, b, args.permutations, rng)
        known_median, unknown_median = statistics.median(a), statistics.median(b)
        print(f"  {entry:<8} {known_median / unknown_median:20.3f}  {share:27.3f}  {p:8.2g}  "
              f"{perm:18.3g}  {known_median / health:.2f} / "
              f"{unknown_median / health:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
