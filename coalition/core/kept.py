"""Personal pages rendered once per change, kept in each process's memory.

Some pages show the same personal data to everyone who may see it, and are looked at far more
often than it changes: the dispatchers' live list of an alert (every few seconds, by every
dispatcher), the attendee list of a march (by each organizer, again after each check-in), a
delegation's roster. Rendering them means decrypting hundreds of names and writing hundreds of
lines. So each is rendered once per version (one aggregate the page reads anyway, changing with
every edit of what it shows) and language, and kept here.

Personal data, so never in the shared render cache (Redis; `core/fragments.py` holds nothing
personal): each process keeps its own copies, in memory only, one per key. A new version
replaces the old one at once (nothing of a changed list, a renamed or departed person, is
kept), the least recently seen keys are dropped beyond `slots`, and a copy is never served
older than `max_age` (a bound on any change a version could miss). Copies older than that are
dropped whenever the store is used, so a list nobody looks at again does not stay in memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from coalition.db import utcnow

#: The oldest copy served, even when its version still matches.
MAX_AGE = timedelta(seconds=60)
#: How long a decrypted name or number is kept in a process after it was opened.
NAMES_MAX_AGE = timedelta(minutes=10)


@dataclass(frozen=True)
class _Copy:
    version: str
    html: str
    made_at: datetime


class KeptCopies:
    """Rendered pieces by key (the record's id first, then the language and the piece): the
    latest version of each, least recently seen dropped first."""

    def __init__(self, slots: int = 192, max_age: timedelta = MAX_AGE):
        self.slots = slots
        self.max_age = max_age
        self._copies: OrderedDict[tuple, _Copy] = OrderedDict()
        self._lock = threading.Lock()
        #: Renders since the process started (tests read it: a hit renders nothing).
        self.renders = 0

    def __len__(self) -> int:
        return len(self._copies)

    def _drop_expired(self, now: datetime) -> None:
        """Copies made before `max_age` ago, whatever their key (called with the lock held)."""
        oldest = now - self.max_age
        for key in [key for key, copy in self._copies.items() if copy.made_at <= oldest]:
            del self._copies[key]

    def get(self, key: tuple, version: str, now: datetime, render: Callable[[], str]) -> str:
        """The piece of this version, rendered now unless a fresh enough copy is kept."""
        with self._lock:
            self._drop_expired(now)
            copy = self._copies.get(key)
            if copy is not None:
                self._copies.move_to_end(key)
                if copy.version == version:
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


def kept_copies(name: str, slots: int = 192) -> KeptCopies:
    """This app's store called `name` (one per app: tests each get their own)."""
    return current_app.extensions.setdefault(f"kept.{name}", KeptCopies(slots))


class Opened:
    """Names and numbers decrypted once per process: by their Fernet token, which opens to one
    value forever (an edit writes a new token, so an entry is never wrong, only unused). A list
    rendered again after a change then decrypts only the people it had not named yet, not all
    of them again. Bounded in number and in time: a value is kept at most `NAMES_MAX_AGE` after
    it was opened (a person who left, an erased row, is not held in memory beyond that); in
    memory only, like the pieces above."""

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
