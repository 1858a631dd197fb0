"""Rendered pieces of pages that do not depend on who asks: an event's card in a listing, the
body of its page. Signed-in people and the first anonymous visitor after a change get pages
rendered per request (the render cache, `core/render_cache.py`, replays whole pages only to
anonymous visitors); those pages still take the pieces that did not change from here.

A caller names what the piece shows in its key parts: an event's `revision` (raised by every
change to the event, its dates, texts and co-sponsors), whatever else it shows that can change
apart from it (the host organization's `updated_at`, a seats-left version), and the time zone
it is written in. The visitor's language is always part of the key. Keys therefore name
immutable content: an entry is never updated, only added and evicted.

A piece must not hold anything personal: no CSRF token, no "you are going", no member-only
detail that another visitor of the same page could not see. A rendered piece that contains the
request's CSRF token is refused (served, never stored), so a form left inside one by mistake
cannot hand one person's token to another.

Pieces live in the render cache's store (Redis when configured, else each process's memory).
`FRAGMENT_CACHE = False` renders every piece every time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from flask import current_app, g
from flask_babel import get_locale
from markupsafe import Markup

from coalition import counters as metrics
from coalition.core.render_cache import get_store

#: Version of the key layout: raise it when what a piece holds changes shape.
_LAYOUT = 1


def _key(name: str, parts: Sequence[Hashable], locale: str | None = None) -> str:
    joined = ":".join(str(part) for part in parts)
    return f"frag{_LAYOUT}:{name}:{locale or get_locale() or 'en'}:{joined}"


def _storable(html: str) -> bool:
    token = g.get("csrf_token")  # Flask-WTF keeps this request's token there
    return not token or token not in html


def cached_many(
    name: str, items: Sequence[tuple[Sequence[Hashable], Callable[[], str]]]
) -> list[Markup]:
    """Each item is (key parts, render): the pieces in order, found with one store lookup and
    the missing ones rendered and stored together."""
    if not items:
        return []
    if not current_app.config["FRAGMENT_CACHE"]:
        return [Markup(render()) for _, render in items]
    store = get_store()
    locale = str(get_locale() or "en")
    keys = [_key(name, parts, locale) for parts, _ in items]
    found = store.get_many(keys)
    pieces: list[Markup] = []
    new: dict[str, bytes] = {}
    misses = 0
    for key, stored, (_, render) in zip(keys, found, items, strict=True):
        if stored is not None:
            pieces.append(Markup(stored.decode()))
            continue
        misses += 1
        html = str(render())
        if _storable(html):
            new[key] = html.encode()
        pieces.append(Markup(html))
    # Counted once per call (fifty pieces of a listing: two counter updates, not fifty).
    if misses < len(items):
        metrics.cache_lookup("fragment", "hit", len(items) - misses)
    if misses:
        metrics.cache_lookup("fragment", "miss", misses)
    if new:
        store.set_many(new, ttl=int(current_app.config["FRAGMENT_CACHE_SECONDS"]))
    return pieces


def cached(name: str, parts: Sequence[Hashable], render: Callable[[], str]) -> Markup:
    """One piece: stored under `name`, the visitor's language and `parts`."""
    return cached_many(name, [(parts, render)])[0]


def template_fragment(name: str, parts: Sequence[Hashable], *, caller: Callable[[], str]) -> Markup:
    """`{% call fragment("name", parts) %}…{% endcall %}` in a template: the body is rendered
    only when the piece is not stored yet (its queries too, when it makes them)."""
    return cached(name, parts, caller)
