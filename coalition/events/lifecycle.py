"""An event's life after posting: publishing, review, cancelling, duplicating and co-sponsors."""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l

from coalition import signals
from coalition.auth.models import User
from coalition.db import utcnow
from coalition.events.models import (
    CosponsorStatus,
    Event,
    EventCosponsor,
    EventStatus,
    EventTranslation,
)
from coalition.events.operations import SIMPLE_FIELDS, EventError, sync_occurrences
from coalition.extensions import db
from coalition.mail.operations import queue_email
from coalition.orgs.models import Organization, OrgRole, OrgStatus
from coalition.settings.operations import get_setting
from coalition.urls import external_url


def _notify(users, *, kind, subject, template, event, **context):
    for user in users:
        queue_email(
            to=user.email,
            kind=kind,
            subject=subject,
            template=template,
            locale=user.language,
            user=user,
            event=event,
            event_url=external_url("events.show", event_id=event.id),
            **context,
        )


def _admins() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.is_admin.is_(True), User.is_disabled.is_(False))
        )
    )


def _organizers(org: Organization) -> list[User]:
    return [m.user for m in org.memberships if m.role in (OrgRole.owner, OrgRole.organizer)]


def publish(event: Event, user: User) -> EventStatus:
    """Publish, or submit for approval when the coalition moderates (admins publish at once)."""
    if event.status not in (EventStatus.draft,):
        raise EventError(_l("Only a draft can be published."))
    if not event.host_org.is_active:
        raise EventError(_l("The organization is not an active member of the coalition."))
    if get_setting("events_require_approval") and not user.is_admin:
        event.status = EventStatus.pending
        _notify(
            _admins(),
            kind="event_pending",
            subject=_l("An event waits for approval: %(title)s", title=event.title),
            template="events/pending",
            event=event,
        )
    else:
        event.status = EventStatus.published
        event.published_at = utcnow()
        event.moderation_note = None
    return event.status


def approve(event: Event) -> None:
    if event.status != EventStatus.pending:
        raise EventError(_l("Only an event waiting for approval can be approved."))
    event.status = EventStatus.published
    event.published_at = utcnow()
    event.moderation_note = None
    _notify(
        _organizers(event.host_org),
        kind="event_approved",
        subject=_l("Your event is published: %(title)s", title=event.title),
        template="events/approved",
        event=event,
    )


def unpublish(event: Event, reason: str) -> None:
    """An admin takes an event off the public calendar, with a reason for the hosts."""
    if event.status not in (EventStatus.published, EventStatus.pending):
        raise EventError(_l("Only a published or pending event can be unpublished."))
    event.status = EventStatus.draft
    event.moderation_note = reason
    event.sequence += 1
    signals.event_rescheduled.send(event, occurrences=None)
    _notify(
        _organizers(event.host_org),
        kind="event_unpublished",
        subject=_l("Your event was unpublished: %(title)s", title=event.title),
        template="events/unpublished",
        event=event,
        reason=reason,
    )


def cancel_event(event: Event, reason: str | None, *, notice_reason=None) -> None:
    """Cancel the whole event; it stays visible, marked cancelled, with the reason.

    `notice_reason`: what the notices say instead, when the reason is not stored as typed
    words (an imported event cancelled by its feed: a lazy string each notice puts into its
    reader's language, and the page says it in its reader's)."""
    if event.status == EventStatus.cancelled:
        raise EventError(_l("This event is already cancelled."))
    if event.status == EventStatus.draft:
        raise EventError(_l("A draft is not public: delete it instead."))
    event.status = EventStatus.cancelled
    event.cancel_reason = reason
    event.cancelled_at = utcnow()
    event.sequence += 1
    signals.event_cancelled.send(event, reason=notice_reason or reason, occurrence=None)
    signals.event_rescheduled.send(event, occurrences=None)


def delete_draft(event: Event) -> None:
    if event.status != EventStatus.draft or event.published_at is not None:
        raise EventError(_l("Only a draft that was never published can be deleted."))
    signals.event_deleting.send(event)
    db.session.delete(event)


def duplicate(event: Event, user: User, *, shift: relativedelta | None = None) -> Event:
    """A new draft like `event`, a month later by default ("post it again next month")."""
    shift = shift or relativedelta(months=1)
    zone = event.zone
    copy = Event(host_org=event.host_org, created_by=user, status=EventStatus.draft)
    for name in (*SIMPLE_FIELDS, "type_id", "timezone", "is_all_day", "rrule"):
        setattr(copy, name, getattr(event, name))
    copy.start_at = (event.start_at.astimezone(zone) + shift).astimezone(UTC)
    copy.end_at = (event.end_at.astimezone(zone) + shift).astimezone(UTC)
    for text in event.translations:
        copy.translations.append(
            EventTranslation(language=text.language, title=text.title, description=text.description)
        )
    db.session.add(copy)
    sync_occurrences(copy)
    db.session.flush()
    return copy


# Co-sponsors ----------------------------------------------------------------------------------


def invite_cosponsor(event: Event, org: Organization) -> EventCosponsor:
    if org.id == event.host_org_id:
        raise EventError(_l("The host cannot co-sponsor its own event."), "org")
    if org.status != OrgStatus.active:
        raise EventError(_l("Only member organizations can co-sponsor."), "org")
    if any(c.org_id == org.id for c in event.cosponsors):
        raise EventError(_l("This organization is already invited."), "org")
    cosponsor = EventCosponsor(event=event, org=org, status=CosponsorStatus.invited)
    db.session.add(cosponsor)
    _notify(
        _organizers(org),
        kind="cosponsor_invitation",
        subject=_l(
            "%(org)s invites you to co-sponsor %(title)s",
            org=event.host_org.name,
            title=event.title,
        ),
        template="events/cosponsor_invitation",
        event=event,
        org=org,
        respond_url=external_url("events_manage.cosponsorships", slug=org.slug),
    )
    return cosponsor


def respond_to_cosponsorship(cosponsor: EventCosponsor, accept: bool) -> None:
    if cosponsor.status != CosponsorStatus.invited:
        raise EventError(_l("This invitation was answered already."))
    cosponsor.status = CosponsorStatus.accepted if accept else CosponsorStatus.declined
    cosponsor.responded_at = utcnow()
    cosponsor.event.sequence += 1


def remove_cosponsor(cosponsor: EventCosponsor) -> None:
    cosponsor.event.sequence += 1
    db.session.delete(cosponsor)
