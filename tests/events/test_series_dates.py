"""One cancelled date is not the series (issue #14, finding 1)."""

from datetime import date, timedelta

from coalition.events import occurrences as occurrence_ops
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, make_event, member_of


def _monthly_vigil(db):
    org = OrganizationFactory(slug="vigil-org")
    member_of(org, OrgRole.organizer, email="organizer@example.org")
    event = make_event(
        org,
        title="Monthly vigil",
        type_slug="vigil",
        start_date=date.today() + timedelta(days=3),
        recurrence=RecurrenceSpec(Frequency.monthly_date, count=4),
    )
    occurrence_ops.cancel_occurrence(event.occurrences[0], "Christmas Eve")
    db.session.commit()
    return event


def test_the_event_page_shows_the_next_date_that_goes_ahead(client, db):
    event = _monthly_vigil(db)
    body = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "This date is cancelled" not in body
    assert "RSVP" in body
    # The cancelled date is listed among the next dates, marked as such.
    assert "Cancelled: Christmas Eve" in body
    # Its own page still says it is cancelled.
    first = event.occurrences[0]
    body = client.get(f"/events/{event.id}/occurrences/{first.id}").get_data(as_text=True)
    assert "This date is cancelled" in body


def test_the_organizers_list_shows_the_next_date_and_the_cancelled_ones(client, db):
    event = _monthly_vigil(db)
    client.login("organizer@example.org")
    body = client.get("/orgs/vigil-org/events").get_data(as_text=True)
    assert "Next date:" in body
    assert "1 date cancelled" in body
    second = event.occurrences[1].local_start
    assert str(second.day) in body
