"""Deliver the outbox: one message per transaction, so a crash can re-send at most one."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.models import EmailStatus, OutgoingEmail
from coalition.mail.transports import open_transport

log = logging.getLogger(__name__)

#: Tries before a temporarily failing message is given up.
MAX_ATTEMPTS = 6


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _claim_next(now: datetime) -> OutgoingEmail | None:
    query = (
        sa.select(OutgoingEmail)
        .where(OutgoingEmail.status == EmailStatus.queued, OutgoingEmail.next_attempt_at <= now)
        .order_by(OutgoingEmail.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalars(query).first()


def deliver_due(limit: int = 500, now: datetime | None = None) -> DeliveryReport:
    """Send up to `limit` due messages over one connection and record each outcome."""
    report = DeliveryReport()
    now = now or utcnow()
    with open_transport() as transport:
        for _ in range(limit):
            email = _claim_next(now)
            if email is None:
                break
            email.attempts += 1
            try:
                transport.send(email)
            except Exception as exc:  # recorded on this message alone; the batch goes on
                email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if _is_permanent(exc) or email.attempts >= MAX_ATTEMPTS:
                    email.status = EmailStatus.failed
                    report.failed += 1
                else:
                    email.next_attempt_at = utcnow() + _backoff(email.attempts)
                    report.retrying += 1
                log.warning("mail %s to %s failed: %s", email.id, email.recipient, exc)
            else:
                email.status = EmailStatus.sent
                email.sent_at = utcnow()
                report.sent += 1
            db.session.commit()
    return report
