"""Queue email in the recipient's language."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.models import Channel, EmailStatus, OutgoingEmail, new_message_id
from coalition.mail.transports import render_mime
from coalition.notices import EMAIL, registry


def queue_email(
    *,
    to: str,
    kind: str,
    subject,
    locale: str,
    template: str | None = None,
    headers: dict | None = None,
    attachments: list | None = None,
    about_rsvp=None,
    about_delegation=None,
    about_helper=None,
    **context,
) -> OutgoingEmail:
    """Render the email of notice `kind` (`templates/email/<template>.{txt,html}`, as the
    registry declares it, coalition/notices) in `locale` and add it to the outbox.

    `subject` is a lazy string (`lazy_gettext` with its variables) so that it is translated in the
    recipient's language, not the sender's. Nothing is sent here: the row is part of the caller's
    transaction and the worker delivers it once that transaction has committed.
    `about_rsvp` / `about_delegation` tie the message to the personal data it carries, so that
    erasing that data erases the message too.
    """
    template = registry().template(kind, EMAIL, template)  # only a declared notice goes
    headers = dict(headers or {})
    event = context.get("event")
    contact = getattr(event, "contact_email", None)
    if contact and "Reply-To" not in headers:
        # A reply about an event reaches the person the organizers named for it, not us.
        headers["Reply-To"] = contact
    with force_locale(locale):
        rendered_subject = str(subject)
        context.setdefault("email_locale", locale)
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", **context)
    message = OutgoingEmail(
        kind=kind,
        recipient=to,
        subject=rendered_subject[:300],
        body_text=body_text,
        body_html=body_html,
        headers=headers,
        attachments=attachments or [],
        rsvp_id=about_rsvp.id if about_rsvp is not None else None,
        delegation_id=about_delegation.id if about_delegation is not None else None,
        helper_id=about_helper.id if about_helper is not None else None,
        message_id=new_message_id(),
    )
    # Rendered once, here, rather than by the worker for every try: building MIME costs more
    # than sending it (issue 13).
    message.mime = render_mime(message)
    db.session.add(message)
    return message


def oldest_due_seconds(now: datetime | None = None) -> int:
    """How long the oldest message due to be sent has waited past its time, in seconds (0 when
    none is waiting), over both channels: one read of the due index per channel (/healthz)."""
    now = now or utcnow()
    waiting = [
        db.session.scalar(
            sa.select(sa.func.min(OutgoingEmail.next_attempt_at)).where(
                OutgoingEmail.channel == channel, OutgoingEmail.status == EmailStatus.queued
            )
        )
        for channel in Channel
    ]
    due = [moment for moment in waiting if moment is not None and moment <= now]
    return int((now - min(due)).total_seconds()) if due else 0
