"""Managing an RSVP (issue #14, finding 7): cancelling asks first and is confirmed by email, a
change is told by email, a cancelled RSVP offers no calendar, the waitlist says so, and link
texts in HTML mail end without a colon."""

import re

import sqlalchemy as sa

from coalition.mail.models import OutgoingEmail
from coalition.rsvps.models import RSVP, RSVPStatus
from tests.factories import make_event
from tests.rsvps.test_rsvp_pages import _manage_url


def _kinds(db) -> list[str]:
    return db.session.scalars(sa.select(OutgoingEmail.kind).order_by(OutgoingEmail.id)).all()


def test_cancel_asks_first_then_cancels_and_says_so(client, db):
    event = make_event()
    manage = _manage_url(client, event)
    page = client.get(manage).get_data(as_text=True)
    assert f'href="{manage}/cancel"' in page  # a link to a page, not a one-tap form
    sure = client.get(f"{manage}/cancel")
    assert sure.status_code == 200 and "Cancel your RSVP?" in sure.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(RSVP.status)) == RSVPStatus.confirmed  # GET changes nothing
    assert client.submit(f"{manage}/cancel", page=f"{manage}/cancel").status_code == 303
    db.session.expire_all()
    assert db.session.scalar(sa.select(RSVP.status)) == RSVPStatus.cancelled
    assert _kinds(db)[-1] == "rsvp_cancelled"
    page = client.get(manage).get_data(as_text=True)
    assert "Add to my calendar" not in page and "Add to Google Calendar" not in page


def test_a_change_is_told_by_email(client, db):
    event = make_event()
    manage = _manage_url(client, event)
    client.submit(f"{manage}/update", {"party_size": "3"}, page=manage)
    mail = db.session.scalar(sa.select(OutgoingEmail).order_by(OutgoingEmail.id.desc()))
    assert mail.kind == "rsvp_changed"
    assert re.search(r": 3\n", mail.body_text)


def test_a_full_event_offers_the_waitlist_not_an_rsvp(client, db, make_client):
    event = make_event(capacity=1)
    _manage_url(client, event, email="a@example.org")
    occurrence = event.occurrences[0]
    page = make_client().get(f"/events/{event.id}").get_data(as_text=True)
    assert "Join the waitlist</a>" in page
    form = make_client().get(f"/events/{event.id}/occurrences/{occurrence.id}/rsvp")
    assert "Join the waitlist</button>" in form.get_data(as_text=True)


def test_html_mail_link_texts_end_without_a_colon(client, db):
    event = make_event()
    manage = _manage_url(client, event)
    client.submit(f"{manage}/update", {"party_size": "2"}, page=manage)
    for mail in db.session.scalars(sa.select(OutgoingEmail)):
        for text in re.findall(r"<a [^>]*>([^<]*)</a>", mail.body_html):
            assert not text.rstrip().endswith(":"), (mail.kind, text)


def test_opening_the_unsubscribe_link_shows_a_button_and_changes_nothing(client, db):
    """Issue #14, finding 12: a GET on the List-Unsubscribe link is a page, not a 405."""
    event = make_event()
    manage = _manage_url(client, event)
    page = client.get(f"{manage}/reminders-off")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Stop the reminders</button>" in body and f'action="{manage}/reminders-off"' in body
    db.session.expire_all()
    assert db.session.scalar(sa.select(RSVP.consents_to_reminders)) is True
    client.post(f"{manage}/reminders-off")
    db.session.expire_all()
    assert db.session.scalar(sa.select(RSVP.consents_to_reminders)) is False
