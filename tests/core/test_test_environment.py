"""The suite itself: the same result whatever the shell's environment and the hour it runs at."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.conftest import APP_ENVIRONMENT, clock_from

ROOT = Path(__file__).resolve().parents[2]


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("TEST_CLOCK",)}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_settings_left_in_the_shell_change_no_test():
    """An operator's shell (RATELIMIT_ENABLED=0, MAIL_SERVER, DATABASE_URL...) is not the
    tests' configuration: the session removes every variable config.py reads."""
    assert {"RATELIMIT_ENABLED", "DATABASE_URL", "MAIL_SERVER", "COALITION_ENV"} <= APP_ENVIRONMENT
    result = _pytest(
        "-q",
        "tests/security/test_findings.py::"
        "test_4_production_refuses_memory_rate_limits_with_several_workers",
        RATELIMIT_ENABLED="0",
        WEB_CONCURRENCY="1",
        MAIL_SERVER="relay.invalid",
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_clock_goes_back_to_the_last_time_it_read_that_hour():
    # 09:00 UTC on 5 December is 04:00 in Boston.
    real = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert clock_from("02:00 America/New_York", real) == datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    assert clock_from("14:00 America/New_York", real) == datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
    # Summer time: 14:00 in Boston is 18:00 UTC.
    june = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)
    assert clock_from("14:00 America/New_York", june) == datetime(2026, 6, 10, 18, 0, tzinfo=UTC)


def test_TEST_CLOCK_runs_the_session_at_that_hour():
    result = _pytest(
        "--collect-only", "tests/core/test_test_environment.py", TEST_CLOCK="02:00 America/New_York"
    )
    assert result.returncode == 0, result.stdout[-3000:]
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("TEST_CLOCK=")]
    started = datetime.fromisoformat(line.rsplit(" at ", 1)[1])
    local = started.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (2, 0)
