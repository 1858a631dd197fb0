"""Reports follow the retention purge (connected by the app factory)."""

from __future__ import annotations

from coalition import signals
from coalition.events.models import ended_before
from coalition.reports import operations


def _on_purging(_sender, *, cutoff, now, **_kwargs) -> None:
    operations.freeze_due(ended_before(cutoff), now)


def connect() -> None:
    signals.occurrence_purging.connect(_on_purging, weak=False)
