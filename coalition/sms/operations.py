"""Queue texts in the recipient's language, short (never more than three segments)."""

from __future__ import annotations

from datetime import datetime

from flask import render_template
from flask_babel import force_locale

from coalition.extensions import db
from coalition.mail.models import Channel, OutgoingEmail
from coalition.notices import SMS, registry
from coalition.sms import numbers
from coalition.sms.segments import count_segments, fit, plain


def queue_sms(
    *,
    to: str | None,
    kind: str,
    locale: str,
    template: str | None = None,
    org_id: int | None = None,
    expires_at: datetime | None = None,
    quiet_hours_zone: str | None = None,
    about_rsvp=None,
    about_delegation=None,
    about_helper=None,
    **context,
) -> OutgoingEmail | None:
    """Render the text of notice `kind` (`templates/sms/<template>.txt`, as the registry
    declares it, coalition/notices) in `locale` and add it to the outbox.

    Nothing is queued when texts are off (SMS_BACKEND=none) or the number said STOP or is
    known to be invalid. `expires_at`: not sent from then on (a reminder: its event's start).
    `quiet_hours_zone`: waits out 21:00-08:00 in that zone (reminders). `about_rsvp` /
    `about_delegation` tie the text to the personal data it carries (erased with it).
    """
    template = registry().template(kind, SMS, template)  # only a declared notice goes
    if not numbers.can_text(to):
        return None
    with force_locale(locale):
        body = fit(plain(render_template(f"sms/{template}.txt", **context)))
    message = OutgoingEmail(
        channel=Channel.sms,
        kind=kind,
        recipient=to,
        subject="",
        body_text=body,
        segments=count_segments(body).segments,
        org_id=org_id,
        expires_at=expires_at,
        quiet_hours_zone=quiet_hours_zone,
        rsvp_id=about_rsvp.id if about_rsvp is not None else None,
        delegation_id=about_delegation.id if about_delegation is not None else None,
        helper_id=about_helper.id if about_helper is not None else None,
    )
    db.session.add(message)
    return message
