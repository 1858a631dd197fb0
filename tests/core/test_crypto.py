"""Contacts encrypted at rest: what a copy of the database shows, lookups, rotation, bad keys."""

import uuid
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade

from coalition import create_app
from coalition.crypto import (
    EXTENSION,
    ContactKeyError,
    email_hash,
    parse_keys,
    phone_hash,
)
from coalition.delegations import operations as delegation_ops
from coalition.delegations.models import Delegation, TravelMode
from coalition.erasure import purge_expired
from coalition.extensions import db as _db
from coalition.mail.models import EmailStatus, OutgoingEmail
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP
from tests.conftest import need_postgres
from tests.factories import make_event

EMAIL = "maria.planted@example.org"
PHONE = "+16175550199"
LEAD_EMAIL = "rosa.planted@example.org"
LEAD_PHONE = "+15085550142"
#: What must never appear in a raw row: the contacts in any form a reader would recognize.
PLANTED = (EMAIL, "maria.planted", PHONE, "6175550199", LEAD_EMAIL, "rosa.planted", "5085550142")


def _use_keys(app, *contact_keys: str, hash_key: str | None = None) -> None:
    """Restart the app's key handling with other keys (as a redeploy with a new environment)."""
    hash_key = hash_key or app.config["CONTACT_HASH_KEY"]
    app.extensions[EXTENSION] = parse_keys(",".join(contact_keys), hash_key)
    _db.session.expire_all()


def _people(occurrence):
    rsvp = rsvp_ops.submit(
        occurrence,
        rsvp_ops.RSVPInput(
            name="Maria", email="  Maria.Planted@Example.org ", phone="617 555 0199"
        ),
    ).rsvp
    delegation = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(
            name="Worcester delegation", town="Worcester", lead_name="Rosa",
            lead_email=LEAD_EMAIL, lead_phone=LEAD_PHONE, travel_mode=TravelMode.bus,
        ),
    )  # fmt: skip
    # A roster (bodies carry members' contacts) that bounced with an error repeating the address.
    _db.session.add(OutgoingEmail(
        kind="lead_roster", recipient=LEAD_EMAIL, subject="Roster", status=EmailStatus.failed,
        body_text=f"- Maria (1) {PHONE} {EMAIL}", body_html=f"<li>Maria {PHONE} {EMAIL}</li>",
        last_error=f"550 5.1.1 <{LEAD_EMAIL}>: No such user",
    ))  # fmt: skip
    _db.session.commit()
    return rsvp, delegation


def _raw_text(tables=None) -> str:
    """Every value of every row of every table, as a database dump would show them."""
    chunks = []
    with _db.engine.connect() as connection:
        for table in _db.metadata.sorted_tables:
            if tables and table.name not in tables:
                continue
            for row in connection.execute(sa.text(f'SELECT * FROM "{table.name}"')):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def test_a_copy_of_the_database_shows_no_contact(db):
    rsvp, delegation = _people(make_event().occurrences[0])
    dump = _raw_text().lower()
    assert "worcester delegation" in dump  # the scan does see the rows
    found = [planted for planted in PLANTED if planted.lower() in dump]
    assert found == []
    # The application still reads them in clear, normalized.
    db.session.expire_all()
    assert (rsvp.email, rsvp.phone) == (EMAIL, PHONE)
    assert (delegation.lead_email, delegation.lead_phone) == (LEAD_EMAIL, LEAD_PHONE)
    roster = db.session.scalar(sa.select(OutgoingEmail).where(OutgoingEmail.kind == "lead_roster"))
    assert roster.recipient == LEAD_EMAIL and PHONE in roster.body_text
    assert roster.last_error.endswith("No such user")


