"""Dumping and restoring each kind of database: PostgreSQL with pg_dump / pg_restore (custom
format), SQLite with its online backup API (the dump is itself a database file).

Passwords never appear on a command line (other users of the machine can read those): the
PostgreSQL tools get them through PGPASSWORD.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa


class BackupError(RuntimeError):
    """A backup cannot be made, read or restored; the message tells the operator why."""


def kind_of(url: sa.URL) -> str:
    if url.get_backend_name() == "postgresql":
        return "postgresql"
    if url.get_backend_name() == "sqlite":
        return "sqlite"
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {url.get_backend_name()}.")


# PostgreSQL ------------------------------------------------------------------------------------


def _libpq(url: sa.URL) -> tuple[str, dict]:
    """A connection URI for the PostgreSQL tools (no password in it) and their environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(tool: str, args: list[str], env: dict) -> subprocess.CompletedProcess:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client).")
    done = subprocess.run([tool, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        detail = "\n  ".join(lines[-6:]) or f"exit status {done.returncode}"
        raise BackupError(f"{tool} failed:\n  {detail}")
    return done


def pg_dump(url: sa.URL, path: Path, snapshot: str | None = None) -> None:
    """Dump the database in pg_restore's custom format (compressed), at `snapshot` if given."""
    uri, env = _libpq(url)
    args = ["--format=custom", "--no-password", f"--file={path}", f"--dbname={uri}"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    _run("pg_dump", args, env)


def pg_check_archive(path: Path) -> None:
    """Refuse at once a file that is not a pg_dump archive (its table of contents unreadable)."""
    _run("pg_restore", ["--list", str(path)], dict(os.environ))


def pg_restore(path: Path, url: sa.URL) -> None:
    """Restore the archive into an empty database; the first error stops it."""
    uri, env = _libpq(url)
    args = ["--exit-on-error", "--no-owner", "--no-privileges", "--no-password", f"--dbname={uri}"]
    _run("pg_restore", [*args, str(path)], env)


def same_database(a: sa.URL, b: sa.URL) -> bool:
    """The same PostgreSQL database (host, port and name) or the same SQLite file."""
    if kind_of(a) != kind_of(b):
        return False
    if kind_of(a) == "sqlite":
        if not a.database or not b.database or ":memory:" in (a.database, b.database):
            return a.database == b.database
        return Path(a.database).resolve() == Path(b.database).resolve()
    loopback = {None, "", "localhost", "127.0.0.1", "::1"}

    def host(url):
        return "localhost" if url.host in loopback else url.host.lower()

    return (host(a), a.port or 5432, a.database) == (host(b), b.port or 5432, b.database)


@contextmanager
def scratch_postgres(server: sa.URL):
    """A new, empty database on `server`'s PostgreSQL, dropped on the way out (even on error)."""
    name = f"coalition_check_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.SQLAlchemyError as error:
        admin.dispose()
        raise BackupError(
            f"Cannot create a scratch database on {server.host or 'localhost'} "
            f"(the role needs CREATEDB, or pass --scratch-url): {error.orig or error}"
        ) from None
    try:
        yield server.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# SQLite ----------------------------------------------------------------------------------------


def sqlite_backup(source: sqlite3.Connection, path: Path) -> None:
    """Copy the live database page by page (a consistent copy while the app writes)."""
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()


def sqlite_restore(path: Path, target: Path) -> None:
    """Copy the backup to `target` and check it is a whole, sound SQLite database."""
    shutil.copyfile(path, target)
    try:
        _sqlite_sound(path, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _sqlite_sound(path: Path, target: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path.name} is not a readable SQLite database: {error}.") from None
    if verdict != [("ok",)]:
        found = "; ".join(str(row[0]) for row in verdict[:3])
        raise BackupError(f"{path.name} is damaged (SQLite integrity check: {found}).")
