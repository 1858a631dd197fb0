"""Key rotation: every encrypted column of every registered record, under the first key.

`flask rotate-keys` walks the registry (`coalition.people.registry`): each record names its
encrypted columns and the hash kept with each. A model with an encrypted column that did not
declare itself stops the run before anything changes (it would stay under an old key).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from coalition.crypto import ContactKeyError, contact_hash, keys
from coalition.people.registry import REGISTRY, unregistered_encrypted_columns


@dataclass
class RotationCount:
    #: Values that were encrypted with an older key and now are with the first one.
    rotated: int = 0
    #: Values already under the first key (left untouched).
    current: int = 0
    #: Hashes that did not match CONTACT_HASH_KEY and were recomputed.
    rehashed: int = 0


def rotate_keys(session, metadata: sa.MetaData, *, batch_size: int = 500):
    """Re-encrypt every contact with the first key of CONTACT_KEYS and bring hashes in step with
    CONTACT_HASH_KEY; yields (table, RotationCount) after each table (in the schema's order).

    Commits once per batch of rows (a long run holds no long transaction) and is idempotent:
    values already under the first key are left alone, so an interrupted run can simply be run
    again. A value no key opens stops it with ContactKeyError before its batch is committed
    (the caller rolls back).
    """
    missing = unregistered_encrypted_columns(metadata)
    if missing:
        raise ContactKeyError(
            "Encrypted columns of models not in the personal-data registry "
            f"(coalition.people.registry): {', '.join(missing)}."
        )
    for table in metadata.sorted_tables:
        record = REGISTRY.get(table.name)
        if record is None or not record.encrypted:
            continue
        yield table.name, _rotate_table(session, record, batch_size)


def _rotate_table(session, record, batch_size: int) -> RotationCount:
    ring = keys()
    names = record.encrypted
    hashed = {name: record.hashed[name] for name in names if name in record.hashed}
    columns = [*names, *(hash_name for hash_name, _kind in hashed.values())]
    # Untyped columns: the raw tokens, with no encryption on the way in or out. Rows are walked
    # by their (single-column) primary key, `id` or another (a series' key: `event_id`).
    (key,) = [column.name for column in record.model.__table__.primary_key.columns]
    table = sa.table(record.table, sa.column(key), *(sa.column(n) for n in columns))
    pk = table.c[key]
    count = RotationCount()
    last_id = 0
    while True:
        rows = session.execute(
            sa.select(table).where(pk > last_id).order_by(pk).limit(batch_size)
        ).all()
        if not rows:
            return count
        for row in rows:
            values = {}
            for name in names:
                token = getattr(row, name)
                if token is None:
                    continue
                if ring.is_current(token):
                    count.current += 1
                else:
                    values[name] = ring.rotate(token)
                    count.rotated += 1
                if name in hashed:
                    hash_name, kind = hashed[name]
                    expected = contact_hash(kind, ring.decrypt(token))
                    if getattr(row, hash_name) != expected:
                        values[hash_name] = expected
                        count.rehashed += 1
            if values:
                session.execute(sa.update(table).where(pk == row[0]).values(**values))
        session.commit()
        last_id = rows[-1][0]
