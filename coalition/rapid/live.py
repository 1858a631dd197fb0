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
never served older than a minute (a bound on any change the version could miss): the store is
`core/kept.py`'s, shared with the attendee list and the delegation roster.
"""

from __future__ import annotations

from flask import current_app

from coalition.core.kept import KeptCopies, Opened, kept_copies

__all__ = ["Opened", "live_lists", "opened"]

#: Pieces kept per process (an open alert's list is ~50 KB at 800 responders; three pieces an
#: alert and language).
SLOTS = 192


def live_lists() -> KeptCopies:
    """This app's lists (one store per app: tests each get their own)."""
    return kept_copies("rapid.live_lists", SLOTS)


def opened() -> Opened:
    """This app's decrypted names and numbers (one per app: tests each get their own)."""
    return current_app.extensions.setdefault("rapid.opened", Opened())