def test_lookups_use_the_keyed_hash_of_the_normalized_contact(db):
    occurrence = make_event().occurrences[0]
    rsvp, _delegation = _people(occurrence)
    for typed in ("maria.planted@example.org", " MARIA.PLANTED@example.ORG"):
        found = db.session.scalar(sa.select(RSVP).where(RSVP.email_hash == email_hash(typed)))
        assert found.id == rsvp.id
    for typed in ("617-555-0199", "+1 (617) 555-0199", PHONE):
        found = db.session.scalar(sa.select(RSVP).where(RSVP.phone_hash == phone_hash(typed)))
        assert found.id == rsvp.id
    assert db.session.scalar(
        sa.select(RSVP).where(RSVP.email_hash == email_hash("someone.else@example.org"))
    ) is None  # fmt: skip
    # The hash is keyed: without CONTACT_HASH_KEY nobody can hash a list of numbers to match.
    assert rsvp.phone_hash == phone_hash(PHONE) != phone_hash("+16175550198")
    import hashlib

    assert rsvp.email_hash != hashlib.sha256(EMAIL.encode()).hexdigest()
    assert rsvp.email_hash != hashlib.sha256(f"email:{EMAIL}".encode()).hexdigest()
    # The same person signs up again: one RSVP per contact and occurrence, found by the hash.
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="M", phone="(617) 555-0199"))
    db.session.commit()
    count = sa.select(sa.func.count()).select_from(RSVP)
    assert db.session.scalar(count.where(RSVP.occurrence_id == occurrence.id)) == 1


def test_comparing_an_encrypted_column_in_sql_fails_loudly(db):
    with pytest.raises(TypeError, match="hash column"):
        sa.select(RSVP).where(RSVP.email == EMAIL)
    with pytest.raises(TypeError):
        sa.select(OutgoingEmail).where(OutgoingEmail.recipient.in_([EMAIL]))
    # Asking whether there is a contact at all is fine.
    assert db.session.scalar(sa.select(sa.func.count()).where(RSVP.email.is_not(None))) == 0


def test_rotation_then_dropping_the_old_key_still_reads_everything(app, db, runner):
    old_key = app.config["CONTACT_KEYS"]
    rsvp, delegation = _people(make_event().occurrences[0])
    new_key = Fernet.generate_key().decode()
    _use_keys(app, new_key, old_key)
    first = runner.invoke(args=["rotate-keys", "--batch-size", "1"])
    assert first.exit_code == 0, first.output
    assert "rsvps: 2 values re-encrypted, 0 already under the first key, 0 hashes recomputed" in (
        first.output
    )
    assert "delegations: 2 values re-encrypted" in first.output
    assert "outgoing_emails: " in first.output
    again = runner.invoke(args=["rotate-keys"])
    assert "rsvps: 0 values re-encrypted, 2 already under the first key" in again.output
    assert "delegations: 0 values re-encrypted, 2 already" in again.output

    _use_keys(app, new_key)  # the old key is gone
    assert (rsvp.email, rsvp.phone) == (EMAIL, PHONE)
    assert (delegation.lead_email, delegation.lead_phone) == (LEAD_EMAIL, LEAD_PHONE)
    for message in db.session.scalars(sa.select(OutgoingEmail)):
        assert message.recipient and message.body_text
    assert [planted for planted in PLANTED if planted in _raw_text()] == []


def test_a_new_hash_key_is_applied_by_rotate_keys(app, db, runner):
    rsvp, _delegation = _people(make_event().occurrences[0])
    _use_keys(app, app.config["CONTACT_KEYS"], hash_key="another-hash-key-" + "x" * 32)
    assert db.session.scalar(sa.select(RSVP).where(RSVP.email_hash == email_hash(EMAIL))) is None
    result = runner.invoke(args=["rotate-keys"])
    assert "rsvps: 0 values re-encrypted, 2 already under the first key, 2 hashes recomputed" in (
        result.output
    )
    found = db.session.scalar(sa.select(RSVP).where(RSVP.phone_hash == phone_hash(PHONE)))
    assert found.id == rsvp.id


def test_a_wrong_or_missing_key_fails_instead_of_returning_garbage(app, db, runner):
    rsvp, delegation = _people(make_event().occurrences[0])
    rsvp_id, delegation_id = rsvp.id, delegation.id
    _use_keys(app, Fernet.generate_key().decode())
    with pytest.raises(ContactKeyError, match="CONTACT_KEYS"):
        db.session.get(RSVP, rsvp_id).email  # noqa: B018
    db.session.rollback()
    with pytest.raises(ContactKeyError):
        db.session.get(Delegation, delegation_id).lead_phone  # noqa: B018
    db.session.rollback()
    result = runner.invoke(args=["rotate-keys"])
    assert result.exit_code != 0 and "cannot be decrypted" in result.output
    # A value that was never encrypted (a row a migration missed) is refused too.
    db.session.execute(sa.text("UPDATE rsvps SET phone = '+16175550100'"))
    db.session.commit()
    _use_keys(app, app.config["CONTACT_KEYS"])
    with pytest.raises(ContactKeyError):
        db.session.get(RSVP, rsvp_id).phone  # noqa: B018


