"""Which key opens which stored value, told by fingerprints (never by the keys themselves).

Fernet tokens carry no key id, so a backup's manifest lists the fingerprints of the keys its
values were encrypted with, counted value by value when it was made. A fingerprint is the first
16 hex digits of a SHA-256 over a fixed label and the key: it names a key in a manifest, a log
or a password manager's entry without telling anything that helps to find the key (the keys are
random, 256 bits).

`CONTACT_RETIRED_KEYS` (comma-separated Fernet keys) is read here only, by the backup commands:
keys that `rotate-keys` replaced and that backups still need. The web app and the worker never
use them, so a retired key can stay out of their environment.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from coalition.crypto import HASHED_COLUMNS, ContactKeyError, contact_hash, encrypted_columns

_LABEL = b"coalition contact key fingerprint\0"
#: Rows read per query while scanning a table's encrypted columns.
BATCH = 1000


def fingerprint(key: str) -> str:
    return hashlib.sha256(_LABEL + key.strip().encode()).hexdigest()[:16]


def split_keys(value: str | None) -> list[str]:
    return [key.strip() for key in (value or "").split(",") if key.strip()]


@dataclass(frozen=True)
class Key:
    fingerprint: str
    #: Where it is configured: "CONTACT_KEYS #1 (encrypts)", "CONTACT_RETIRED_KEYS #2".
    source: str
    fernet: Fernet = field(repr=False, compare=False)


def configured_keys(config) -> list[Key]:
    """The keys of CONTACT_KEYS (in order), then those of CONTACT_RETIRED_KEYS."""
    found: dict[str, Key] = {}
    for setting in ("CONTACT_KEYS", "CONTACT_RETIRED_KEYS"):
        for position, key in enumerate(split_keys(config.get(setting)), start=1):
            try:
                fernet = Fernet(key.encode())
            except ValueError:
                raise ContactKeyError(
                    f"Key {position} in {setting} is not a Fernet key (32 url-safe base64 bytes)."
                ) from None
            source = f"{setting} #{position}"
            if setting == "CONTACT_KEYS" and position == 1:
                source += " (encrypts)"
            found.setdefault(fingerprint(key), Key(fingerprint(key), source, fernet))
    return list(found.values())


def describe(fingerprints, keys: list[Key]) -> str:
    """`1a2b… (CONTACT_KEYS #1 (encrypts)), 9f8e… (not configured)`."""
    sources = {key.fingerprint: key.source for key in keys}
    return ", ".join(f"{fp} ({sources.get(fp, 'not configured')})" for fp in fingerprints)


@dataclass
class KeyScan:
    """What a scan of every encrypted value of a database found."""

    #: fingerprint -> how many values it opens (the first configured key that does).
    by_key: Counter = field(default_factory=Counter)
    #: table -> values no configured key opens.
    unreadable: Counter = field(default_factory=Counter)
    #: table -> lookup hashes that differ from CONTACT_HASH_KEY's hash of the opened value.
    stale_hashes: Counter = field(default_factory=Counter)

    @property
    def values(self) -> int:
        return sum(self.by_key.values()) + sum(self.unreadable.values())


def _open(token: str, keys: list[Key]) -> tuple[Key | None, bytes | None]:
    """The first key that opens the token, and what it holds."""
    data = token.encode()
    for key in keys:
        try:
            return key, key.fernet.decrypt(data)
        except InvalidToken:
            continue
    return None, None


def _rows(connection: sa.Connection, table: sa.TableClause, key: str) -> Iterator[sa.Row]:
    """Every row, a batch at a time in the order of `key` (the table's one-column primary key:
    `id`, or e.g. `event_id` for a table of one row per event)."""
    column = table.c[key]
    last = None
    while True:
        query = sa.select(table).order_by(column).limit(BATCH)
        if last is not None:
            query = query.where(column > last)
        rows = connection.execute(query).all()
        if not rows:
            return
        yield from rows
        last = getattr(rows[-1], key)


def scan(connection: sa.Connection, metadata: sa.MetaData, keys: list[Key]) -> KeyScan:
    """Try every encrypted value of the database behind `connection` with `keys`.

    Works on a restored copy of another revision too: only tables and columns that exist there
    are read. Lookup hashes are recomputed with the app's CONTACT_HASH_KEY and compared.
    """
    result = KeyScan()
    existing = sa.inspect(connection)
    tables = set(existing.get_table_names())
    for table_name, names in encrypted_columns(metadata).items():
        if table_name not in tables:
            continue
        present = {column["name"] for column in existing.get_columns(table_name)}
        names = [name for name in names if name in present]
        hashed = {
            name: HASHED_COLUMNS[(table_name, name)]
            for name in names
            if (table_name, name) in HASHED_COLUMNS
            and HASHED_COLUMNS[(table_name, name)][0] in present
        }
        columns = [*names, *(hash_name for hash_name, _kind in hashed.values())]
        (key,) = [column.name for column in metadata.tables[table_name].primary_key]
        table = sa.table(table_name, sa.column(key), *(sa.column(name) for name in columns))
        for row in _rows(connection, table, key):
            for name in names:
                token = getattr(row, name)
                if token is None:
                    continue
                key, value = _open(token, keys)
                if key is None:
                    result.unreadable[table_name] += 1
                    continue
                result.by_key[key.fingerprint] += 1
                if name in hashed:
                    hash_name, kind = hashed[name]
                    if getattr(row, hash_name) != contact_hash(kind, value.decode()):
                        result.stale_hashes[table_name] += 1
    return result
