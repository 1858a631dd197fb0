"""What we know about a phone number: it asked to stop, it is invalid, it does not receive.

Numbers are kept only as their keyed hash (`coalition.crypto.phone_hash`, CONTACT_HASH_KEY),
so a copy of the database does not list who texted the coalition; the app can still look a
number up.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coalition.db import UTCDateTime, utcnow
from coalition.extensions import db
from coalition.people import PersonalRecord, register

#: How long a webhook's id is remembered (a replay within it is ignored; a delivery report about
#: a text sent longer ago is ignored whatever its id). Forgotten by the daily retention purge.
RECEIPT_DAYS = 400


class SmsNumber(db.Model):
    __tablename__ = "sms_numbers"

    #: Keyed hash of the E.164 number; see `coalition.sms.numbers.number_key`.
    number_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: The person replied STOP (or the provider says they did); no text goes until START.
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The provider refused the number as invalid or not able to receive texts.
    invalid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The provider's error code for the invalid number (e.g. 21211).
    invalid_code: Mapped[str | None] = mapped_column(sa.String(20))
    #: A text was undeliverable (delivery callback), with the carrier's code.
    undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undeliverable_code: Mapped[str | None] = mapped_column(sa.String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def can_receive(self) -> bool:
        return self.opted_out_at is None and self.invalid_at is None


class WebhookReceipt(db.Model):
    """A provider's webhook request already acted on: a signed request sent again (a replay, or
    the provider's own retry) changes nothing. Twilio's signature carries no time, so the
    message's id is what makes a request single-use. No personal data: ids and a time."""

    __tablename__ = "sms_webhook_receipts"

    #: The provider's message id, with the delivery state for status reports
    #: (`SM…` for a reply; `SM…:delivered` for a report).
    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


#: No personal data, but forgotten by the daily retention purge after RECEIPT_DAYS.
register(
    PersonalRecord(
        WebhookReceipt,
        stamp=None,
        expired=lambda _cutoff, now: (
            WebhookReceipt.received_at < now - timedelta(days=RECEIPT_DAYS)
        ),
    )
)
