"""Python's own work for one page, in instructions (callgrind): repeatable whatever else the
machine does, where times are not on a busy 2-core machine.

    BENCH_DATABASE_URL=... .venv/bin/python bench/instructions.py /calendar/month \
        [--who organizer] [--requests 20] [--render-cache]

On the calendar bench's data set (`calendar_bench.py --reset` or `--prepare-only`), with its
production settings, render cache off unless `--render-cache`. The script runs itself under
`valgrind --tool=callgrind --instr-atstart=no`: the app starts and answers 10 warm-up requests
uninstrumented, then `callgrind_control -i on` counts the next `--requests` requests only.
Prints instructions per request. The database's work (another process) is not counted: read it
with `EXPLAIN (ANALYZE, BUFFERS)`. About a second per request (valgrind runs Python ~50 times
slower); needs Debian's valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_INSIDE = "COALITION_INSTRUCTIONS_INSIDE"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--who", default=None, help="member, organizer, lead or dispatcher")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--render-cache", action="store_true")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url or BENCH_DATABASE_URL is needed (the bench's data set)")
    return args


def _measured(args: argparse.Namespace) -> None:
    """Inside valgrind: warm up, then count `args.requests` requests."""
    for folder in (ROOT, ROOT / "bench"):
        sys.path.insert(0, str(folder))
    import signed_in
    from bench_app import bench_config
    from calendar_bench import _Client

    from coalition import create_app

    config = bench_config(
        args.database_url, redis_url=args.redis_url, render_cache=args.render_cache
    )
    app = create_app(config)
    client = _Client(app)
    if args.who:
        signed_in.client_sign_in(app, client, args.who)
    headers = {"Accept-Language": "en"}
    for _ in range(10):
        status = client.get(args.path, headers=headers).status_code
        if status != 200:
            raise SystemExit(f"{args.path} answered {status}")
    control = ["callgrind_control", "-i"]
    subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(args.requests):
        client.get(args.path, headers=headers)
    subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if os.environ.get(_INSIDE):
        _measured(args)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={folder}/callgrind.out", sys.executable, __file__,
            *(argv if argv is not None else sys.argv[1:]),
        ]  # fmt: skip
        run = subprocess.run(
            command, env={**os.environ, _INSIDE: "1"}, capture_output=True, text=True
        )
    collected = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or collected is None:
        print(run.stdout + run.stderr[-2000:], file=sys.stderr)
        return 1
    total = int(collected.group(1))
    print(f"{args.path}: {total / args.requests / 1e6:.2f} M instructions a request "
          f"(Python's process; {args.requests} requests)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
