"""Issue #22, item 10: an organizer may show "N going" on the public page. Off by default (a
count can matter to safety); it counts confirmed people (party sizes), never the waitlist,
pending requests or cancellations."""

import re

import sqlalchemy as sa

from coalition.events.models import Event
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from tests.events.test_manage import FORM
from tests.factories import OrganizationFactory, make_event, member_of


def _person(n: int, party: int = 1) -> rsvp_ops.RSVPInput:
    return rsvp_ops.RSVPInput(name=f"P{n}", email=f"p{n}@example.org", party_size=party)


def _going(body: str) -> str | None:
    found = re.search(r'class="going"[^>]*>([^<]*)<', body)
    return found.group(1).strip() if found else None


def test_the_going_count_is_off_by_default_and_counts_confirmed_people_only(client, db):
    event = make_event(capacity=6, title="Vigil")
    occurrence = event.occurrences[0]
    for n, party in enumerate([3, 2], start=1):
        rsvp_ops.submit(occurrence, _person(n, party))  # 5 confirmed people
    rsvp_ops.submit(occurrence, _person(3, 4))  # waitlisted: 4 do not fit
    cancelled = rsvp_ops.submit(occurrence, _person(4, 1)).rsvp  # the last seat...
    rsvp_ops.cancel(cancelled)  # ...given back
    db.session.commit()
    pages = (f"/events/{event.id}", f"/events/{event.id}/occurrences/{occurrence.id}")
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert _going(body) is None and "5 going" not in body, path
    event.shows_going = True
    db.session.commit()
    for path in pages:
        assert _going(client.get(path).get_data(as_text=True)) == "5 going", path
    spanish = client.get(pages[1], headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert _going(spanish) == "Van 5 personas"


def test_organizers_turn_the_count_on_in_the_event_form(client, db):
    from coalition.events.types import ensure_default_types

    ensure_default_types()
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="org@example.org")
    db.session.commit()
    client.login("org@example.org")
    url = f"/orgs/{org.slug}/events/new"
    form_page = client.get(url).get_data(as_text=True)
    assert 'name="shows_going"' in form_page and "checked" not in re.search(
        r'<input[^>]*name="shows_going"[^>]*>', form_page
    ).group(0)
    assert client.submit(url, FORM, page=url).status_code == 302
    event = db.session.scalar(sa.select(Event))
    assert event.shows_going is False
    edit = f"/events/{event.id}/edit"
    assert client.submit(edit, {**FORM, "shows_going": "y"}, page=edit).status_code == 302
    db.session.refresh(event)
    assert event.shows_going is True
    assert re.search(r'<input[^>]*checked[^>]*name="shows_going"|<input[^>]*name="shows_going"'
                     r'[^>]*checked', client.get(edit).get_data(as_text=True))  # fmt: skip
