"""Reports follow the retention purge (connected by the app factory)."""

from __future__ import annotations

from coalition import signals
from coalition.reports import operations


def _on_purging(_sender, *, occurrences, now, **_kwargs) -> None:
    operations.freeze_due(occurrences, now)


def connect() -> None:
    signals.occurrence_purging.connect(_on_purging, weak=False)
