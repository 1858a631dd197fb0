"""One contact, one registry of the records holding personal data (issue #25).

Erasure and key rotation walk `coalition.people.registry`; a model holding encrypted data that
did not declare itself would be left under an old key or never erased, so it is caught here
(and rotation refuses to start while one is left).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coalition.crypto import HASHED_COLUMNS, ContactKeyError, EncryptedString
from coalition.extensions import db
from coalition.people import Contact, masked_destination, preferred_channel, records
from coalition.people.registry import REGISTRY, unregistered_encrypted_columns
from coalition.people.rotation import rotate_keys


def test_every_encrypted_column_belongs_to_a_registered_record(app):
    assert unregistered_encrypted_columns(db.metadata) == []


def test_every_kept_hash_is_declared_by_its_record(app):
    declared = {
        (record.table, name): hashed
        for record in records()
        for name, hashed in record.hashed.items()
    }
    assert declared == HASHED_COLUMNS


def test_every_contact_holder_is_erased_and_purged(app):
    holders = [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, Contact)]
    assert {h.__tablename__ for h in holders} == {"rsvps", "volunteer_helpers"}
    for holder in holders:
        record = REGISTRY[holder.__tablename__]
        assert set(Contact.PERSONAL) <= set(record.blank)
        assert record.secrets == {"manage_secret": "erased"}
        assert record.expired is not None


def test_the_messages_about_a_person_are_erased_with_them(app):
    copied = {owner for record in records() for owner in record.copies_of.values()}
    assert copied == {"rsvps", "volunteer_helpers", "delegations"}
    assert all(owner in REGISTRY for owner in copied)


def test_rotation_refuses_an_encrypted_column_nobody_declared(app):
    metadata = sa.MetaData()
    sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("body", EncryptedString))  # fmt: skip
    with pytest.raises(ContactKeyError, match=r"notes\.body"):
        next(rotate_keys(db.session, metadata))


@pytest.mark.parametrize(
    ("email", "phone", "masked", "channel"),
    [
        ("jane@gmail.com", None, "j•••@g•••.com", "email"),
        ("jane@gmail.com", "+16175550199", "j•••@g•••.com", "email"),
        (None, "+16175550199", "•••• 0199", "sms"),
    ],
)
def test_masking_and_channel(email, phone, masked, channel):
    assert masked_destination(email, phone) == masked
    assert preferred_channel(email, phone, lambda _phone: True) == channel
    assert preferred_channel(email, phone, lambda _phone: False) == ("email" if email else "none")


def test_rsvps_models_do_not_name_the_delegations_models():
    """The old circle delegations/models.py <-> rsvps/models.py is gone, even counting imports
    under `if TYPE_CHECKING:` (the RSVP's relationship names "Delegation" as a string)."""
    import ast
    from pathlib import Path

    import coalition.rsvps.models as rsvp_models

    tree = ast.parse(Path(rsvp_models.__file__).read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {m for m in imported if m.startswith("coalition.delegations")}
