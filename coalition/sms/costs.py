"""What texts cost: messages and segments per day and organization; the daily cap's notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.models import Channel, EmailStatus, OutgoingEmail, channel_state


@dataclass
class DayStats:
    day: date
    org: str
    messages: int
    segments: int


def stats(days: int = 30, now: datetime | None = None) -> list[DayStats]:
    """Texts sent per day (UTC) and organization over the last `days` days, newest first."""
    # The table the outbox's `org_id` points to, read by its foreign key: no feature imported.
    (org_key,) = OutgoingEmail.__table__.c.org_id.foreign_keys
    orgs = org_key.column.table
    since = (now or utcnow()) - timedelta(days=days)
    day = sa.func.date(OutgoingEmail.sent_at)
    rows = db.session.execute(
        sa.select(
            day.label("day"),
            orgs.c.name,
            sa.func.count(OutgoingEmail.id),
            sa.func.coalesce(sa.func.sum(OutgoingEmail.segments), 0),
        )
        .select_from(OutgoingEmail)
        .outerjoin(orgs, orgs.c.id == OutgoingEmail.org_id)
        .where(
            OutgoingEmail.channel == Channel.sms,
            OutgoingEmail.status == EmailStatus.sent,
            OutgoingEmail.sent_at >= since,
        )
        .group_by(day, orgs.c.name)
        .order_by(day.desc(), orgs.c.name)
    )
    result = []
    for value, org, messages, segments in rows:
        if isinstance(value, str):
            value = date.fromisoformat(value)
        result.append(DayStats(value, org or "", int(messages), int(segments)))
    return result


def tell_admins_cap_reached(day_start: datetime, cap: int) -> None:
    """Email every coalition admin, once per day, that texts wait for tomorrow."""
    from coalition.mail.admins import tell_admins

    state = channel_state(Channel.sms)
    day = day_start.date().isoformat()
    if state.cap_notified_on == day:
        return
    state.cap_notified_on = day
    tell_admins(
        "sms_cap_reached",
        _l("Texts paused: the daily limit of %(cap)s was reached", cap=cap),
        "sms/cap_reached",
        cap=cap,
        day=day,
    )
    db.session.commit()
