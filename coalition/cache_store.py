"""Where cached bytes are kept (feeds, `feeds/store.py`; rendered pages, `core/render_cache.py`):
Redis, shared by every process and machine, when `CACHE_REDIS_URL` (or a `redis://`
`RATELIMIT_STORAGE_URI`) names one; else each process's memory.

A foundation module: it knows nothing of what it keeps, so that the render cache and the feeds
(and /healthz, which pings it) share one implementation.

Every key names immutable content (an event's revision, a feed's ETag), so entries are never
updated, only added and evicted; a small in-process copy in front of Redis is therefore always
right. The exceptions, `last:` pointers to a feed's last good copy and `lock:` build locks, skip
that local copy.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from coalition.breaker import breaker_for, redis_client

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Keys that change meaning (pointers, locks): never kept in the in-process copy.
_SHARED_ONLY = ("last:", "lock:")


def _size(value) -> int:
    """Bytes a kept value holds: its length, or for a decoded fragment its text's length."""
    return len(value) if isinstance(value, bytes) else len(value[0]) + 64


class MemoryStore:
    """A least-recently-used map of bytes, bounded by total size (and, with `max_items`, by
    count). `get_decoded` may replace a value by its decoded form (an event's fragment as a
    tuple), kept in its place."""

    def __init__(self, max_bytes: int, max_items: int | None = None):
        self.max_bytes = max_bytes
        self.max_items = max_items
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        with self._lock:
            found = []
            for key in keys:
                value = self._items.get(key)
                if value is not None:
                    self._items.move_to_end(key)
                found.append(value)
            return found

    def get_decoded(self, keys: list[str], decode: Callable[[bytes], T]) -> list[T | None]:
        """Like `get_many`, each value decoded once: the decoded form replaces the bytes, so a
        value read by many feeds is decoded once per process, not once per feed."""
        with self._lock:
            items, touch = self._items, self._items.move_to_end
            found = list(map(items.get, keys))
            for n, value in enumerate(found):
                if value is not None:
                    key = keys[n]
                    touch(key)
                    if type(value) is bytes:
                        found[n] = items[key] = decode(value)
            return found

    def get_local(self, key: str) -> bytes | None:
        """The value if this process has it (no round trip)."""
        return self.get_many([key])[0]

    def count_not_local(self, keys: list[str]) -> int:
        """How many keys this process does not hold (no round trip): at least `count_missing`."""
        return self.count_missing(keys)

    def count_missing(self, keys: list[str], stop_after: int | None = None) -> int:
        with self._lock:
            return len(keys) - sum(map(self._items.__contains__, keys))

    def set_many(self, items: dict[str, bytes], ttl: int | None = None) -> None:
        with self._lock:
            for key, value in items.items():
                size = _size(value)
                if size > self.max_bytes // 4:
                    continue
                old = self._items.pop(key, None)
                if old is not None:
                    self._size -= _size(old)
                self._items[key] = value
                self._size += size
            limit = self.max_items or len(self._items)
            while (self._size > self.max_bytes or len(self._items) > limit) and self._items:
                _key, value = self._items.popitem(last=False)
                self._size -= _size(value)

    def delete(self, key: str) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= _size(old)

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        """Set only if absent (a lock); True when set."""
        with self._lock:
            if key in self._items:
                return False
        self.set_many({key: value})
        return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


