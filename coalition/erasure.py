"""Erasure: what is removed, when, and from where. The one place that decides it.

Personal data of attendees and delegation leads lives on `RSVP` and `Delegation` rows and is
copied into every message sent about them (`OutgoingEmail`: recipient, subject, bodies,
attachments). Erasing a person therefore erases their row's personal fields *and* the messages
about them; links that opened the data stop working (404). What stays is what reports need:
counts, statuses, times, the kind of each message.

- `erase_rsvp`: at once, when the person asks (the manage page; a series registration's page
  erases each of its RSVPs). Session sign-ups carry no personal data: cancelling the RSVP
  first gives their seats to who waits. `erase_helper` likewise for a helper
  (`coalition.volunteers`: name, contacts, note, leave-from town; seats and ride counts stay).
- Messages tied to an RSVP include a rapid-response training's invitation to the roster
  (`coalition/rapid`, `invite_trainees`): erased with the RSVP, whose erasure also kills its link.
- `purge_expired`: daily (worker) and `flask purge-expired`: RSVPs, helpers and delegations of
  dates that ended more than `purge_after_days` ago, and the contents of every message sent (or
  given up) more than `purge_after_days` ago, whatever it was about. Also the SMS webhooks'
  receipts (`coalition.sms.replies.RECEIPT_DAYS`: ids and times only, no personal data).
  Before anything is blanked it sends `signals.occurrence_purging`: `coalition.reports` freezes
  each date's counts then (README: "What reports keep and what they do not").
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from coalition.db import utcnow
from coalition.delegations.models import Delegation
from coalition.events.models import Occurrence
from coalition.extensions import db
from coalition.mail.models import EmailStatus, OutgoingEmail
from coalition.rsvps.models import RSVP
from coalition.settings.operations import get_setting
from coalition.signals import occurrence_purging
from coalition.sms.replies import purge_receipts
from coalition.volunteers.models import Helper

#: Written where a secret was, so that no old link can match it again.
ERASED = "erased"

#: The personal fields RSVPs and helpers share: nothing of them is kept.
_CONTACT_BLANK = {
    "name": None,
    "email": None,
    "email_hash": None,
    "phone": None,
    "phone_hash": None,
    "note": None,
}
#: What an erased RSVP keeps of its personal fields.
_RSVP_BLANK = {**_CONTACT_BLANK, "ride_from": None, "user_id": None}
_DELEGATION_BLANK = {
    "name": None,
    "town": None,
    "meeting_point": None,
    "lead_name": None,
    "lead_email": None,
    "lead_phone": None,
    "lead_user_id": None,
}
#: What an erased helper keeps of its personal fields.
_HELPER_BLANK = {**_CONTACT_BLANK, "town": None}


def _blank_messages(condition, now: datetime) -> int:
    """Erase the recipient and contents of matching messages; unsent ones are not sent."""
    scrub = {
        "recipient": "",
        "subject": "",
        "body_text": "",
        "body_html": None,
        "mime": None,
        "headers": {},
        "attachments": [],
        "last_error": None,
        "erased_at": now,
    }
    base = sa.update(OutgoingEmail).where(condition, OutgoingEmail.erased_at.is_(None))
    cancelled = db.session.execute(
        base.where(OutgoingEmail.status == EmailStatus.queued)
        .values(status=EmailStatus.cancelled, **scrub)
        .execution_options(synchronize_session=False)
    ).rowcount
    rest = db.session.execute(base.values(**scrub).execution_options(synchronize_session=False))
    return cancelled + rest.rowcount


def erase_rsvp(rsvp: RSVP, now: datetime | None = None) -> None:
    """Remove one person's data at once (the caller frees the seat first)."""
    now = now or utcnow()
    for field, value in _RSVP_BLANK.items():
        setattr(rsvp, field, value)
    rsvp.manage_secret = ERASED
    rsvp.erased_at = now
    db.session.flush()
    _blank_messages(OutgoingEmail.rsvp_id == rsvp.id, now)


def erase_helper(helper: Helper, now: datetime | None = None) -> None:
    """Remove one helper's data at once (the caller cancels the sign-up first)."""
    now = now or utcnow()
    for field, value in _HELPER_BLANK.items():
        setattr(helper, field, value)
    helper.manage_secret = ERASED
    helper.erased_at = now
    db.session.flush()
    _blank_messages(OutgoingEmail.helper_id == helper.id, now)


def _erase_series_links(ended, now: datetime) -> None:
    """Series registrations (`coalition.sessions`) hold no personal data themselves (their
    RSVPs do); once every one of their dates is past retention, their private link dies too.
    Session sign-ups hold none either: an erased RSVP's sign-ups were cancelled with it (seats
    freed) and stay as counts."""
    from coalition.sessions.models import SeriesPart, SeriesRegistration

    live = (
        sa.select(SeriesPart.registration_id)
        .join(RSVP, RSVP.id == SeriesPart.rsvp_id)
        .where(RSVP.occurrence_id.not_in(ended))
    )
    db.session.execute(
        sa.update(SeriesRegistration)
        .where(SeriesRegistration.erased_at.is_(None), SeriesRegistration.id.not_in(live))
        .values(manage_secret=ERASED, erased_at=now)
        .execution_options(synchronize_session=False)
    )


def purge_expired(now: datetime | None = None) -> int:
    """Erase what the retention period allows no longer; returns the number of RSVPs erased.
    Safe to run twice."""
    now = now or utcnow()
    cutoff = now - timedelta(days=int(get_setting("purge_after_days")))
    ended = sa.select(Occurrence.id).where(Occurrence.end_at < cutoff)
    # Reports freeze each date's counts first (`coalition.reports`): nothing is blanked yet.
    occurrence_purging.send(None, occurrences=ended, now=now)
    rsvp_ids = sa.select(RSVP.id).where(RSVP.occurrence_id.in_(ended))
    delegation_ids = sa.select(Delegation.id).where(Delegation.occurrence_id.in_(ended))
    erased = db.session.execute(
        sa.update(RSVP)
        .where(RSVP.occurrence_id.in_(ended), RSVP.erased_at.is_(None))
        .values(manage_secret=ERASED, erased_at=now, **_RSVP_BLANK)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        sa.update(Helper)
        .where(Helper.occurrence_id.in_(ended), Helper.erased_at.is_(None))
        .values(manage_secret=ERASED, erased_at=now, **_HELPER_BLANK)
        .execution_options(synchronize_session=False)
    )
    helper_ids = sa.select(Helper.id).where(Helper.occurrence_id.in_(ended))
    for delegation in db.session.scalars(
        sa.select(Delegation).where(
            Delegation.occurrence_id.in_(ended), Delegation.erased_at.is_(None)
        )
    ):
        for field, value in _DELEGATION_BLANK.items():
            setattr(delegation, field, value)
        # New random secrets: neither the lead's nor the join link can match any more.
        delegation.manage_secret = secrets.token_urlsafe(24)
        delegation.join_secret = secrets.token_urlsafe(12)
        delegation.erased_at = now
    _erase_series_links(ended, now)
    db.session.flush()
    _blank_messages(
        sa.or_(
            OutgoingEmail.rsvp_id.in_(rsvp_ids),
            OutgoingEmail.delegation_id.in_(delegation_ids),
            OutgoingEmail.helper_id.in_(helper_ids),
        ),
        now,
    )
    _blank_messages(
        sa.and_(
            OutgoingEmail.status != EmailStatus.queued,
            sa.func.coalesce(OutgoingEmail.sent_at, OutgoingEmail.created_at) < cutoff,
        ),
        now,
    )
    purge_receipts(now)
    db.session.expire_all()
    return erased
