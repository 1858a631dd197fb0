"""People we can reach, and the one registry of the records that hold their data.

Just above the foundations (crypto, db): `contact` is the shape of a contact (columns, keyed
hashes, masking, the channel to use, the private-link secret); `registry` is where every model
holding personal data declares what erasure blanks and what rotation re-encrypts; `rotation`
re-encrypts by walking it. `coalition.erasure` walks it too.
"""

from coalition.people.contact import (
    ERASED,
    Contact,
    mask_email,
    mask_phone,
    masked_destination,
    new_secret,
    preferred_channel,
    unique_contact,
)
from coalition.people.registry import PersonalRecord, record_of, records, register

__all__ = [
    "ERASED",
    "Contact",
    "PersonalRecord",
    "mask_email",
    "mask_phone",
    "masked_destination",
    "new_secret",
    "preferred_channel",
    "record_of",
    "records",
    "register",
    "unique_contact",
]
