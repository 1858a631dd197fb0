"""Contacts encrypted at rest, and the keyed hashes that find them.

A copy of the database alone (seizure, subpoena, a lost backup) must not tell who signed up.
Attendees' and delegation leads' emails and phone numbers, and the outbox's messages (which
repeat them), are stored as Fernet tokens (`EncryptedString`, AES-128-CBC + HMAC-SHA256) under
keys that live only in the environment:

- `CONTACT_KEYS`: comma-separated Fernet keys; the first encrypts, all decrypt (`MultiFernet`),
  so a new key is put first, `flask rotate-keys` re-encrypts every row with it
  (`coalition.people.rotation`), then the old one can be dropped.
- `CONTACT_HASH_KEY`: a separate secret for HMAC-SHA256 over the normalized contact (lower-cased
  email, E.164 phone). Fernet tokens differ on every write, so lookups ("this occurrence already
  has this email") compare the hash column instead: `RSVP.email_hash == email_hash(value)`.

Python code reads and writes `rsvp.email` in clear; `keep_hash` fills the hash column whenever the
value is set. A token that no configured key opens raises `ContactKeyError`: never garbage, never
silently None. Comparing an encrypted column to a value raises too (it could never match).
"""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy.types import TypeDecorator

from coalition.validators import normalize_phone

EXTENSION = "coalition.crypto"
#: The shortest CONTACT_HASH_KEY accepted (characters); `secrets.token_urlsafe(32)` gives 43.
HASH_KEY_MIN = 32


class ContactKeyError(RuntimeError):
    """Contacts cannot be encrypted or decrypted with the configured keys."""


