"""The outbox's SMS channel: the configured backend, plus what must be checked before a text.

Before each text: the number has not said STOP and is not known to be invalid; a reminder
waits out quiet hours in its event's zone (or is dropped when that is too late); the daily cap
is not reached (texts then wait until the next day and the admins are told), except urgent
ones: a rapid-response alert or update cannot wait for tomorrow.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from coalition.extensions import db
from coalition.mail.errors import Hold, PermanentFailure
from coalition.mail.models import URGENT_KINDS, Channel, EmailStatus, OutgoingEmail
from coalition.settings.operations import get_setting
from coalition.sms import numbers
from coalition.sms.backends import make_backend
from coalition.sms.quiet_hours import quiet_until

#: How far before our `sending_since` a provider's clock may date the same message.
LOOKUP_SKEW = timedelta(minutes=5)


def day_start(now: datetime) -> datetime:
    """Midnight of `now`'s day in the coalition's zone (the cap counts per local day)."""
    tz = ZoneInfo(current_app.config["COALITION_TIMEZONE"])
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz)


def sent_since(start: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutgoingEmail)
        .where(
            OutgoingEmail.channel == Channel.sms,
            OutgoingEmail.status == EmailStatus.sent,
            OutgoingEmail.sent_at >= start,
        )
    )


class SmsTransport:
    def __init__(self, config):
        self.config = config
        self.backend = make_backend(config)
        self.cap = int(get_setting("sms_daily_cap") or 0)
        self._counted_day: datetime | None = None
        self._sent_today = 0

    def probe(self) -> None:
        self.backend.probe()

    def screen(self, row: OutgoingEmail, now: datetime) -> Hold | None:
        if not numbers.can_text(row.recipient):
            return Hold(
                "the number asked for no texts or is invalid", status=EmailStatus.suppressed
            )
        if row.quiet_hours_zone:
            until = quiet_until(now, row.quiet_hours_zone)
            if until is not None:
                if row.expires_at is not None and until >= row.expires_at:
                    return Hold(
                        "quiet hours last until the event starts", status=EmailStatus.dropped
                    )
                return Hold("quiet hours", until=until)
        # Urgent texts (`URGENT_KINDS`) are never held by the cap (they still count towards it).
        if self.cap and row.kind not in URGENT_KINDS:
            start = day_start(now)
            if self._counted_day != start:
                self._counted_day, self._sent_today = start, sent_since(start)
            if self._sent_today >= self.cap:
                from coalition.sms.costs import tell_admins_cap_reached

                tell_admins_cap_reached(start, self.cap)
                # This text waits for tomorrow; the channel stays open for urgent ones.
                return Hold("daily SMS cap reached", until=start + timedelta(days=1))
        return None

    def send(self, row: OutgoingEmail, ready=None):
        if ready is not None:
            ready()
        callback = None
        if self.config["SMS_BACKEND"] == "twilio":
            from coalition.urls import external_url

            callback = external_url("sms.status")
        result = self.backend.send(
            row.recipient,
            row.body_text,
            callback,
            name=self._name(row),
        )
        self._sent_today += 1
        return result

    def find_sent(self, row: OutgoingEmail):
        """The provider's record of this row's text if it accepted it, else None.

        Asked only about a row whose last request got no answer (`sending_since`, see
        `coalition.mail.delivery`). A message the provider already answered for another row
        (its id recorded there) is not this one, so two identical texts to one number are not
        taken for each other.
        """
        since = row.sending_since - LOOKUP_SKEW
        candidates = self.backend.find_sent(
            row.recipient, row.body_text, since, name=self._name(row)
        )
        for candidate in candidates:
            if candidate.provider_id is None:
                return candidate
            taken = db.session.scalar(
                sa.select(OutgoingEmail.id).where(
                    OutgoingEmail.channel == Channel.sms,
                    OutgoingEmail.provider_id == candidate.provider_id,
                    OutgoingEmail.id != row.id,
                )
            )
            if taken is None:
                return candidate
        return None

    @staticmethod
    def _name(row: OutgoingEmail) -> str:
        return f"{row.created_at:%Y%m%dT%H%M%S}-{row.id}"

    def failed(self, row: OutgoingEmail, exc: Exception) -> None:
        if isinstance(exc, PermanentFailure):
            if exc.recipient_opted_out:
                numbers.opt_out(row.recipient)
            elif exc.recipient_invalid:
                numbers.mark_invalid(row.recipient, str(exc.code))

    def close(self) -> None:
        pass
