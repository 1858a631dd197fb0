"""Profile one page in process on the calendar bench's data set (cProfile, no server).

    BENCH_DATABASE_URL=... PYTHONPATH=$PWD .venv/bin/python bench/profile_page.py \
        /orgs/bench-0/rapid/alerts/1 --who dispatcher [--requests 50] [--top 15]
        [--after-answer 1] [--sql] [--no-render-cache]

The data set is the one `calendar_bench.py --reset` (or `--prepare-only`) made; the app runs
with the bench's production settings (`bench_app.bench_config`), signed in through the real
forms as `--who` (member, organizer, lead, dispatcher; none: anonymous). Prints the mean time
and SQL statements per request, then the top of the profile by own time and by cumulative
time. `--after-answer ALERT_ID`: before each request, one answer of that alert changes (between
"On my way" and "Can't", put back at the end): the first look after an answer, which renders
the live list again, instead of a look at an unchanged alert. `--sql`: each statement of one
request, with the time from sending it to its answer.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import signed_in  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from bench_app import bench_config  # noqa: E402
from calendar_bench import _Client  # noqa: E402

from coalition import create_app  # noqa: E402
from coalition.extensions import db  # noqa: E402


def _unchanged(restore: bool = False) -> None:
    """No change between requests."""


def _answer_changer(app, alert_id: int):
    """A function that turns one answer of the alert between "going" and "cant" (committed),
    and puts it back as it was with `restore=True`."""
    from coalition.rapid.models import Answer

    with app.app_context():
        answer_id, state, eta = db.session.execute(
            sa.select(Answer.id, Answer.state, Answer.eta_minutes)
            .where(Answer.alert_id == alert_id, Answer.state.in_(("going", "cant")))
            .order_by(Answer.id)
            .limit(1)
        ).one()

    def change(restore: bool = False) -> None:
        with app.app_context():
            answer = db.session.get(Answer, answer_id)
            if restore:
                answer.state, answer.eta_minutes = state, eta
            else:
                answer.state = "cant" if answer.state == "going" else "going"
                answer.eta_minutes = 10 if answer.state == "going" else None
            answer.answered_at = datetime.now(UTC)
            db.session.commit()

    return change


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--who", default=None, help="member, organizer, lead or dispatcher")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"))
    parser.add_argument("--after-answer", type=int, metavar="ALERT_ID")
    parser.add_argument("--no-render-cache", action="store_true",
                        help="render cache off: the first visitor after a change")  # fmt: skip
    parser.add_argument("--sql", action="store_true",
                        help="print each statement of one request with its time")  # fmt: skip
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url or BENCH_DATABASE_URL is needed (the bench's data set)")
    app = create_app(
        bench_config(
            args.database_url, redis_url=args.redis_url, render_cache=not args.no_render_cache
        )
    )
    client = _Client(app)
    if args.who:
        signed_in.client_sign_in(app, client, args.who)
    headers = {"Accept-Language": "en"}
    change = _answer_changer(app, args.after_answer) if args.after_answer else _unchanged
    for _ in range(3):  # lazy imports, template compilation, connection pool
        response = client.get(args.path, headers=headers)
        if response.status_code != 200:
            print(f"{args.path} answered {response.status_code}", file=sys.stderr)
            return 1
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    timings: list[float] = []

    def before(_conn, _cursor, statement, *_a) -> None:
        statements.append(statement)
        timings.append(time.perf_counter())

    def after(*_a) -> None:
        timings[-1] = time.perf_counter() - timings[-1]

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    client.get(args.path, headers=headers)
    sa.event.remove(engine, "before_cursor_execute", before)
    sa.event.remove(engine, "after_cursor_execute", after)
    if args.sql:
        for statement, took in zip(statements, timings, strict=True):
            print(f"--- {took * 1000:.2f} ms\n{statement}")
    plain = 0.0
    for _ in range(args.requests):
        change()
        began = time.perf_counter()
        client.get(args.path, headers=headers)
        plain += time.perf_counter() - began
    plain /= args.requests
    profiler = cProfile.Profile()
    for _ in range(args.requests):
        change()
        profiler.enable()
        client.get(args.path, headers=headers)
        profiler.disable()
    change(restore=True)
    what = "after an answer each" if args.after_answer else "unprofiled"
    print(f"{args.path}: {plain * 1000:.1f} ms a request ({what}, mean of {args.requests}), "
          f"{len(statements)} SQL statements, {len(response.data):,} bytes")  # fmt: skip
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(args.top)
        print(f"--- by {order} ---")
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