class ContactKeys:
    """The app's keys, built once by `init_app`."""

    def __init__(self, fernet_keys: list[str], hash_key: str):
        fernets = [Fernet(key.encode()) for key in fernet_keys]
        self.first = fernets[0]
        self.fernet = MultiFernet(fernets)
        self.hash_key = hash_key.encode()

    def encrypt(self, value: str) -> str:
        return self.fernet.encrypt(value.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self.fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ContactKeyError(
                "A stored contact cannot be decrypted with any key in CONTACT_KEYS: the key that "
                "encrypted it is missing (or the value was never encrypted)."
            ) from None

    def rotate(self, token: str) -> str:
        """The same value encrypted with the first key (the token is unchanged in meaning)."""
        try:
            return self.fernet.rotate(token.encode()).decode("ascii")
        except InvalidToken:
            raise ContactKeyError(
                "A stored contact cannot be decrypted with any key in CONTACT_KEYS."
            ) from None

    def is_current(self, token: str) -> bool:
        """Encrypted with the first key already (nothing for rotation to do)."""
        try:
            self.first.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def hash(self, value: str) -> str:
        return hmac.new(self.hash_key, value.encode(), hashlib.sha256).hexdigest()


def parse_keys(contact_keys: str | None, hash_key: str | None) -> ContactKeys:
    """Check the two settings and build the keys; ContactKeyError says what is wrong."""
    fernet_keys = [key.strip() for key in (contact_keys or "").split(",") if key.strip()]
    if not fernet_keys:
        raise ContactKeyError(
            "CONTACT_KEYS is not set. Attendees' emails and phones are encrypted with it: set it "
            "to a key made by `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'` (see README, Contact encryption keys)."
        )
    if not hash_key:
        raise ContactKeyError(
            "CONTACT_HASH_KEY is not set. It finds contacts without decrypting them: set it to "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` (see README)."
        )
    if len(hash_key) < HASH_KEY_MIN:
        raise ContactKeyError(f"CONTACT_HASH_KEY must be at least {HASH_KEY_MIN} characters.")
    if hash_key in fernet_keys:
        raise ContactKeyError("CONTACT_HASH_KEY must differ from every key in CONTACT_KEYS.")
    for position, key in enumerate(fernet_keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ContactKeyError(
                f"Key {position} in CONTACT_KEYS is not a Fernet key (32 url-safe base64 bytes)."
            ) from None
    return ContactKeys(fernet_keys, hash_key)


def init_app(app: Flask) -> None:
    """Read the keys from the config; refuse to start without valid ones."""
    app.extensions[EXTENSION] = parse_keys(
        app.config.get("CONTACT_KEYS"), app.config.get("CONTACT_HASH_KEY")
    )


def keys() -> ContactKeys:
    return current_app.extensions[EXTENSION]


# Normalized values and their hashes ----------------------------------------------------------


def normalize_email(value: str | None) -> str | None:
    return (value or "").strip().lower() or None


def normalize_phone_e164(value: str | None) -> str | None:
    """E.164 when the number is valid; otherwise the trimmed text (never a different number)."""
    value = (value or "").strip()
    if not value:
        return None
    return normalize_phone(value) or value


NORMALIZERS = {"email": normalize_email, "phone": normalize_phone_e164}


def contact_hash(kind: str, value: str | None) -> str | None:
    """HMAC-SHA256 of the normalized contact, hex; None for no contact."""
    value = NORMALIZERS[kind](value)
    if value is None:
        return None
    return keys().hash(f"{kind}:{value}")


def email_hash(value: str | None) -> str | None:
    return contact_hash("email", value)


def phone_hash(value: str | None) -> str | None:
    return contact_hash("phone", value)


# The column type -------------------------------------------------------------------------------


class EncryptedString(TypeDecorator):
    """Text in Python, a Fernet token in the database (under the app's CONTACT_KEYS).

    Only `IS NULL` / `IS NOT NULL` may be asked of it in SQL: equality on a randomized token
    would silently never match, so it raises; query the hash column instead.
    """

    impl = sa.Text
    cache_ok = True

    class comparator_factory(sa.Text.Comparator):
        _allowed = frozenset({"is_", "is_not", "isnot"})

        def operate(self, op, *other, **kwargs):
            if getattr(op, "__name__", "") not in self._allowed:
                raise TypeError(
                    "Encrypted contact columns cannot be compared in SQL; use the hash column "
                    "(e.g. RSVP.email_hash == email_hash(value))."
                )
            return super().operate(op, *other, **kwargs)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keys().encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return keys().decrypt(value)


class EncryptedBytes(EncryptedString):
    """Bytes in Python, a Fernet token in the database (a rendered email: `OutgoingEmail.mime`).

    Fernet encrypts bytes as they are, so nothing is decoded on the way; key rotation treats
    these columns like any other encrypted one (same tokens, same keys).
    """

    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keys().fernet.encrypt(value).decode("ascii")

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return keys().fernet.decrypt(value.encode())
        except InvalidToken:
            raise ContactKeyError(
                "A stored message cannot be decrypted with any key in CONTACT_KEYS."
            ) from None


#: (table, column) -> (hash column, kind), for every column `keep_hash` watches.
HASHED_COLUMNS: dict[tuple[str, str], tuple[str, str]] = {}


def keep_hash(attribute, hash_name: str, kind: str) -> None:
    """Whenever `attribute` is set, store its normalized value and set `hash_name` to its hash.

    Bulk `UPDATE`s bypass this: a statement that blanks the contact blanks its hash too.
    """
    normalize = NORMALIZERS[kind]
    HASHED_COLUMNS[(attribute.class_.__table__.name, attribute.key)] = (hash_name, kind)

    def on_set(target, value, _old, _initiator):
        value = normalize(value)
        setattr(target, hash_name, contact_hash(kind, value))
        return value

    sa.event.listen(attribute, "set", on_set, retval=True)


def encrypted_columns(metadata: sa.MetaData) -> dict[str, list[str]]:
    """Every table with `EncryptedString` columns, and their names (a restored backup's check)."""
    found: dict[str, list[str]] = {}
    for table in metadata.sorted_tables:
        names = [c.name for c in table.columns if isinstance(c.type, EncryptedString)]
        if names:
            found[table.name] = names
    return found
