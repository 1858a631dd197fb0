"""Where a page's time goes, in process: cProfile over repeated GETs of the bench's pages.

    .venv/bin/python bench/profile_pages.py --database-url URL [--only PATH ...] [--requests 50]
        [--render-cache off|on] [--top 15]

Uses the data set an earlier `bench/calendar_bench.py` run left in that database (it seeds
nothing: run the bench first, or with `--prepare-only`). Each page is asked twice unprofiled
(lazy caches filled, as a served page would have them), then `--requests` times under cProfile;
it prints the milliseconds per request, the project's own functions by cumulative time and
every function by its own time. Signed-in pages are asked by
a client signed in through the real forms, as the bench does. The numbers are in-process costs
without the network or gunicorn: compare pages and before/after, not with the bench's rates.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import calendar_bench  # noqa: E402
import signed_in  # noqa: E402

from coalition import create_app  # noqa: E402
from coalition.delegations import operations as delegation_ops  # noqa: E402
from coalition.delegations.models import Delegation  # noqa: E402
from coalition.extensions import db  # noqa: E402


def _pages(app, render_cache: str) -> list[calendar_bench.Page]:
    view = "anon cached" if render_cache == "on" else "anon uncached"
    with app.app_context():
        pages = [calendar_bench.Page(path, label, view) for path, label in calendar_bench.targets()]
        found = signed_in.data()
        with app.test_request_context(base_url=app.config["BASE_URL"]):
            token = delegation_ops.lead_token(db.session.get(Delegation, found.delegation_id))
        pages += [
            calendar_bench.Page(path, label, "signed-in", who)
            for path, label, who in signed_in.pages(found, token)
        ]
        db.session.remove()
    return pages


def _top(profile: cProfile.Profile, sort: str, top: int, restrict: str | None = None) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats(sort)
    stats.print_stats(*([restrict] if restrict else []), top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    # Paths shortened to what follows the project or site-packages folder.
    return "\n".join(
        re.sub(r"\S*site-packages/", "", line.replace(str(ROOT) + "/", ""))
        for line in lines[start:]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL") or None)
    parser.add_argument("--render-cache", choices=["on", "off"], default="off")
    parser.add_argument("--only", action="append", help="profile only these paths")
    parser.add_argument("--skip", action="append", help="leave out paths starting so")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or BENCH_DATABASE_URL) names the bench's database")
    app = create_app(
        calendar_bench.app_config(
            args.database_url, redis_url=args.redis_url, render_cache=args.render_cache == "on"
        )
    )
    pages = calendar_bench._selected(_pages(app, args.render_cache), args)
    clients: dict[str | None, calendar_bench._Client] = {}
    for page in pages:
        if page.who not in clients:
            clients[page.who] = calendar_bench._Client(app)
            if page.who is not None:
                signed_in.client_sign_in(app, clients[page.who], page.who)
        client = clients[page.who]
        for _ in range(2):
            status = client.get(page.path, headers={"Accept-Language": "en"}).status_code
        if status != 200:
            print(f"{page.view} {page.shown}: answered {status}, not profiled")
            continue
        profile = cProfile.Profile()
        began = time.perf_counter()
        profile.enable()
        for _ in range(args.requests):
            client.get(page.path, headers={"Accept-Language": "en"})
        profile.disable()
        took = (time.perf_counter() - began) / args.requests * 1000
        print(f"\n== {page.view} {page.shown}: {took:.1f} ms a request (profiled, "
              f"{args.requests} requests)")  # fmt: skip
        print(f"-- the project's own functions, by cumulative time (top {args.top}):")
        print(_top(profile, "cumulative", args.top, restrict="/coalition/"))
        print(f"-- everything, by time spent in the function itself (top {args.top}):")
        print(_top(profile, "tottime", args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
