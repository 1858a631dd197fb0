"""The same work whether or not a contact is known: possession, not knowledge, in time too.

Knowing an email or a phone number proves nothing, so no answer may differ because a contact is
already known: not its content, not its status, and not its time. A submission whose contact
already holds a record (an RSVP, a helper sign-up) must therefore not answer faster because it
skipped writing one, nor slower because it wrote a notice to the owner that a new record does
not get (issue 24: known RSVPs answered in 0.6× the time of new ones, over 300 requests each).

The pattern, used by `rsvps.operations.submit`: both branches run the same code, and a branch
that must not keep what it wrote undoes it.

    existing = lookup(contact)
    with same_work.tried(keep=existing is None):      # SAVEPOINT ... RELEASE | ROLLBACK TO
        record = create(data, stand_in=existing is not None)
    with same_work.tried(keep=existing is not None):  # the owner's notice, or the same undone
        notify(existing or record)

`stand_in` gives the record made for a known contact keyed hashes of a random value (computed
with the same key, at the same cost), so the database's unique indexes on the real hashes are
not hit: the INSERT runs as it would for a stranger, and is rolled back. The statements run are
the same on both branches, in number and in kind (`tests/security/test_same_work.py` counts
them); `bench/contact_timing_bench.py` measures the times.

What a savepoint rolls back is only the database: a block must not send anything itself (mail
and texts are outbox rows, written in the transaction) nor change caches. Calendar-version keys
raised by the block's flushes are kept (`coalition.calendar_version`), so the render cache is
emptied after either branch alike.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from coalition import crypto
from coalition.extensions import db


@contextmanager
def tried(*, keep: bool) -> Iterator[None]:
    """Run the block in a savepoint, flushed at its end; keep what it wrote only when `keep`.
    An exception rolls the savepoint back and goes on (the caller answers it as usual)."""
    session = db.session()
    touched: dict[int, object] = {}  # rows there before, changed in the savepoint
    added: set[int] = set()  # rows the savepoint inserted

    def collect(flushing, _context, _instances) -> None:
        added.update(id(obj) for obj in flushing.new)
        touched.update((id(obj), obj) for obj in flushing.dirty if sa.inspect(obj).persistent)

    savepoint = session.begin_nested()
    sa.event.listen(session, "before_flush", collect)
    try:
        yield
        session.flush()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    finally:
        sa.event.remove(session, "before_flush", collect)
    if keep:
        savepoint.commit()
        # Rolling back expires the rows that were there before and changed in the savepoint
        # (a collection the new record joined, too), so their next read is a SELECT: the same
        # on the branch that keeps them.
        for key, obj in touched.items():
            if key not in added:
                session.expire(obj)
    else:
        savepoint.rollback()


def stand_in(record, *kinds: str) -> None:
    """Give `record` keyed hashes of random values in place of its contacts' (`email_hash`,
    `phone_hash` for each kind it holds; the real ones were computed already, at the same cost as
    for a stranger): a record made only to be rolled back then meets no unique index on the real
    contact."""
    for kind in kinds:
        column = f"{kind}_hash"
        if getattr(record, column, None) is not None:
            setattr(record, column, crypto.keys().hash(secrets.token_hex(16)))
