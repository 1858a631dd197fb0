"""What texts cost: messages and segments per day and organization; the daily cap's notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.models import Channel, EmailStatus, OutgoingEmail


@dataclass
class DayStats:
    day: date
    org: str
    messages: int
    segments: int


def stats(days: int = 30, now: datetime | None = None) -> list[DayStats]:
    """Texts sent per day (UTC) and organization over the last `days` days, newest first."""
    from coalition.orgs.models import Organization

    since = (now or utcnow()) - timedelta(days=days)
    day = sa.func.date(OutgoingEmail.sent_at)
    rows = db.session.execute(
        sa.select(
            day.label("day"),
            Organization.name,
            sa.func.count(OutgoingEmail.id),
            sa.func.coalesce(sa.func.sum(OutgoingEmail.segments), 0),
        )
        .select_from(OutgoingEmail)
        .outerjoin(Organization, Organization.id == OutgoingEmail.org_id)
        .where(
            OutgoingEmail.channel == Channel.sms,
            OutgoingEmail.status == EmailStatus.sent,
            OutgoingEmail.sent_at >= since,
        )
        .group_by(day, Organization.name)
        .order_by(day.desc(), Organization.name)
    )
    result = []
    for value, org, messages, segments in rows:
        if isinstance(value, str):
            value = date.fromisoformat(value)
        result.append(DayStats(value, org or "", int(messages), int(segments)))
    return result


def tell_admins_cap_reached(day_start: datetime, cap: int) -> None:
    """Email every coalition admin, once per day, that texts wait for tomorrow."""
    from coalition.auth.models import User
    from coalition.mail.delivery import channel_state
    from coalition.mail.operations import queue_email

    state = channel_state(Channel.sms)
    day = day_start.date().isoformat()
    if state.cap_notified_on == day:
        return
    state.cap_notified_on = day
    admins = db.session.scalars(sa.select(User).where(User.is_admin.is_(True)))
    for admin in admins:
        queue_email(
            to=admin.email,
            kind="sms_cap_reached",
            subject=_l("Texts paused: the daily limit of %(cap)s was reached", cap=cap),
            template="sms/cap_reached",
            locale=getattr(admin, "language", None) or "en",
            cap=cap,
            day=day,
        )
    db.session.commit()