class RedisStore:
    """Redis behind a small in-process copy of what it returned.

    Redis is an accelerator (coalition/breaker.py): a call that fails or times out opens the
    breaker, and until Redis answers again this store is its in-process copy alone (reads find
    what this process holds, writes go there, locks are this process's)."""

    def __init__(
        self, url: str, prefix: str, local: MemoryStore, timeout: float = 0.25,
        retry_after: float = 5.0,
    ):  # fmt: skip
        import redis

        self.redis = redis_client(url, timeout)
        self.breaker = breaker_for(url, retry_after)
        self.prefix = prefix
        self.local = local
        self._errors = (redis.RedisError, OSError)

    def _call(self, action: Callable[[], T], fallback: T) -> T:
        """`action()` on Redis through the breaker; `fallback` when skipped or failed."""
        if not self.breaker.allows():
            return fallback
        try:
            result = action()
        except self._errors as exc:
            self.breaker.failed(exc)
            return fallback
        self.breaker.succeeded()
        return result

    def ping(self) -> bool:
        """Does Redis answer now? (through the breaker: no wait while it is known down)"""
        return self._call(self.redis.ping, False) is True

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        return self._fill(keys, self.local.get_many(keys), None)

    def get_decoded(self, keys: list[str], decode: Callable[[bytes], T]) -> list[T | None]:
        """`get_many`, decoded; the process's copy keeps the decoded values."""
        return self._fill(keys, self.local.get_decoded(keys, decode), decode)

    def _fill(self, keys: list[str], found: list, decode: Callable[[bytes], T] | None) -> list:
        """`found` (this process's copy) completed from Redis, 1,000 keys a round trip; what
        Redis gave is kept in the process's copy (pointers and locks aside)."""
        missing = [k for k, v in zip(keys, found, strict=True) if v is None]
        if not missing:
            return found
        remote = {}

        def fetch():
            for start in range(0, len(missing), 1000):
                chunk = missing[start : start + 1000]
                values = self.redis.mget([self.prefix + k for k in chunk])
                for key, value in zip(chunk, values, strict=True):
                    if value is not None:
                        remote[key] = value if decode is None else decode(value)
            return True

        if not self._call(fetch, False):
            return found
        self.local.set_many({k: v for k, v in remote.items() if not k.startswith(_SHARED_ONLY)})
        return [v if v is not None else remote.get(k) for k, v in zip(keys, found, strict=True)]

    def get_local(self, key: str) -> bytes | None:
        """The value if this process's copy has it (no round trip)."""
        return self.local.get_local(key)

    def count_not_local(self, keys: list[str]) -> int:
        return self.local.count_missing(keys)

    def count_missing(self, keys: list[str], stop_after: int | None = None) -> int:
        """How many keys are in neither copy (without fetching the values); counting stops once
        more than `stop_after` are missing."""
        with self.local._lock:
            remote = [k for k in keys if k not in self.local._items]

        def count():
            missing = 0
            for start in range(0, len(remote), 1000):
                chunk = remote[start : start + 1000]
                # One EXISTS of many keys answers how many of them exist (a feed names each once).
                missing += len(chunk) - self.redis.exists(*(self.prefix + key for key in chunk))
                if stop_after is not None and missing > stop_after:
                    break
            return missing

        return self._call(count, len(remote)) if remote else 0

    def set_many(self, items: dict[str, bytes], ttl: int | None = None) -> None:
        self.local.set_many({k: v for k, v in items.items() if not k.startswith(_SHARED_ONLY)})

        def store():
            with self.redis.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(self.prefix + key, value, ex=ttl)
                pipe.execute()

        self._call(store, None)

    def delete(self, key: str) -> None:
        self.local.delete(key)
        self._call(lambda: self.redis.delete(self.prefix + key), None)

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        """Set only if absent (a lock across processes; this process's alone without Redis)."""

        def take() -> bool:  # SET NX answers None when the key exists
            return bool(self.redis.set(self.prefix + key, value, nx=True, ex=ttl))

        taken = self._call(take, None)
        return self.local.add(key, value, ttl) if taken is None else taken

    def clear(self) -> None:
        self.local.clear()

        def clear_remote():
            cursor = 0
            while True:
                cursor, keys = self.redis.scan(cursor, match=self.prefix + "*", count=1000)
                if keys:
                    self.redis.delete(*keys)
                if cursor == 0:
                    break

        self._call(clear_remote, None)


def redis_url(config) -> str | None:
    url = config.get("CACHE_REDIS_URL")
    if url:
        return url
    limiter = config.get("RATELIMIT_STORAGE_URI") or ""
    return limiter if limiter.startswith(("redis://", "rediss://")) else None


def make_store(config, prefix: str, memory_mb: int) -> MemoryStore | RedisStore:
    """A process-memory copy of `memory_mb`, behind Redis when one is configured (with the
    app's timeout and retry interval, coalition/breaker.py)."""
    local = MemoryStore(memory_mb * 1024 * 1024)
    url = redis_url(config)
    if not url:
        return local
    return RedisStore(url, prefix, local, timeout=float(config["REDIS_TIMEOUT"]),
                      retry_after=float(config["REDIS_RETRY_SECONDS"]))  # fmt: skip
