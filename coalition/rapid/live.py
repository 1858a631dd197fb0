"""The dispatchers' live list of an alert, rendered once per change for every dispatcher.

The alert page and its `/answers` refresh (every few seconds, by every dispatcher of the
organization) show the same list to everyone who may see it: the answers' names, states, ETAs,
arrival times, the phones of those on the way. Rendering it for 800 responders means decrypting
hundreds of names and writing hundreds of lines, ~100 ms; it changes only when an answer or a
responder does. So it is rendered once per version (`operations.live_state`: one aggregate
query that changes with every answer, ETA, arrival, departure and responder edit) and language,
and kept here.

Personal data, so never in the shared render cache (Redis, `core/fragments.py` holds nothing
personal): each process keeps its own copy, in memory only, one per alert and language. A new
version replaces the old one at once (nothing of a changed list, a renamed or departed
responder, is kept), the least recently seen alerts are dropped beyond `SLOTS`, and a copy is
never served older than `MAX_AGE` (a bound on any change the version could miss).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from coalition.db import utcnow

#: Pieces kept per process (an open alert's list is ~50 KB at 800 responders; three pieces an
#: alert and language).
SLOTS = 192
#: The oldest copy served, even when its version still matches.
MAX_AGE = timedelta(seconds=60)
#: How long a decrypted name or number is kept in a process after it was opened.
NAMES_MAX_AGE = timedelta(minutes=10)


@dataclass(frozen=True)
class _Copy:
    version: str
    html: str
    made_at: datetime


class LiveLists:
    """Rendered pieces by key (alert id first, then the language and the piece): the latest
    version of each, least recently seen dropped first."""

    def __init__(self, slots: int = SLOTS, max_age: timedelta = MAX_AGE):
        self.slots = slots
        self.max_age = max_age
        self._copies: OrderedDict[tuple, _Copy] = OrderedDict()
        self._lock = threading.Lock()
        #: Renders since the process started (tests read it: a hit renders nothing).
        self.renders = 0

    def get(self, key: tuple, version: str, now: datetime, render: Callable[[], str]) -> str:
        """The piece of this version, rendered now unless a fresh enough copy is kept."""
        with self._lock:
            copy = self._copies.get(key)
            if copy is not None:
                self._copies.move_to_end(key)
                if copy.version == version and copy.made_at > now - self.max_age:
                    return copy.html
                # Outdated: dropped before anything else, even if rendering fails.
                del self._copies[key]
        html = render()
        with self._lock:
            self.renders += 1
            self._copies[key] = _Copy(version, html, now)
            self._copies.move_to_end(key)
            while len(self._copies) > self.slots:
                self._copies.popitem(last=False)
        return html


def live_lists() -> LiveLists:
    """This app's lists (one store per app: tests each get their own)."""
    return current_app.extensions.setdefault("rapid.live_lists", LiveLists())


class Opened:
    """Names and numbers of the dispatchers' lists, decrypted once per process: by their Fernet
    token, which opens to one value forever (an edit writes a new token, so an entry is never
    wrong, only unused). A list rendered again after an answer then decrypts only the people it
    had not named yet, not all of them again. Bounded in number and in time: a value is kept
    at most `NAMES_MAX_AGE` after it was opened (a responder who left, an erased answer, is
    not held in memory beyond that); in memory only, like the pieces above."""

    def __init__(self, max_items: int = 20_000, max_age: timedelta = NAMES_MAX_AGE):
        self.max_items = max_items
        self.max_age = max_age
        self._values: OrderedDict[str, tuple[str, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def open(self, token: str | None, now: datetime | None = None) -> str | None:
        if token is None:
            return None
        now = now or utcnow()
        with self._lock:
            # Oldest first (insertion order): drop what has been kept too long.
            while self._values:
                _token, (_value, opened_at) = next(iter(self._values.items()))
                if opened_at > now - self.max_age:
                    break
                self._values.popitem(last=False)
            kept = self._values.get(token)
            if kept is not None:
                return kept[0]
        from coalition.crypto import keys

        value = keys().decrypt(token)
        with self._lock:
            self._values[token] = (value, now)
            while len(self._values) > self.max_items:
                self._values.popitem(last=False)
        return value


def opened() -> Opened:
    """This app's decrypted names and numbers (one per app: tests each get their own)."""
    return current_app.extensions.setdefault("rapid.opened", Opened())
