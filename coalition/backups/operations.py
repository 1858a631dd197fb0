"""Make a backup, prove that it restores and decrypts, restore it into a new database.

A backup is two files side by side: the dump (`coalition-<UTC time>.dump`, pg_dump's custom
format, or `.sqlite3`, a copy of the SQLite database) and its manifest (`.json`): when it was
made, the Alembic revision, the rows per table, the dump's size and SHA-256, and the
fingerprints (`keys.fingerprint`) of the keys its encrypted values need, never the keys.

On PostgreSQL the counts and the keys are read in the very snapshot pg_dump dumps
(`pg_export_snapshot`), so they describe exactly what the dump holds while the app keeps writing.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from coalition.backups import databases
from coalition.backups.databases import BackupError
from coalition.backups.keys import Key, KeyScan, configured_keys, describe, fingerprint, scan
from coalition.db import utcnow
from coalition.extensions import db

FORMAT = "coalition-backup/1"
SUFFIXES = {"postgresql": ".dump", "sqlite": ".sqlite3"}
_MAGIC = {b"PGDMP": "postgresql", b"SQLite format 3\0": "sqlite"}


@dataclass
class Report:
    """What a command tells the operator: facts, warnings, and problems (any → exit status 1)."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def manifest_path(dump: Path) -> Path:
    return dump.with_suffix(".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _revision(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    found = connection.scalars(sa.text("SELECT version_num FROM alembic_version")).all()
    return ",".join(sorted(found)) or None


def _counts(connection: sa.Connection) -> dict[str, int]:
    return {
        name: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
        for name in sorted(sa.inspect(connection).get_table_names())
    }


def _facts(connection: sa.Connection, keys: list[Key]) -> tuple[str | None, dict, KeyScan]:
    return _revision(connection), _counts(connection), scan(connection, db.metadata, keys)


def _code_revisions() -> tuple[set[str], set[str]]:
    """This code's migration heads, and every revision it knows."""
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    script = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
    return set(script.get_heads()), {rev.revision for rev in script.walk_revisions()}


# Making a backup -------------------------------------------------------------------------------


def create_backup(out_dir: Path) -> tuple[Path, Report]:
    """Dump the app's database into `out_dir` with its manifest; returns the dump's path."""
    url = db.engine.url
    kind = databases.kind_of(url)
    keys = configured_keys(current_app.config)
    made_at = utcnow()
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    dump = out_dir / f"coalition-{made_at:%Y%m%dT%H%M%SZ}{SUFFIXES[kind]}"
    manifest = manifest_path(dump)
    if manifest.exists():
        raise BackupError(f"{manifest} exists; wait a second or choose another --out.")
    try:
        # Only its owner may read it (names, places; contacts encrypted); pg_dump keeps the mode.
        os.close(os.open(dump, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupError(f"{dump} exists; wait a second or choose another --out.") from None
    try:
        if kind == "postgresql":
            with db.engine.connect() as connection:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    connection.execute(sa.text("SET TRANSACTION READ ONLY"))
                    snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
                    databases.pg_dump(url, dump, snapshot)
                    revision, counts, found = _facts(connection, keys)
        else:
            raw = db.engine.raw_connection()
            try:
                databases.sqlite_backup(raw.driver_connection, dump)
            finally:
                raw.close()
            copy = sa.create_engine(f"sqlite:///{dump}", poolclass=sa.pool.NullPool)
            with copy.connect() as connection:
                revision, counts, found = _facts(connection, keys)
    except BaseException:
        dump.unlink(missing_ok=True)
        raise
    data = {
        "format": FORMAT,
        "created_at": made_at.isoformat().replace("+00:00", "Z"),
        "database": kind,
        "file": dump.name,
        "bytes": dump.stat().st_size,
        "sha256": _sha256(dump),
        "alembic_revision": revision,
        "tables": counts,
        "keys": {
            "encrypting": keys[0].fingerprint,
            "needed": dict(found.by_key.most_common()),
            "unreadable": sum(found.unreadable.values()),
        },
        "hash_key": fingerprint(current_app.config["CONTACT_HASH_KEY"]),
    }
    with os.fdopen(os.open(manifest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(json.dumps(data, indent=2) + "\n")

    report = Report()
    report.lines.append(f"wrote {dump} ({data['bytes']:,} bytes) and {manifest.name}")
    report.lines.append(
        f"revision {revision or 'none'}, {len(counts)} tables, {sum(counts.values()):,} rows"
    )
    if found.by_key:
        report.lines.append(
            f"its {sum(found.by_key.values()):,} encrypted values need: "
            + describe(found.by_key, keys)
            + ". Keep each of these keys as long as you keep this backup."
        )
    if found.unreadable:
        report.warnings.append(
            f"{sum(found.unreadable.values())} values in the live database open with no "
            f"configured key ({_tables(found.unreadable)}): they are unreadable in this backup too."
        )
    return dump, report


def _tables(counter) -> str:
    return ", ".join(f"{table}: {count}" for table, count in sorted(counter.items()))


# Checking and restoring ------------------------------------------------------------------------


def _kind_of_file(path: Path) -> str:
    with path.open("rb") as stream:
        head = stream.read(16)
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    raise BackupError(f"{path.name} is neither a pg_dump archive nor a SQLite database.")


def _read_manifest(path: Path, report: Report) -> dict | None:
    manifest = manifest_path(path)
    if not manifest.is_file():
        report.problems.append(
            f"{manifest.name} (the manifest) is missing: the rows and keys cannot be compared "
            "with what the backup held when it was made."
        )
        return None
    try:
        data = json.loads(manifest.read_text())
    except (ValueError, UnicodeDecodeError):
        report.problems.append(f"{manifest.name} is not a readable manifest (invalid JSON).")
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        report.problems.append(f"{manifest.name} is not a manifest of {FORMAT}.")
        return None
    return data


def _same_file(path: Path, manifest: dict, report: Report) -> bool:
    size = path.stat().st_size
    if size != manifest.get("bytes") or _sha256(path) != manifest.get("sha256"):
        report.problems.append(
            f"{path.name} is not the file that was backed up: {size:,} bytes and another "
            f"SHA-256 than the manifest's ({manifest.get('bytes', 0):,} bytes): it was cut short "
            "or changed."
        )
        return False
    report.lines.append(f"file: {size:,} bytes, SHA-256 as in the manifest")
    return True


@contextmanager
def _restored(path: Path, kind: str, into: sa.URL | None, scratch: sa.URL | None) -> Iterator:
    """An engine on the backup restored into `into`, or into a scratch database dropped after."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="coalition-check-") as folder:
            target = Path(into.database) if into is not None else Path(folder) / "restored.db"
            databases.sqlite_restore(path, target)
            engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.pool.NullPool)
            try:
                yield engine, (str(target) if into is not None else "a scratch copy (deleted)")
            finally:
                engine.dispose()
        return
    databases.pg_check_archive(path)
    if into is not None:
        databases.pg_restore(path, into)
        engine = sa.create_engine(into, poolclass=sa.pool.NullPool)
        try:
            yield engine, f"database {into.database}"
        finally:
            engine.dispose()
        return
    server = scratch or db.engine.url
    if databases.kind_of(server) != "postgresql":
        raise BackupError(
            "A PostgreSQL backup is checked in a PostgreSQL scratch database: pass "
            "--scratch-url postgresql://USER@HOST/postgres (a role that may create databases)."
        )
    with databases.scratch_postgres(server) as scratch_url:
        databases.pg_restore(path, scratch_url)
        engine = sa.create_engine(scratch_url, poolclass=sa.pool.NullPool)
        try:
            yield engine, f"scratch database {scratch_url.database} (dropped)"
        finally:
            engine.dispose()


def _verify(engine: sa.Engine, manifest: dict | None, keys: list[Key], report: Report) -> None:
    with engine.connect() as connection:
        revision, counts, found = _facts(connection, keys)

    heads, known = _code_revisions()
    report.lines.append(f"revision: {revision or 'none'}")
    if manifest is not None and manifest.get("alembic_revision") != revision:
        report.problems.append(
            f"the restored revision is {revision}, the manifest says "
            f"{manifest.get('alembic_revision')}."
        )
    if revision and revision not in heads:
        if set(revision.split(",")) <= known:
            report.warnings.append(
                f"this code's migrations go further ({', '.join(sorted(heads))}): "
                "run `flask db upgrade` on a restored copy before using it."
            )
        else:
            report.warnings.append(
                f"revision {revision} is unknown to this code (made by a newer version?)."
            )

    if manifest is not None:
        expected = manifest.get("tables") or {}
        differ = [
            f"{name}: {counts.get(name, 'missing')} (manifest: {expected.get(name, 'none')})"
            for name in sorted(set(expected) | set(counts))
            if counts.get(name) != expected.get(name)
        ]
        if differ:
            report.problems.append("rows differ from the manifest: " + "; ".join(differ[:8]))
        else:
            report.lines.append(
                f"rows: {sum(counts.values()):,} in {len(counts)} tables, as in the manifest"
            )

    if found.by_key:
        report.lines.append(
            f"decrypted {sum(found.by_key.values()):,} values with: " + describe(found.by_key, keys)
        )
    if found.unreadable:
        problem = (
            f"{sum(found.unreadable.values())} encrypted values open with no configured key "
            f"({_tables(found.unreadable)})."
        )
        configured = {key.fingerprint for key in keys}
        needed = (manifest or {}).get("keys", {}).get("needed", {})
        missing = [fp for fp in needed if fp not in configured]
        if missing:
            problem += (
                " This backup needs the key with fingerprint "
                + " and the key with fingerprint ".join(
                    f"{fp} ({needed[fp]:,} values when it was made)" for fp in missing
                )
                + ", configured neither in CONTACT_KEYS nor in CONTACT_RETIRED_KEYS: put the "
                "retired key kept with this backup in CONTACT_RETIRED_KEYS "
                "(`flask backup keys` shows the fingerprints of those configured)."
            )
        elif manifest is None:
            problem += " Without the manifest the keys they need are unknown."
        report.problems.append(problem)
    if found.stale_hashes:
        report.warnings.append(
            f"{sum(found.stale_hashes.values())} lookup hashes were made with another "
            f"CONTACT_HASH_KEY ({_tables(found.stale_hashes)}): after restoring, "
            "`flask rotate-keys` recomputes them (until then a repeated sign-up is not recognized)."
        )
    retired = {key.fingerprint for key in keys if key.source.startswith("CONTACT_RETIRED_KEYS")}
    if any(fp in retired for fp in found.by_key):
        report.warnings.append(
            "some values are under retired keys: before the app uses a restored copy, run "
            "`flask rotate-keys` on it with CONTACT_KEYS=<current key>,<retired key(s)>, "
            "then remove the retired keys again."
        )


def _start(path: Path) -> tuple[str, dict | None, Report, list[Key]]:
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    report = Report()
    kind = _kind_of_file(path)
    manifest = _read_manifest(path, report)
    if manifest is not None:
        report.lines.append(
            f"backup of {manifest.get('created_at')} ({kind}), manifest {manifest_path(path).name}"
        )
    return kind, manifest, report, configured_keys(current_app.config)


def check_backup(path: Path, scratch: sa.URL | None = None) -> Report:
    """Restore `path` into a scratch database, compare it with its manifest and decrypt every
    encrypted value with the configured keys (CONTACT_KEYS and CONTACT_RETIRED_KEYS)."""
    kind, manifest, report, keys = _start(path)
    if manifest is not None and not _same_file(path, manifest, report):
        return report
    try:
        with _restored(path, kind, None, scratch) as (engine, where):
            report.lines.append(f"restored into {where}")
            _verify(engine, manifest, keys, report)
    except BackupError as error:
        report.problems.append(f"it does not restore: {error}")
    return report


def restore_backup(path: Path, into: sa.URL) -> Report:
    """Restore `path` into the new, empty database `into` (never the app's own), then verify it
    as `check_backup` does. The app keeps using DATABASE_URL until it is changed."""
    if databases.same_database(into, db.engine.url):
        raise BackupError(
            "Refusing to restore over the live database (DATABASE_URL). Restore into a new, "
            "empty database, check it, then point DATABASE_URL at it."
        )
    kind, manifest, report, keys = _start(path)
    if databases.kind_of(into) != kind:
        raise BackupError(f"{path.name} is a {kind} backup; --into must be a {kind} database.")
    if kind == "sqlite":
        if not into.database or into.database == ":memory:":
            raise BackupError("--into must name a SQLite file (sqlite:////path/to/new.db).")
        if Path(into.database).exists():
            raise BackupError(f"{into.database} exists: restore into a new file.")
    else:
        engine = sa.create_engine(into, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                tables = sa.inspect(connection).get_table_names()
        except sa.exc.SQLAlchemyError as error:
            raise BackupError(f"Cannot connect to {into.database}: {error.orig or error}") from None
        finally:
            engine.dispose()
        if tables:
            raise BackupError(
                f"{into.database} is not empty ({len(tables)} tables): restore into a new "
                f"database (createdb {into.database}_restored)."
            )
    if manifest is not None and not _same_file(path, manifest, report):
        return report
    try:
        with _restored(path, kind, into, None) as (engine, where):
            report.lines.append(f"restored into {where}")
            _verify(engine, manifest, keys, report)
    except BackupError as error:
        report.problems.append(
            f"it does not restore: {error} ({into.database} may hold part of it: drop it).",
        )
    return report
