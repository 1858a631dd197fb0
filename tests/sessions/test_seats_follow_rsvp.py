"""Session seats follow the RSVP: its party size, and whether it has a seat on the date."""

import pytest
import sqlalchemy as sa

from coalition.events.models import LocationVisibility
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVPStatus
from coalition.sessions import operations as ops
from coalition.sessions.models import SessionSignup, SignupStatus
from tests.factories import link_sent_to, make_event
from tests.sessions.helpers import add_session, rsvp


def _statuses(db, session):
    db.session.expire_all()
    return sorted(
        (s.rsvp.name, s.status.value)
        for s in db.session.scalars(
            sa.select(SessionSignup).where(
                SessionSignup.session_id == session.id,
                SessionSignup.status != SignupStatus.cancelled,
            )
        )
    )


def _change(rsvp_row, size):
    rsvp_ops.change(rsvp_row, party_size=size, needs_interpretation=False,
                    needs_childcare=False, needs_ride=False, note=None)  # fmt: skip


def test_a_growing_party_takes_its_seats_in_a_25_seat_session_or_is_refused(db):
    event = make_event(capacity=100)
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:00", "13:00", capacity=25)
    plenary = add_session(occurrence, "Plenary", "13:00", "14:00")
    grower = rsvp(occurrence, 0, sessions=[workshop, plenary])
    for n in range(1, 23):
        rsvp(occurrence, n, sessions=[workshop])
    assert ops.seats_left(workshop) == 2  # 23 people in 25 seats

    _change(grower, 3)  # 1 → 3: takes the two seats left
    db.session.commit()
    assert ops.seats_left(workshop) == 0
    assert ops.confirmed_headcount(plenary.id) == 3

    with pytest.raises(ops.SessionError) as refused:
        _change(grower, 4)  # the date has room, the workshop does not
    assert refused.value.status == 409
    assert "0 more seats" in str(refused.value.message)
    db.session.rollback()
    db.session.expire_all()
    assert grower.party_size == 3 and ops.confirmed_headcount(workshop.id) == 25


def test_the_manage_page_refuses_a_party_the_session_cannot_seat(client, db):
    event = make_event(capacity=100)
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:00", "13:00", capacity=2)
    client.submit(
        f"/events/{event.id}/occurrences/{occurrence.id}/rsvp",
        {"name": "Lupe", "email": "lupe@example.org", "language": "en", "party_size": "1",
         "session-slot-1": str(workshop.id)},
        page=f"/events/{event.id}/occurrences/{occurrence.id}/rsvp",
    )  # fmt: skip
    manage = link_sent_to("lupe@example.org")
    answer = client.submit(manage + "/update", {"party_size": "3", "note": ""}, page=manage)
    assert answer.status_code == 409
    assert "Only 1 more seat is free in “Workshop”." in answer.get_data(as_text=True)
    db.session.expire_all()
    assert ops.confirmed_headcount(workshop.id) == 1
    assert client.submit(manage + "/update", {"party_size": "2"}, page=manage).status_code == 303
    assert ops.confirmed_headcount(workshop.id) == 2


def test_a_shrinking_party_frees_seats_for_who_waits_in_the_session(db):
    event = make_event(capacity=100)
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:00", "13:00", capacity=3)
    big = rsvp(occurrence, 1, sessions=[workshop], party_size=3)
    rsvp(occurrence, 2, sessions=[workshop], party_size=2)
    rsvp(occurrence, 3, sessions=[workshop])
    assert _statuses(db, workshop) == [
        ("P1", "confirmed"), ("P2", "waitlisted"), ("P3", "waitlisted")
    ]  # fmt: skip
    _change(big, 1)  # two seats free: the party of two, first in line, fits
    db.session.commit()
    assert _statuses(db, workshop) == [
        ("P1", "confirmed"), ("P2", "confirmed"), ("P3", "waitlisted")
    ]  # fmt: skip


def test_a_person_waitlisted_for_the_date_holds_no_session_seat_until_confirmed(db):
    event = make_event(capacity=2)
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:00", "13:00", capacity=2)
    first = rsvp(occurrence, 1, sessions=[workshop])
    rsvp(occurrence, 2)  # the date is full now, the workshop still has a seat
    waiting = rsvp(occurrence, 3, sessions=[workshop])
    later = rsvp(occurrence, 4, sessions=[workshop])
    assert waiting.status == RSVPStatus.waitlisted
    assert _statuses(db, workshop) == [
        ("P1", "confirmed"), ("P3", "waitlisted"), ("P4", "waitlisted")
    ]  # fmt: skip
    assert ops.seats_left(workshop) == 1

    rsvp_ops.cancel(first)  # P3 gets the date's seat, then the workshop's (arrival order)
    db.session.commit()
    db.session.expire_all()
    assert waiting.status == RSVPStatus.confirmed and later.status == RSVPStatus.waitlisted
    assert _statuses(db, workshop) == [("P3", "confirmed"), ("P4", "waitlisted")]


