"""The feeds' store (`coalition/cache_store.py`: Redis behind a process copy, or memory alone)."""

from __future__ import annotations

from flask import current_app

from coalition.cache_store import MemoryStore, RedisStore, make_store


def get_store() -> MemoryStore | RedisStore:
    """This app's store (made on first use)."""
    app = current_app
    store = app.extensions.get("feed_store")
    if store is None:
        config = app.config
        store = make_store(config, config["FEED_CACHE_PREFIX"], config["FEED_CACHE_MEMORY_MB"])
        app.extensions["feed_store"] = store
    return store