def test_purge_blanks_the_hashes_with_the_contacts(db):
    old = make_event(start_date=date.today() - timedelta(days=40), start_time=time(10, 0),
                     end_time=time(11, 0))  # fmt: skip
    db.session.add(RSVP(occurrence=old.occurrences[0], name="Maria", email=EMAIL, phone=PHONE))
    db.session.commit()
    assert db.session.scalar(sa.select(RSVP.phone_hash)) == phone_hash(PHONE)
    assert purge_expired() == 1
    db.session.commit()
    # Erased, then deleted: no token, no hash, not even the row.
    assert db.session.execute(sa.text("SELECT email, phone, email_hash FROM rsvps")).all() == []


@pytest.mark.parametrize(
    ("keys", "hash_key", "message"),
    [
        (None, "h" * 40, "CONTACT_KEYS is not set"),
        ("", "h" * 40, "CONTACT_KEYS is not set"),
        (Fernet.generate_key().decode(), None, "CONTACT_HASH_KEY is not set"),
        (Fernet.generate_key().decode(), "short", "at least 32"),
        ("not-a-key", "h" * 40, "Key 1 in CONTACT_KEYS is not a Fernet key"),
        (f"{Fernet.generate_key().decode()}, oops", "h" * 40, "Key 2 in CONTACT_KEYS"),
    ],
)
def test_production_refuses_to_start_without_valid_keys(keys, hash_key, message):
    config = {"CONFIG_NAME": "production", "SECRET_KEY": "s" * 32, "CONTACT_KEYS": keys,
              "CONTACT_HASH_KEY": hash_key, "SQLALCHEMY_DATABASE_URI": "sqlite://"}  # fmt: skip
    with pytest.raises(ContactKeyError, match=message):
        create_app(config)


def test_production_starts_with_two_keys_and_encrypts_with_the_first():
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app = create_app({"CONFIG_NAME": "production", "SECRET_KEY": "s" * 32,
                      "CONTACT_KEYS": f" {first} , {second} ", "CONTACT_HASH_KEY": "k" * 43,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})  # fmt: skip
    token = app.extensions[EXTENSION].encrypt(PHONE)
    assert Fernet(first.encode()).decrypt(token.encode()).decode() == PHONE


# The migration that encrypts existing rows ---------------------------------------------------

BEFORE = "b3fc87207ba0"  # the revision before contacts were encrypted


def _migrated_data_round_trip(url: str) -> None:
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        _people(make_event().occurrences[0])
        _db.session.remove()
        downgrade(revision=BEFORE)  # back to plaintext, as every existing database was
        with _db.engine.connect() as connection:
            plain = connection.execute(sa.text("SELECT email, phone FROM rsvps")).one()
            lead = connection.execute(sa.text("SELECT lead_email FROM delegations")).scalar()
        assert tuple(plain) == (EMAIL, PHONE) and lead == LEAD_EMAIL
        upgrade()
        assert [planted for planted in PLANTED if planted in _raw_text()] == []
        rsvp = _db.session.scalar(sa.select(RSVP).where(RSVP.phone_hash == phone_hash(PHONE)))
        assert (rsvp.email, rsvp.name) == (EMAIL, "Maria")
        assert _db.session.scalar(sa.select(Delegation.lead_phone)) == LEAD_PHONE
        _db.session.remove()
        _db.engine.dispose()


def test_migration_encrypts_existing_contacts_on_sqlite(tmp_path):
    _migrated_data_round_trip(f"sqlite:///{tmp_path / 'existing.db'}")


def test_migration_encrypts_existing_contacts_on_postgresql():
    base_url = need_postgres()
    name = f"coalition_crypto_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sa.engine.make_url(base_url).set(database=name).render_as_string(hide_password=False)
        _migrated_data_round_trip(url)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
