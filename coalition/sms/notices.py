"""Texts to people who gave a phone and no email: the same notices, short, with a short link."""

from __future__ import annotations

from datetime import datetime

from coalition.i18n import format_moment
from coalition.languages import message_locale
from coalition.sms.operations import queue_sms


def text_rsvp(
    rsvp,
    *,
    kind: str,
    template: str,
    expires_at: datetime | None = None,
    quiet_hours: bool = False,
    **context,
):
    """Queue `templates/sms/<template>.txt` to the RSVP's phone in its language; None when no
    text can go (no phone, texts off, or the number said STOP)."""
    from coalition.shortlinks.operations import short_manage_url

    occurrence = rsvp.occurrence
    event = occurrence.event
    locale = message_locale(rsvp.language)
    return queue_sms(
        to=rsvp.phone,
        kind=kind,
        template=template,
        locale=locale,
        org_id=event.host_org_id,
        expires_at=expires_at,
        quiet_hours_zone=event.timezone if quiet_hours else None,
        about_rsvp=rsvp,
        rsvp=rsvp,
        title=event.translation(rsvp.language).title,
        when=format_moment(occurrence.start_at, event.zone, locale),
        link=short_manage_url(rsvp),
        **context,
    )


def text_lead_roster(delegation, members, *, expires_at: datetime | None = None):
    """The lead's roster reminder as a text: the headcount and a short link to the roster."""
    from coalition.shortlinks.operations import short_lead_url

    occurrence = delegation.occurrence
    event = occurrence.event
    locale = message_locale(delegation.lead_language)
    return queue_sms(
        to=delegation.lead_phone,
        kind="lead_roster",
        template="reminders/lead_roster",
        locale=locale,
        org_id=event.host_org_id,
        expires_at=expires_at,
        quiet_hours_zone=event.timezone,
        about_delegation=delegation,
        name=delegation.name,
        headcount=sum(m.party_size for m in members),
        title=event.translation(delegation.lead_language).title,
        when=format_moment(occurrence.start_at, event.zone, locale),
        link=short_lead_url(delegation),
    )


def text_lead(delegation, *, kind: str, template: str, **context):
    """A notice to a delegation's lead who gave only a phone, with a short link to their page."""
    from coalition.shortlinks.operations import short_lead_url

    occurrence = delegation.occurrence
    event = occurrence.event
    locale = message_locale(delegation.lead_language)
    return queue_sms(
        to=delegation.lead_phone,
        kind=kind,
        template=template,
        locale=locale,
        org_id=event.host_org_id,
        about_delegation=delegation,
        name=delegation.name,
        title=event.translation(delegation.lead_language).title,
        when=format_moment(occurrence.start_at, event.zone, locale),
        link=short_lead_url(delegation),
        **context,
    )
