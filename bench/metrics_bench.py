"""What a /metrics scrape costs with a big outbox (issue 24), on PostgreSQL.

    python bench/metrics_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench \
        --rows 1000000

DROPS AND RECREATES the tables of that database, writes `--rows` outbox rows (a third texts, 2%
urgent, 1% failed, the last 300 still queued, one a second up to now), then times scrapes
through the app (the first one of a process apart: it counts every settled row once).
"""

from __future__ import annotations

import argparse
import statistics
import time

import sqlalchemy as sa

from coalition import create_app
from coalition.extensions import db

TOKEN = "t" * 32


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--scrapes", type=int, default=9)
    args = parser.parse_args()
    app = create_app(
        {"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": args.database_url,
         "METRICS_TOKEN": TOKEN}
    )  # fmt: skip
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.execute(
            sa.text("""
            INSERT INTO outgoing_emails (channel, kind, recipient, subject, body_text, headers,
                attachments, message_id, status, attempts, next_attempt_at, priority,
                is_uncertain, segments, created_at, sent_at)
            SELECT CASE WHEN g % 3 = 0 THEN 'sms' ELSE 'email' END, 'bench', 'x', 'x', 'x', '{}',
                '[]', '<' || g || '@bench>',
                CASE WHEN g > :n - 300 THEN 'queued' WHEN g % 97 = 0 THEN 'failed' ELSE 'sent' END,
                0, now() - interval '1 minute', CASE WHEN g % 50 = 0 THEN 0 ELSE 1 END, false,
                CASE WHEN g % 3 = 0 THEN 1 + g % 3 END,
                now() - (:n - g) * interval '1 second', now() - (:n - g) * interval '1 second'
            FROM generate_series(1, :n) g"""),
            {"n": args.rows},
        )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE outgoing_emails")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    times = []
    for _ in range(args.scrapes + 1):
        started = time.perf_counter()
        assert client.get("/metrics", headers=headers).status_code == 200
        times.append(time.perf_counter() - started)
    first, rest = times[0], times[1:]
    print(f"{args.rows} outbox rows: first scrape {first * 1000:.0f} ms, then median "
          f"{statistics.median(rest) * 1000:.1f} ms (min {min(rest) * 1000:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
