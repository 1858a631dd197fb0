"""Sharing a delegation and telling delegations apart (issue #14, finding 9)."""

from urllib.parse import quote

import sqlalchemy as sa

from coalition.delegations.models import Delegation
from tests.factories import make_event
from tests.rsvps.test_delegation_pages import _start


def test_the_lead_page_offers_ways_to_share_the_join_link(client, db):
    event = make_event(title="May Day march")
    lead_url = _start(client, event).headers["Location"]
    body = client.get(lead_url).get_data(as_text=True)
    delegation = db.session.scalar(sa.select(Delegation))
    join_url = f"/delegations/{delegation.id}/join/{delegation.join_secret}"
    assert 'data-copy="#join-link"' in body and "Copy the link" in body
    assert 'data-share="#join-link"' in body
    assert "mailto:?subject=Worcester%20delegation&amp;body=" in body
    # In the field, and the WhatsApp, text-message, mail and Facebook links.
    assert body.count(quote(join_url)) == 5
    assert "sms:?&amp;body=" in body


def test_starting_a_second_delegation_shows_those_already_going(client, db, make_client):
    event = make_event(title="May Day march")
    _start(client, event, name="Springfield carpool", town="Springfield")
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/delegations/new"
    body = make_client().get(url).get_data(as_text=True)
    assert "Already going to this date" in body
    assert "Springfield carpool" in body and "Ask its lead for the join link" in body


def test_the_lead_is_counted_and_on_the_roster(client, db, make_client):
    event = make_event(title="May Day march")
    lead_url = _start(client, event, lead_name="Rosa").headers["Location"]
    roster = client.get(lead_url).get_data(as_text=True)
    assert "<strong>1</strong> coming, you included" in roster
    assert "Rosa (lead)" in roster and "rosa@example.org" in roster
    page = make_client().get(f"/events/{event.id}").get_data(as_text=True)
    assert "Worcester · 1 coming" in page and "Rosa" not in page
