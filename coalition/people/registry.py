"""Every record that holds personal data declares itself here, once, next to its model.

A `PersonalRecord` says what erasing one of its rows blanks, which private-link secrets it
replaces, when the retention purge takes it (`expired`), which other records' data it copies
(a message repeats the contact of the RSVP it is about: `copies_of`), and which of its columns
are encrypted and hashed. `coalition.erasure` (a person's request, the daily purge) and key
rotation (`coalition.people.rotation`) walk this registry: no per-table code anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from coalition.crypto import EncryptedString, keep_hash

#: A retention rule: (cutoff, now) -> the SQL condition of the rows whose time has come.
#: `cutoff` is now minus the `purge_after_days` setting.
Expiry = Callable[[datetime, datetime], Any]


@dataclass(frozen=True)
class PersonalRecord:
    model: type
    #: Column -> value written in its place on erasure (None, or "" where it may not be null).
    blank: Mapping[str, Any] = field(default_factory=dict)
    #: Private-link secrets replaced on erasure: a constant (the same for every row), or a
    #: function giving each row a new random one.
    secrets: Mapping[str, str | Callable[[], str]] = field(default_factory=dict)
    #: The column stamped with the erasure time (None: rows are deleted, not blanked).
    stamp: str | None = "erased_at"
    #: When the retention purge takes a row (None: only on request, or by the feature itself).
    expired: Expiry | None = None
    #: Column -> table of the record whose personal data this one repeats: erased with it.
    copies_of: Mapping[str, str] = field(default_factory=dict)
    #: Rows matching a condition: set these values first, where the extra condition holds
    #: (e.g. a message still queued is cancelled as it is erased).
    first: tuple[Any, Mapping[str, Any]] | None = None
    #: Encrypted column -> (hash column, kind): the hash follows the value (`keep_hash`).
    hashed: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: The retention purge deletes the rows it takes once they and their copies are erased
    #: (those erased earlier on request too): a blanked row would still link people by its
    #: neighbouring id and its times (a family or a delegation signing up together), and nothing
    #: needs it once its counts are frozen (`signals.occurrence_purging`).
    drop_expired: bool = False

    @property
    def table(self) -> str:
        return self.model.__table__.name

    @property
    def encrypted(self) -> list[str]:
        """The columns stored as Fernet tokens (what key rotation re-encrypts)."""
        return [c.name for c in self.model.__table__.columns if isinstance(c.type, EncryptedString)]

    @property
    def per_row(self) -> bool:
        """Each row needs its own new secret: erased one by one, not by one UPDATE."""
        return any(callable(value) for value in self.secrets.values())

    def values(self, now: datetime) -> dict[str, Any]:
        """What an erased row holds in place of its personal data."""
        values = dict(self.blank)
        for name, secret in self.secrets.items():
            values[name] = secret() if callable(secret) else secret
        if self.stamp:
            values[self.stamp] = now
        return values


#: Table name -> its record, in the order the models declared themselves.
REGISTRY: dict[str, PersonalRecord] = {}


def register(record: PersonalRecord) -> PersonalRecord:
    """Declare a model's personal data (once, below the model)."""
    REGISTRY[record.table] = record
    for name, (hash_name, kind) in record.hashed.items():
        keep_hash(getattr(record.model, name), hash_name, kind)
    return record


def record_of(model_or_row) -> PersonalRecord:
    model = model_or_row if isinstance(model_or_row, type) else type(model_or_row)
    return REGISTRY[model.__table__.name]


def records() -> list[PersonalRecord]:
    return list(REGISTRY.values())


def unregistered_encrypted_columns(metadata: sa.MetaData) -> list[str]:
    """`table.column` of every encrypted column whose model did not declare itself: rotation
    would leave it under an old key, so it refuses to start while any is left."""
    return [
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedString) and table.name not in REGISTRY
    ]
