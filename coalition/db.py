"""Column types and helpers shared by every feature's models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator

#: `onupdate` of a `revision` column: one more on every UPDATE, in the statement itself (so
#: bulk updates raise it too, and two concurrent ones both count).
NEXT_REVISION = sa.literal_column("revision + 1")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (a callable default, never evaluated at import)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A datetime that is always timezone-aware UTC in Python.

    PostgreSQL stores it as `timestamp with time zone`; SQLite, which has no zones, as naive UTC.
    Naive datetimes are refused: they are a bug at the edge that produced them.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], **kwargs) -> sa.Enum:
    """A VARCHAR-backed enum storing the member values (portable, easy to migrate)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
        **kwargs,
    )


def owned_by(target: str) -> MappedColumn:
    """An indexed foreign key to `target` ("table.id"): the row goes when that one does."""
    return mapped_column(sa.ForeignKey(target, ondelete="CASCADE"), index=True)


def unique_where_set(name: str, *columns: str, where: str | None = None) -> sa.Index:
    """A unique index over `columns` for the rows where `where` (default: the first column) is
    not NULL: partial, since NULLs never collide in a plain unique constraint."""
    condition = sa.text(f"{where or columns[0]} IS NOT NULL")
    return sa.Index(name, *columns, unique=True, sqlite_where=condition, postgresql_where=condition)


def commit_look(session) -> None:
    """Commit the audit row of a look at personal data (an attendee list, a roster, an alert's
    responders) before the page is shown, without waiting for the disk: on PostgreSQL the
    transaction does not wait for the WAL flush (`synchronous_commit = off`, this transaction
    only). The row is committed, visible to every other connection and written within a
    fraction of a second (three WAL writer rounds at most); only a crash of PostgreSQL itself
    in that moment could lose it. The flush (1-10 ms on a busy disk) would otherwise hold a
    worker on every look. The setting goes with the COMMIT, in one message
    (`commit_looks_without_flush_wait`). Keeps what the request loaded, as
    `commit_keeping_loaded`."""
    session = session() if callable(session) else session
    if session.get_bind().dialect.name == "postgresql":
        session.connection().info[_LOOK] = True
    commit_keeping_loaded(session)


#: Marks the connection's transaction as a look's (cleared when the next one begins).
_LOOK = "commit_look"


def commit_looks_without_flush_wait(engine) -> None:
    """The engine's side of `commit_look` (PostgreSQL), installed once at start: a transaction
    marked as a look's ends with `SET LOCAL synchronous_commit TO off; COMMIT`, sent as one
    message after everything the session does before committing (psycopg's own COMMIT then
    finds no transaction open and sends nothing). Without it a look would still be committed,
    waiting for the flush."""
    if engine.dialect.name != "postgresql":
        return

    @sa.event.listens_for(engine, "begin")
    def _unmarked(connection) -> None:
        connection.info.pop(_LOOK, None)

    @sa.event.listens_for(engine, "commit")
    def _commit(connection) -> None:
        if connection.info.pop(_LOOK, False):
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO off; COMMIT")


def commit_keeping_loaded(session) -> None:
    """Commit without expiring the objects the request has already read: a page that records a
    look at it (an audit entry, committed before the rows are shown) goes on with the event,
    organization and account it loaded a moment ago instead of reading them all again."""
    session = session() if callable(session) else session
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def end_reads_with_commit(app, db) -> None:
    """End a request's transaction that only read with COMMIT rather than ROLLBACK (PostgreSQL).

    psycopg prepares a statement the fifth time a connection runs it, and then PostgreSQL no
    longer plans it (half a millisecond and more for each of a page's statements). But every
    ROLLBACK drops a connection's prepared statements (psycopg cannot know whether what they
    name was rolled back), and the session ends each request by rolling back whatever
    transaction is open: so nothing was ever prepared. A transaction that ran only SELECTs ends
    the same either way; committing it keeps the statements. Anything else (a request that
    failed, ORM changes not flushed, any statement but a SELECT since the transaction began)
    is rolled back as before."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return

    @sa.event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.info["wrote"] = False

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _watch(connection, _cursor, statement: str, *_args) -> None:
        if statement.lstrip()[:6].upper() != "SELECT":
            connection.info["wrote"] = True

    @app.teardown_request
    def _end(exc) -> None:
        session = db.session()
        transaction = session.get_transaction()
        # A failed flush leaves the transaction inactive: rolled back as before.
        if exc is not None or transaction is None or not transaction.is_active:
            return
        if session.new or session.dirty or session.deleted:
            return
        try:
            wrote = session.connection().info.get("wrote", True)
        except sa.exc.SQLAlchemyError:  # whatever is wrong, the rollback that follows ends it
            return
        if not wrote:
            session.commit()
