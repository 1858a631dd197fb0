"""The RSVP form and the private manage page, as a person uses them."""

import re

import pytest
import sqlalchemy as sa

from coalition.events.models import EventStatus, EventVisibility, LocationVisibility
from coalition.mail.models import OutgoingEmail
from coalition.rsvps.models import RSVP, RSVPStatus
from tests.factories import UserFactory, link_sent_to, make_event

SECRET = "Parish hall side door 5512"


def _form(event, occurrence, **fields):
    data = {"name": "Lupe", "email": "lupe@example.org", "phone": "", "language": "es",
            "party_size": "2", "consents_to_reminders": "y"}  # fmt: skip
    data.update(fields)
    return data


def _rsvp(client, event, **fields):
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    return client.submit(url, _form(event, occurrence, **fields), page=url)


def _count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(RSVP))


def test_anonymous_rsvp_end_to_end(client, db):
    event = make_event(capacity=10)
    response = _rsvp(client, event)
    assert response.status_code == 200
    sent = response.get_data(as_text=True)
    assert "l•••@e•••.org" in sent and "Lupe" in sent
    assert "/rsvp/" not in sent  # the private link travels only to the contact
    assert response.headers["Cache-Control"] == "private, no-store"
    manage = link_sent_to("lupe@example.org")
    page = client.get(manage)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Lupe" in page.get_data(as_text=True)
    email = db.session.scalar(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "rsvp_confirmation")
    )
    assert email.recipient == "lupe@example.org"
    assert "Está" in email.subject  # in the person's language
    # The same contact again changes nothing (it may be someone else typing it).
    assert _rsvp(client, event, party_size="3").status_code == 200
    assert _count(db) == 1
    assert db.session.scalar(sa.select(RSVP.party_size)) == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "", "phone": "12"}, "phone"),
        ({"email": "", "phone": ""}, "email"),
        ({"party_size": "0"}, "party_size"),
        ({"party_size": "11"}, "party_size"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(client, db, fields, field):
    event = make_event()
    response = _rsvp(client, event, **fields)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _count(db) == 0


def test_honeypot_writes_nothing(client, db):
    event = make_event()
    response = _rsvp(client, event, website="http://spam.example")
    assert response.status_code == 303
    assert _count(db) == 0


def test_closed_and_cancelled_occurrences_answer_409(client, db):
    cancelled = make_event(status=EventStatus.cancelled)
    assert _rsvp(client, cancelled).status_code == 409
    assert _count(db) == 0


def test_members_only_event_is_404_for_anonymous(client, db):
    event = make_event(visibility=EventVisibility.members)
    occurrence = event.occurrences[0]
    assert client.get(f"/events/{event.id}/occurrences/{occurrence.id}/rsvp").status_code == 404


def test_signed_in_one_click(client, db):
    UserFactory(email="ana@example.org", name="Ana")
    event = make_event()
    client.login("ana@example.org")
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    page = client.get(url).get_data(as_text=True)
    assert "RSVP as Ana" in page
    token = client.csrf_token(url)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    fields["csrf_token"] = token
    # An account does not prove it owns its email address: the link goes there, like anyone's.
    assert client.post(url, data=fields).status_code == 200
    rsvp = db.session.scalar(sa.select(RSVP))
    assert rsvp.user is None
    manage = link_sent_to("ana@example.org")
    assert "Keep this RSVP in my account" in client.get(manage).get_data(as_text=True)
    assert client.submit(f"{manage}/account", page=manage).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(sa.select(RSVP)).user.email == "ana@example.org"
    # From now on the account reaches it: RSVPing again goes straight to the RSVP.
    again = client.post(url, data={**fields, "csrf_token": client.csrf_token(url)})
    assert again.status_code == 303 and "/rsvp/" in again.headers["Location"]


def _manage_url(client, event, **fields):
    assert _rsvp(client, event, **fields).status_code == 200
    return link_sent_to(fields.get("email", "lupe@example.org"))


def test_manage_change_cancel_and_promotion(client, db, make_client):
    event = make_event(capacity=2)
    first = _manage_url(client, event, email="a@example.org", party_size="2")
    other = make_client()
    waiting = _manage_url(other, event, email="b@example.org", party_size="1")
    assert db.session.scalars(sa.select(RSVP.status).order_by(RSVP.id)).all() == [
        RSVPStatus.confirmed, RSVPStatus.waitlisted,
    ]  # fmt: skip
    response = client.submit(f"{first}/update", {"party_size": "1"}, page=first)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalars(sa.select(RSVP.status).order_by(RSVP.id)).all() == [
        RSVPStatus.confirmed, RSVPStatus.confirmed,
    ]  # fmt: skip
    assert client.submit(f"{first}/cancel", page=first).status_code == 303
    assert other.get(waiting).status_code == 200


def test_erase_removes_data_and_the_link_stops_working(client, db):
    event = make_event()
    manage = _manage_url(client, event, note="wheelchair")
    response = client.submit(f"{manage}/erase", page=manage)
    assert response.status_code == 200
    rsvp = db.session.scalar(sa.select(RSVP))
    db.session.refresh(rsvp)
    assert (rsvp.name, rsvp.email, rsvp.note) == (None, None, None)
    assert client.get(manage).status_code == 404


def test_tampered_link_is_refused(client, db):
    event = make_event()
    manage = _manage_url(client, event)
    assert client.get(manage[:-4] + "abcd").status_code == 404


def test_reminders_toggle_and_one_click_unsubscribe_without_csrf(client, db):
    event = make_event()
    manage = _manage_url(client, event)
    assert client.submit(f"{manage}/reminders/off", page=manage).status_code == 303
    assert db.session.scalar(sa.select(RSVP.consents_to_reminders)) is False
    assert client.submit(f"{manage}/reminders/on", page=manage).status_code == 303
    response = client.post(f"{manage}/reminders-off")  # no CSRF token, as a mail client sends it
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(sa.select(RSVP.consents_to_reminders)) is False


def test_place_shown_to_confirmed_not_to_waitlisted(client, db, make_client):
    event = make_event(capacity=1, location_visibility=LocationVisibility.attendees, venue=SECRET)
    confirmed = _manage_url(client, event, email="a@example.org", party_size="1")
    other = make_client()
    waitlisted = _manage_url(other, event, email="b@example.org", party_size="1")
    assert SECRET in client.get(confirmed).get_data(as_text=True)
    assert SECRET not in other.get(waitlisted).get_data(as_text=True)


@pytest.fixture
def app_overrides(request):
    if "rate_limit" in request.node.name:
        return {"RATELIMIT_ENABLED": True}
    return {}


def test_rsvp_form_is_rate_limited(client, db):
    event = make_event()
    statuses = [_rsvp(client, event, email=f"p{n}@example.org").status_code for n in range(11)]
    assert statuses[-1] == 429


WAITLIST_LINE = "This date is full: a new RSVP goes on the waitlist"


def test_the_thank_you_page_says_waitlist_when_the_date_is_full(client, db):
    """Issue 22: the page after the form said nothing of the waitlist. It says what a new RSVP
    gets from the date's state, never from whether the contact was known (possession, not
    knowledge): the owner of a known contact and a stranger read the same words."""
    event = make_event(capacity=2)
    first = _rsvp(client, event, email="ana@example.org").get_data(as_text=True)
    assert WAITLIST_LINE not in first
    newcomer = _rsvp(client, event, email="beto@example.org").get_data(as_text=True)
    assert WAITLIST_LINE in newcomer
    assert db.session.scalar(sa.select(RSVP.status).where(RSVP.name == "Lupe").order_by(
        RSVP.id.desc())) == RSVPStatus.waitlisted  # fmt: skip
    known = _rsvp(client, event, email="ana@example.org").get_data(as_text=True)
    assert WAITLIST_LINE in known  # the same answer as a stranger's


def test_the_thank_you_page_says_the_hosts_approve(client, db):
    event = make_event(capacity=10, location_visibility=LocationVisibility.approved)
    page = _rsvp(client, event).get_data(as_text=True)
    assert "The hosts approve each RSVP" in page and WAITLIST_LINE not in page
