"""Two workers started together both apply the first run of clock changes (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import sqlalchemy as sa

from coalition.calendar_version import CalendarVersion
from coalition.events.schedule import CLOCK_KEY, apply_due
from coalition.extensions import db as _db


def test_two_workers_marking_their_first_run_together_both_commit(pg_app, db):
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    first_marked, first_may_commit = threading.Event(), threading.Event()
    errors: list[str] = []

    def first() -> None:
        with pg_app.app_context():
            try:
                apply_due(now)  # the clock row made, not committed yet
                first_marked.set()
                first_may_commit.wait(timeout=30)
                _db.session.commit()
            except Exception as exc:  # reported by the assertion below
                errors.append(repr(exc))
                first_marked.set()
            finally:
                _db.session.remove()

    def second() -> None:
        first_marked.wait(timeout=30)
        with pg_app.app_context():
            try:
                apply_due(now)  # waits on the first worker's row, then moves it
                _db.session.commit()
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_marked.wait(timeout=30)
    threads[1].join(timeout=1)  # the second is blocked on the first's uncommitted row
    first_may_commit.set()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    marked = db.session.execute(
        sa.select(CalendarVersion.changed_at).where(CalendarVersion.key == CLOCK_KEY)
    ).scalar_one()
    assert marked == now