def test_a_request_waiting_for_approval_waits_in_its_sessions(db):
    event = make_event(capacity=10, location_visibility=LocationVisibility.approved)
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:00", "13:00", capacity=1)
    asking = rsvp(occurrence, 1, sessions=[workshop])
    assert asking.status == RSVPStatus.pending
    assert _statuses(db, workshop) == [("P1", "waitlisted")]
    assert ops.seats_left(workshop) == 1
    rsvp_ops.approve(asking)
    db.session.commit()
    assert _statuses(db, workshop) == [("P1", "confirmed")]


def test_a_waiting_person_moved_by_an_organizer_still_waits(db):
    event = make_event(capacity=1)
    occurrence = event.occurrences[0]
    a = add_session(occurrence, "A", "12:00", "13:00", capacity=5)
    b = add_session(occurrence, "B", "12:00", "13:00", capacity=5)
    rsvp(occurrence, 1)
    waiting = rsvp(occurrence, 2, sessions=[a])
    ops.move(ops.signups_of(waiting)[0], b)
    db.session.commit()
    assert _statuses(db, b) == [("P2", "waitlisted")]
    assert ops.seats_left(b) == 5


def test_organizers_move_someone_into_a_full_session_only_when_they_say_so(client, db):
    from coalition.orgs.models import OrgRole
    from tests.factories import OrganizationFactory, member_of

    org = OrganizationFactory()
    organizer = member_of(org, OrgRole.organizer, email="host@example.org")
    event = make_event(org, by=organizer, capacity=100)
    occurrence = event.occurrences[0]
    a = add_session(occurrence, "A", "12:00", "13:00", capacity=5)
    full = add_session(occurrence, "Full", "12:00", "13:00", capacity=1)
    rsvp(occurrence, 1, sessions=[full])
    mover = rsvp(occurrence, 2, sessions=[a], party_size=2)
    client.login("host@example.org")
    base = f"/events/{event.id}/occurrences/{occurrence.id}/sessions"
    page = f"{base}/{a.id}/people"
    assert "even over capacity" in client.get(page).get_data(as_text=True)
    url = f"{page}/{ops.signups_of(mover)[0].id}/move"
    refused = client.submit(url, {"target": str(full.id)}, page=page)
    assert refused.status_code == 303
    shown = client.get(page).get_data(as_text=True)
    assert "“Full” is full: tick “even over capacity” to move them anyway." in shown
    assert _statuses(db, full) == [("P1", "confirmed")]
    moved = client.submit(url, {"target": str(full.id), "over_capacity": "y"}, page=page)
    assert moved.status_code == 303
    assert _statuses(db, full) == [("P1", "confirmed"), ("P2", "confirmed")]
    assert ops.confirmed_headcount(full.id) == 3 and ops.seats_left(full) == 0
    assert _statuses(db, a) == []


def test_a_signed_in_person_grows_their_party_while_leaving_a_full_session(db):
    from coalition.orgs.models import OrgRole
    from tests.factories import OrganizationFactory, member_of

    org = OrganizationFactory()
    ana = member_of(org, OrgRole.member, email="ana@example.org")
    event = make_event(org, capacity=100)
    occurrence = event.occurrences[0]
    full = add_session(occurrence, "Full", "12:00", "13:00", capacity=1)
    roomy = add_session(occurrence, "Roomy", "12:00", "13:00", capacity=10)

    def again(size, sessions):
        rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(
            name="Ana", email="ana@example.org", party_size=size, sessions=sessions,
        ), user=ana, notify=False)  # fmt: skip
        db.session.commit()

    again(1, [full])
    mine = db.session.scalars(
        sa.select(rsvp_ops.RSVP).where(rsvp_ops.RSVP.occurrence_id == occurrence.id)
    ).one()
    rsvp_ops.link_to_account(mine, ana)
    db.session.commit()
    with pytest.raises(ops.SessionError):
        again(3, [full])  # staying in the full session: refused, nothing saved
    db.session.rollback()
    again(3, [roomy])  # leaving it for one with room: fine
    assert _statuses(db, roomy) == [("Ana", "confirmed")]
    assert ops.confirmed_headcount(roomy.id) == 3 and ops.seats_left(full) == 1
