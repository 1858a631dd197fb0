"""Emails to the coalition's admins about the channels themselves. The accounts name the admins
(`signals.admin_contacts`): the channels know no feature. Kept apart from `mail.operations`,
which every feature imports, so that asking a signal here draws no circle through them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from coalition import signals
from coalition.mail.operations import queue_email


def tell_admins(kind: str, subject, template: str, **context) -> None:
    """Queue one email to every coalition admin (whom the accounts name: `signals.admin_contacts`),
    in their language."""
    for contacts in signals.answers(signals.admin_contacts, None):
        for email, language in contacts:
            queue_email(
                to=email,
                kind=kind,
                subject=subject,
                template=template,
                locale=language,
                **context,
            )


def tell_admins_channel_refused(channel: str, stage: str, code, since) -> None:
    """Email every coalition admin that a channel refuses us (its credentials, account or
    sender) and waits for them: an outage that does not end by itself. Called once per refusal
    (`ChannelState.alerted_at`). Names the step and the code, never a recipient. An email about
    the email channel waits in its queue with the rest: the worker's log has said it at once.
    """
    subject = (
        _l("Text messages paused: the provider refuses our messages")
        if channel == "sms"
        else _l("Email paused: the mail relay refuses our messages")
    )
    tell_admins(
        "channel_refused",
        subject,
        "mail/channel_refused",
        channel=channel,
        stage=stage or "?",
        code=code or "?",
        since=since.strftime("%Y-%m-%d %H:%M UTC"),
    )
