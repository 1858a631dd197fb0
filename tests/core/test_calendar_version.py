"""The calendar version changes in the same transaction as what feeds and public pages show."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coalition import calendar_version as cv
from coalition.db import utcnow
from coalition.erasure import purge_expired
from coalition.events import lifecycle as event_lifecycle
from coalition.events import occurrences as occurrence_ops
from coalition.extensions import db
from coalition.orgs import operations as org_ops
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP
from tests.factories import OrganizationFactory, UserFactory, make_event, member_of


def _rsvp(event, user=None):
    data = rsvp_ops.RSVPInput(name="Ana", email="ana@example.org")
    outcome = rsvp_ops.submit(event.occurrences[0], data, user=user, notify=False)
    if user is not None:
        rsvp_ops.link_to_account(outcome.rsvp, user)
    db.session.commit()
    return outcome.rsvp


def test_event_changes_raise_public_version(app):
    before = cv.current()
    event = make_event()
    after_create = cv.current()
    assert after_create != before
    occurrence_ops.cancel_occurrence(event.occurrences[0], "Storm")
    db.session.commit()
    assert cv.current() != after_create
    # A transaction that changes nothing leaves it alone.
    unchanged = cv.current()
    db.session.commit()
    assert cv.current() == unchanged


def test_rolled_back_change_leaves_version_alone(app):
    event = make_event()
    before = cv.current(cv.PUBLIC, cv.ATTENDANCE)
    event.venue = "Somewhere else"
    db.session.flush()
    db.session.rollback()
    assert cv.current(cv.PUBLIC, cv.ATTENDANCE) == before


def test_organization_type_and_cosponsor_changes_raise_public_version(app):
    event = make_event()
    before = cv.current()
    org_ops.suspend(event.host_org, "Review")
    db.session.commit()
    after_suspend = cv.current()
    assert after_suspend != before
    event.type.names = {**event.type.names, "en": "Big rally"}
    db.session.commit()
    after_type = cv.current()
    assert after_type != after_suspend
    event_lifecycle.invite_cosponsor(event, OrganizationFactory())
    db.session.commit()
    assert cv.current() != after_type


def test_rsvp_raises_attendance_and_that_person_only(app):
    event = make_event()
    ana, other = UserFactory(), UserFactory()
    public = cv.current()
    mine, theirs = cv.current(cv.user_key(ana.id)), cv.current(cv.user_key(other.id))
    attendance = cv.current(cv.ATTENDANCE)
    rsvp = _rsvp(event, user=ana)
    assert cv.current(cv.user_key(ana.id)) != mine
    assert cv.current(cv.ATTENDANCE) != attendance
    assert cv.current(cv.user_key(other.id)) == theirs
    assert cv.current() == public
    mine = cv.current(cv.user_key(ana.id))
    rsvp_ops.cancel(rsvp)
    db.session.commit()
    assert cv.current(cv.user_key(ana.id)) != mine


def test_membership_removal_raises_that_person(app):
    org = OrganizationFactory()
    member_of(org, OrgRole.owner)
    person = member_of(org, OrgRole.member)
    before = cv.current(cv.user_key(person.id))
    membership = next(m for m in org.memberships if m.user_id == person.id)
    org_ops.remove_member(membership)
    db.session.commit()
    assert cv.current(cv.user_key(person.id)) != before


def test_bulk_purge_raises_every_private_feed(app):
    event = make_event(start_date=(utcnow() - timedelta(days=60)).date())
    db.session.add(
        RSVP(occurrence=event.occurrences[0], name="Ana", email="a@example.org", status="confirmed")
    )
    db.session.commit()
    before = cv.current(cv.EVERY_USER)
    assert purge_expired() == 1
    db.session.commit()
    assert cv.current(cv.EVERY_USER) != before


def test_current_is_one_primary_key_read(app):
    make_event()
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        token = cv.current(cv.PUBLIC, cv.user_key(1))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1 and "calendar_versions" in statements[0]
    assert "." in token


@pytest.mark.parametrize("app_overrides", [{"CALENDAR_VERSION_TTL": 60}])
def test_short_lived_copy_sees_own_commits_at_once(app):
    first = cv.current()
    make_event()
    assert cv.current() != first
    statements = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    cv.current()
    assert statements == []
