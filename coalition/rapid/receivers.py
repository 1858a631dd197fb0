"""What rapid response does when something happens below it (connected by the app factory)."""

from __future__ import annotations

from coalition import signals


def _text_received(phone: str, *, body: str, **_) -> str | None:
    # 1/SI/YES or 2/NO from a phone with an open rapid-response alert answers that alert.
    from coalition.rapid.operations import reply_by_text

    return reply_by_text(phone, body)


def connect() -> None:
    signals.text_received.connect(_text_received)
