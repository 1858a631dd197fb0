"""A date's dashboard reads its sessions, helper roles and undelivered reminders only when it has
some (their numbers come with the counts, in the same statement), and shows each when it does."""

from datetime import timedelta

import pytest

from coalition.orgs.models import OrgRole
from coalition.sessions import operations as session_ops
from coalition.volunteers import operations as volunteer_ops
from coalition.volunteers.models import RoleKind
from tests.factories import OrganizationFactory, make_event, member_of

PANEL_TABLES = ("event_sessions", "volunteer_roles", "reminders")


@pytest.fixture
def date_page(db):
    host = OrganizationFactory()
    member_of(host, OrgRole.organizer, email="host@example.org")
    event = make_event(host)
    occurrence = event.occurrences[0]
    db.session.commit()
    return occurrence, f"/events/{event.id}/occurrences/{occurrence.id}/attendees"


def _look(client, queries, path):
    client.get(path)
    with queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), statements


def test_a_date_without_sessions_roles_or_failures_reads_none_of_them(client, queries, date_page):
    _occurrence, path = date_page
    client.login("host@example.org")
    body, statements = _look(client, queries, path)
    assert "This date asks for no helpers yet." in body
    assert 'id="sessions-heading"' not in body
    # Only the counts' statement names their tables (as counted subqueries).
    naming = [s for s in statements if any(f"FROM {t}" in s for t in PANEL_TABLES)]
    assert len(naming) == 1 and "FROM rsvps" in naming[0], naming


def test_sessions_and_roles_show_as_soon_as_the_date_has_them(client, queries, date_page, db):
    occurrence, path = date_page
    client.login("host@example.org")
    _look(client, queries, path)
    start = occurrence.start_at
    session_ops.create_session(
        occurrence,
        session_ops.SessionInput(title="Know your rights", start_at=start,
                                 end_at=start + timedelta(hours=1), capacity=30),
    )  # fmt: skip
    volunteer_ops.add_role(occurrence, volunteer_ops.RoleInput(kind=RoleKind.marshal, needed=4))
    db.session.commit()
    body, _statements = _look(client, queries, path)
    assert 'id="sessions-heading"' in body and "Know your rights: <strong>0</strong> / 30" in body
    assert "This date asks for no helpers yet." not in body and "Still needed:" in body
