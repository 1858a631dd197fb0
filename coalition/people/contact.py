"""A person we can reach: the contact columns, their keyed hashes, masking, the channel.

RSVPs and helpers hold the same contact (`Contact`: name, email, phone and their keyed hashes,
language, consent to reminders, the private-link secret, the erasure stamp); other records hold
a part of it under their own names (a delegation's lead, a responder) and share the functions
below. Emails and phones are encrypted at rest (`coalition.crypto.EncryptedString`) and found by
their keyed hashes, which `coalition.people.registry.register` keeps in step with them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coalition.crypto import EncryptedString
from coalition.db import UTCDateTime, unique_where_set

#: Written where a private-link secret was, so that no old link can match it again.
ERASED = "erased"


def new_secret() -> str:
    """The secret part of a private link (a manage page)."""
    return secrets.token_urlsafe(24)


def unique_contact(name: str, scope: str, hash_column: str) -> sa.Index:
    """One row per contact in `scope` (an occurrence, a role): a unique index on the keyed hash,
    partial since erased rows (no hash) never collide."""
    return unique_where_set(name, scope, hash_column, where=hash_column)


class Contact:
    """Mixin: the columns of a person who signed up and can be reached (RSVP, helper).

    Personal fields are None once erased (`coalition.erasure`); the secret becomes `ERASED`.
    """

    #: A first name or nickname is enough. None once erased.
    name: Mapped[str | None] = mapped_column(sa.String(80))
    #: Lower-cased, encrypted at rest. At least one of email and phone (until erased).
    email: Mapped[str | None] = mapped_column(EncryptedString)
    #: E.164, encrypted at rest.
    phone: Mapped[str | None] = mapped_column(EncryptedString)
    #: Keyed hashes of email and phone, set with them: lookups compare these.
    email_hash: Mapped[str | None] = mapped_column(sa.String(64))
    phone_hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: Language for confirmations and reminders (a content language code).
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: The person agreed to reminder messages.
    consents_to_reminders: Mapped[bool] = mapped_column(default=True)
    #: Secret part of the private manage link; replaced to revoke a link, `ERASED` once erased.
    manage_secret: Mapped[str] = mapped_column(sa.String(40), default=new_secret)
    #: Personal data removed (by the person or by the retention purge).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: The personal fields erasure blanks (with `manage_secret` and `erased_at`).
    PERSONAL = ("name", "email", "email_hash", "phone", "phone_hash")
    #: Which contact column is hashed into which column, and how it is normalized.
    HASHED = {"email": ("email_hash", "email"), "phone": ("phone_hash", "phone")}

    @property
    def masked_contact(self) -> str:
        return masked_destination(self.email, self.phone)

    def channel(self, can_text: Callable[[str | None], bool]) -> str:
        return preferred_channel(self.email, self.phone, can_text)


def mask_email(email: str) -> str:
    """`jane@gmail.com` → `j•••@g•••.com`: enough to recognise, too little to learn."""
    local, _, domain = email.partition("@")
    label, dot, rest = domain.partition(".")
    tld = rest.rsplit(".", 1)[-1] if rest else ""
    return f"{local[:1]}•••@{label[:1]}•••{dot}{tld}"


def mask_phone(phone: str) -> str:
    """`+16175550199` → `•••• 0199`."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"•••• {digits[-4:]}"


def masked_destination(email: str | None, phone: str | None) -> str:
    """Where a private link goes, as the page after a submission says it."""
    if email:
        return mask_email(email)
    return mask_phone(phone or "")


def preferred_channel(email: str | None, phone: str | None,
                      can_text: Callable[[str | None], bool]) -> str:  # fmt: skip
    """ "email" when there is an email, else "sms" when the phone can be texted, else "none"."""
    if email:
        return "email"
    if phone and can_text(phone):
        return "sms"
    return "none"
