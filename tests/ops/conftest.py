"""Operations tests: the deployment the README describes, run for real on loopback."""

from __future__ import annotations

#: Why a test of this folder could not run (a missing program), for the notice at the end.
skipped: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if skipped:
        terminalreporter.write_sep("!", "NGINX TEST NOT RUN", yellow=True, bold=True)
        terminalreporter.write_line(skipped[0] + "; set REQUIRE_NGINX=1 to make this fail.")
