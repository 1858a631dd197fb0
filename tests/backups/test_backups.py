"""Backups: made with a manifest, proven by restoring them, and readable after a key rotation only
with the retired key kept beside them. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_migrate import upgrade

from coalition import create_app, crypto
from coalition.backups.keys import fingerprint
from coalition.extensions import db as _db
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP
from tests.conftest import need_postgres
from tests.factories import make_event

EMAIL = "ana.backup@example.org"
PHONE = "+16175550123"


def _use_keys(app, *contact_keys: str, retired: str | None = None, hash_key: str | None = None):
    """Redeploy with another environment: the app and the backup commands read the same one."""
    app.config["CONTACT_KEYS"] = ",".join(contact_keys)
    app.config["CONTACT_RETIRED_KEYS"] = retired
    if hash_key:
        app.config["CONTACT_HASH_KEY"] = hash_key
    crypto.init_app(app)
    _db.session.expire_all()


def _sign_up(email: str = EMAIL, phone: str = PHONE) -> RSVP:
    occurrence = make_event().occurrences[0]
    rsvp = rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Ana", email=email, phone=phone))
    _db.session.commit()
    return rsvp.rsvp


def _invoke(runner, *args: str):
    result = runner.invoke(args=["backup", *args])
    # Only a clean exit (status 0 or 1 with a message), never an exception's traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _create(runner, tmp_path):
    result = _invoke(runner, "create", "--out", str(tmp_path / "backups"))
    assert result.exit_code == 0, result.output
    (dump,) = [p for p in (tmp_path / "backups").iterdir() if p.suffix != ".json"]
    return dump, result


def test_a_backup_restores_and_every_contact_decrypts(app, runner, tmp_path):
    _sign_up()
    dump, made = _create(runner, tmp_path)
    key = app.config["CONTACT_KEYS"]
    assert f"need: {fingerprint(key)} (CONTACT_KEYS #1 (encrypts))" in made.output
    manifest_text = dump.with_suffix(".json").read_text()
    manifest = json.loads(manifest_text)
    assert manifest["tables"]["rsvps"] == 1 and manifest["keys"]["unreadable"] == 0
    assert key not in manifest_text and app.config["CONTACT_HASH_KEY"] not in manifest_text
    assert EMAIL not in manifest_text
    assert dump.stat().st_mode & 0o077 == 0  # only its owner may read it

    checked = _invoke(runner, "check", str(dump))
    assert checked.exit_code == 0, checked.output
    assert "as in the manifest" in checked.output
    assert f"with: {fingerprint(key)}" in checked.output
    assert checked.output.rstrip().endswith("OK: this backup restores and every value decrypts.")


def test_an_old_backup_needs_the_retired_key_after_a_rotation(app, runner, tmp_path):
    old_key = app.config["CONTACT_KEYS"]
    rsvp_id = _sign_up().id
    dump, _made = _create(runner, tmp_path)

    new_key = Fernet.generate_key().decode()
    _use_keys(app, new_key, old_key)
    assert runner.invoke(args=["rotate-keys"]).exit_code == 0
    _use_keys(app, new_key)  # "then remove the old key"
    assert _db.session.get(RSVP, rsvp_id).email == EMAIL  # the live database is fine

    lost = _invoke(runner, "check", str(dump))
    assert lost.exit_code == 1
    assert "encrypted values open with no configured key (outgoing_emails: " in lost.output
    assert f"needs the key with fingerprint {fingerprint(old_key)}" in lost.output
    assert "CONTACT_RETIRED_KEYS" in lost.output
    assert "FAILED" in lost.output and "OK:" not in lost.output

    _use_keys(app, new_key, retired=old_key)  # the retired key kept with the backups
    kept = _invoke(runner, "check", str(dump))
    assert kept.exit_code == 0, kept.output
    assert f"{fingerprint(old_key)} (CONTACT_RETIRED_KEYS #1)" in kept.output
    assert "run `flask rotate-keys` on it with CONTACT_KEYS=<current key>" in kept.output
    listed = _invoke(runner, "keys").output
    assert f"{fingerprint(new_key)}  CONTACT_KEYS #1 (encrypts)" in listed
    assert f"{fingerprint(old_key)}  CONTACT_RETIRED_KEYS #1" in listed
    assert new_key not in listed and old_key not in listed
    # The web app itself does not take the retired key: it decrypts with CONTACT_KEYS only.
    with pytest.raises(crypto.ContactKeyError):
        crypto.keys().decrypt(Fernet(old_key.encode()).encrypt(b"x").decode())

    # A backup made after the rotation needs only the new key.
    _use_keys(app, new_key)
    after, made = _create(runner, tmp_path / "after")
    assert fingerprint(old_key) not in made.output
    assert _invoke(runner, "check", str(after)).exit_code == 0


def test_a_new_hash_key_is_reported_but_does_not_fail_the_check(app, runner, tmp_path):
    _sign_up()
    dump, _made = _create(runner, tmp_path)
    _use_keys(app, app.config["CONTACT_KEYS"], hash_key="another-hash-key-" + "y" * 32)
    checked = _invoke(runner, "check", str(dump))
    assert checked.exit_code == 0, checked.output
    assert "2 lookup hashes were made with another CONTACT_HASH_KEY (rsvps: 2)" in checked.output


def test_a_cut_short_or_damaged_backup_fails_with_a_message(app, runner, tmp_path):
    _sign_up()
    dump, _made = _create(runner, tmp_path)
    whole = dump.read_bytes()

    dump.write_bytes(whole[: len(whole) // 2])
    cut = _invoke(runner, "check", str(dump))
    assert cut.exit_code == 1
    assert "it was cut short or changed" in cut.output and "FAILED" in cut.output

    dump.with_suffix(".json").unlink()  # the manifest lost too: the restore itself fails
    alone = _invoke(runner, "check", str(dump))
    assert alone.exit_code == 1
    assert "(the manifest) is missing" in alone.output
    assert "it does not restore" in alone.output

    dump.write_bytes(b"not a backup at all\n" * 10)
    garbage = _invoke(runner, "check", str(dump))
    assert garbage.exit_code == 1
    assert "neither a pg_dump archive nor a SQLite database" in garbage.output

    missing = _invoke(runner, "check", str(tmp_path / "nowhere.dump"))
    assert missing.exit_code == 1 and "is not a file" in missing.output


def test_restore_goes_into_a_new_database_never_the_live_one(app, runner, tmp_path, backend):
    rsvp_id = _sign_up().id
    dump, _made = _create(runner, tmp_path)
    live = _db.engine.url.render_as_string(hide_password=False)

    refused = _invoke(runner, "restore", str(dump), "--into", live)
    assert refused.exit_code == 1
    assert "Refusing to restore over the live database" in refused.output
    assert _db.session.get(RSVP, rsvp_id).email == EMAIL

    with _new_database(backend, tmp_path) as target:
        restored = _invoke(runner, "restore", str(dump), "--into", target)
        assert restored.exit_code == 0, restored.output
        engine = sa.create_engine(target, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            token = connection.scalar(sa.text("SELECT email FROM rsvps"))
        engine.dispose()
        assert crypto.keys().decrypt(token) == EMAIL

        again = _invoke(runner, "restore", str(dump), "--into", target)
        assert again.exit_code == 1
        assert "is not empty" in again.output or "exists: restore into a new" in again.output


class _new_database:
    """A URL of a new, empty database of the test's kind, removed afterwards."""

    def __init__(self, backend, tmp_path):
        self.backend, self.tmp_path = backend, tmp_path

    def __enter__(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_path / 'restored.db'}"
        base = sa.make_url(need_postgres())
        self.name = f"coalition_restore_{uuid.uuid4().hex[:8]}"
        self.admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return base.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc):
        if self.backend == "postgresql":
            with self.admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


# A database made by the migrations, as in production ------------------------------------------


def _migrated_round_trip(url: str, tmp_path) -> None:
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
        _sign_up()
        head = _db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        dump, made = _create(runner, tmp_path)
        assert f"revision {head}" in made.output
        assert json.loads(dump.with_suffix(".json").read_text())["alembic_revision"] == head
        checked = _invoke(runner, "check", str(dump))
        assert checked.exit_code == 0, checked.output
        assert f"revision: {head}\n" in checked.output
        _db.session.remove()
        _db.engine.dispose()


def test_a_migrated_sqlite_database_round_trips(tmp_path):
    _migrated_round_trip(f"sqlite:///{tmp_path / 'live.db'}", tmp_path)


def test_a_migrated_postgresql_database_round_trips(tmp_path):
    with _new_database("postgresql", tmp_path) as url:
        _migrated_round_trip(url, tmp_path)
