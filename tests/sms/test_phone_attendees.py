"""A phone-only attendee gets what an email attendee gets, by text, with a short private link."""

import re
from datetime import timedelta

import sqlalchemy as sa

from coalition.events import operations as event_ops
from coalition.mail.delivery import deliver_due
from coalition.mail.models import Channel, EmailStatus, OutgoingEmail
from coalition.reminders import operations as reminder_ops
from coalition.rsvps.models import RSVP
from coalition.sms.segments import count_segments
from tests.factories import event_input, make_event

PHONE = "617 555 0199"
E164 = "+16175550199"
SHORT = re.compile(r"http://localhost/r/([A-Za-z0-9_-]{16,})")


def _rsvp(client, event, **fields):
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    data = {"name": "Lupe", "email": "", "phone": PHONE, "language": "es", "party_size": "1",
            "consents_to_reminders": "y"}  # fmt: skip
    data.update(fields)
    return client.submit(url, data, page=url)


def _texts(provider):
    return provider.bodies_to(E164)


def test_a_phone_only_rsvp_gets_its_confirmation_with_a_working_short_link(client, db, provider):
    event = make_event(texts={"en": ("May Day march", ""), "es": ("Marcha del 1 de mayo", "")})
    page = _rsvp(client, event)
    assert page.status_code in (200, 303)
    # The page after the form speaks of a text, not of a spam folder.
    body = page.get_data(as_text=True)
    assert "No text message after a few minutes?" in body and "spam folder" not in body
    deliver_due()
    (text,) = _texts(provider)
    assert "Marcha del 1 de mayo" in text  # in the person's language
    assert count_segments(text).encoding == "GSM-7"  # no typography forces UCS-2
    assert count_segments(text).segments <= 2
    token = SHORT.search(text).group(1)
    assert len(token) >= 16  # 12 random bytes: 96 bits
    response = client.get(f"/r/{token}")
    assert response.status_code == 302
    assert response.headers["Referrer-Policy"] == "no-referrer"
    manage = response.headers["Location"]
    assert "/rsvp/" in manage
    assert client.get(manage).status_code == 200
    # Unknown tokens are refused like any invalid private link.
    assert client.get("/r/AAAAAAAAAAAAAAAA").status_code == 404


def test_an_erased_rsvp_kills_its_short_link(client, db, provider):
    event = make_event()
    _rsvp(client, event)
    deliver_due()
    token = SHORT.search(_texts(provider)[0]).group(1)
    manage = client.get(f"/r/{token}").headers["Location"]
    assert client.submit(f"{manage}/erase", page=manage).status_code == 200
    assert client.get(f"/r/{token}").status_code == 404


def test_reminders_change_and_cancel_notices_go_by_text(client, db, provider):
    event = make_event()
    _rsvp(client, event)
    occurrence = event.occurrences[0]
    rsvp = db.session.scalar(sa.select(RSVP))
    assert rsvp.phone == E164 and rsvp.email is None
    report = reminder_ops.send_due(now=occurrence.start_at - timedelta(minutes=30))
    assert report.queued == 2
    reminders = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "reminder")
    ).all()
    assert {r.channel for r in reminders} == {Channel.sms}
    assert {r.expires_at for r in reminders} == {occurrence.start_at}
    assert {r.quiet_hours_zone for r in reminders} == {event.timezone}
    event_ops.update_event(event, event_input(venue="New hall"))
    event_ops.cancel_event(event, "Permit denied")
    db.session.commit()
    kinds = db.session.scalars(
        sa.select(OutgoingEmail.kind).where(OutgoingEmail.channel == Channel.sms)
    ).all()
    assert kinds.count("event_changed") == 1 and kinds.count("event_cancelled") == 1
    cancelled = db.session.scalar(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "event_cancelled")
    )
    assert "Permit denied" in cancelled.body_text


def test_a_reminder_after_the_start_is_dropped_not_sent_late(client, db, provider):
    event = make_event()
    _rsvp(client, event)
    occurrence = event.occurrences[0]
    reminder_ops.send_due(now=occurrence.start_at - timedelta(minutes=30))
    db.session.commit()
    deliver_due(now=occurrence.start_at + timedelta(minutes=1))
    reminders = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "reminder")
    ).all()
    assert {r.status for r in reminders} == {EmailStatus.dropped}
    assert not any("Reminder" in t or "Recordatorio" in t for t in _texts(provider))
