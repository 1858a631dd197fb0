"""Sessions of a date: choosing, capacity and waitlist, moving people, the pages."""

import re

import pytest
import sqlalchemy as sa

from coalition.mail.models import OutgoingEmail
from coalition.rsvps import operations as rsvp_ops
from coalition.sessions import operations as ops
from coalition.sessions.models import SessionSignup, SignupStatus
from tests.factories import link_sent_to, make_event
from tests.sessions.helpers import add_session, rsvp


@pytest.fixture
def agenda(db):
    """A date 12:00–14:00 (New York) with two workshops at once and a closing plenary."""
    event = make_event(capacity=100)
    occurrence = event.occurrences[0]
    a = add_session(
        occurrence,
        "Know your rights",
        "12:00",
        "13:00",
        capacity=2,
        room="Room A",
        languages=["es"],
        has_interpretation=True,
    )
    b = add_session(occurrence, "Wage theft clinic", "12:30", "13:30", capacity=5)
    c = add_session(occurrence, "Plenary", "13:30", "14:00")
    return event, occurrence, a, b, c


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


def test_two_sessions_at_once_are_refused(agenda, db):
    _event, occurrence, a, b, c = agenda
    with pytest.raises(ops.SessionError) as refused:
        ops.parse_choice(occurrence, [str(a.id), str(b.id)])
    assert "same time" in str(refused.value.message)
    person = rsvp(occurrence, 1, sessions=[a, c])
    assert [s.session.title for s in ops.signups_of(person)] == ["Know your rights", "Plenary"]
    with pytest.raises(ops.SessionError):
        ops.choose(person, [a, b])
    db.session.rollback()
    assert len(ops.signups_of(person)) == 2


def test_a_session_past_capacity_waits_and_promotes_whole_parties(agenda, db):
    _event, occurrence, a, _b, _c = agenda
    first = rsvp(occurrence, 1, sessions=[a])
    rsvp(occurrence, 4, sessions=[a])  # the session (2 seats) is full now
    rsvp(occurrence, 2, sessions=[a], party_size=2)
    rsvp(occurrence, 3, sessions=[a])
    assert _statuses(db, a) == [
        ("P1", "confirmed"),
        ("P2", "waitlisted"),
        ("P3", "waitlisted"),
        ("P4", "confirmed"),
    ]
    rsvp_ops.cancel(first)  # frees one seat: the party of two does not fit, the next one does
    db.session.commit()
    assert _statuses(db, a) == [("P2", "waitlisted"), ("P3", "confirmed"), ("P4", "confirmed")]
    assert ops.seats_left(a) == 0
    told = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "session_promoted")
    ).all()
    assert [m.recipient for m in told] == ["p3@example.org"]
    assert "Know your rights" in told[0].body_text


def test_changing_sessions_frees_the_seat(agenda, db):
    _event, occurrence, a, b, c = agenda
    one = rsvp(occurrence, 1, sessions=[a])
    rsvp(occurrence, 2, sessions=[a])
    rsvp(occurrence, 3, sessions=[a])
    ops.choose(one, [b, c])
    db.session.commit()
    assert _statuses(db, a) == [("P2", "confirmed"), ("P3", "confirmed")]
    assert ops.headcounts([a.id, b.id, c.id]) == {
        a.id: {"confirmed": 2, "cancelled": 1},
        b.id: {"confirmed": 1},
        c.id: {"confirmed": 1},
    }


def test_organizer_moves_a_person_never_into_two_sessions(agenda, db):
    _event, occurrence, a, b, c = agenda
    person = rsvp(occurrence, 1, sessions=[a, c])
    signup = ops.signups_of(person)[0]
    with pytest.raises(ops.SessionError):
        ops.move(ops.signups_of(person)[1], b)  # the plenary → b would clash with a
    db.session.rollback()
    ops.move(signup, b)
    db.session.commit()
    assert [s.session.title for s in ops.signups_of(person)] == ["Wage theft clinic", "Plenary"]


def test_session_times_stay_inside_the_date(agenda, db):
    _event, occurrence, *_ = agenda
    with pytest.raises(ops.SessionError):
        add_session(occurrence, "Too late", "13:30", "15:00")


def test_rsvp_form_and_manage_page_choose_sessions(agenda, client, db):
    event, occurrence, a, b, c = agenda
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    page = client.get(url).get_data(as_text=True)
    assert "Know your rights" in page and "2 seats left" in page
    form = {
        "name": "Lupe",
        "email": "lupe@example.org",
        "language": "es",
        "party_size": "1",
        "consents_to_reminders": "y",
    }
    # Two sessions of one slot cannot be sent by the radios; a crafted form is refused.
    clash = client.submit(
        url, {**form, "session-slot-1": str(a.id), "session-slot-2": str(b.id)}, page=url
    )
    assert clash.status_code == 400
    assert "same time" in clash.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionSignup)) == 0
    done = client.submit(
        url, {**form, "session-slot-1": str(a.id), "session-slot-2": str(c.id)}, page=url
    )
    assert done.status_code == 200
    manage = link_sent_to("lupe@example.org")
    body = client.get(manage).get_data(as_text=True)
    assert "Your sessions" in body and "Know your rights" in body
    token = manage.rsplit("/", 1)[1]
    changed = client.submit(
        f"/rsvp/{token}/sessions", {"session-slot-1": str(b.id), "session-slot-2": ""}, page=manage
    )
    assert changed.status_code == 303
    db.session.expire_all()
    person = db.session.scalar(
        sa.select(SessionSignup).where(SessionSignup.status == SignupStatus.confirmed)
    ).rsvp
    assert [s.session.title for s in ops.signups_of(person)] == ["Wage theft clinic"]


def test_organizer_pages(agenda, client, db):
    event, occurrence, a, b, _c = agenda
    rsvp(occurrence, 1, sessions=[a])
    rsvp(occurrence, 2, sessions=[a])
    waiting = rsvp(occurrence, 3, sessions=[a])
    base = f"/events/{event.id}/occurrences/{occurrence.id}/sessions"
    assert client.get(base).status_code in (302, 403, 404)  # not signed in
    organizer = event.created_by
    client.login(organizer.email)
    page = client.get(base)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert re.search(r'count-confirmed">2<', body) and re.search(r'count-waiting">1<', body)
    added = client.submit(
        base,
        {
            "title": "Closing circle",
            "date": "2027-05-01",
            "start_time": "13:40",
            "end_time": "13:55",
        },
        page=base,
    )
    assert added.status_code == 303
    bad = client.submit(
        base,
        {"title": "Dinner", "date": "2027-05-01", "start_time": "18:00", "end_time": "19:00"},
        page=base,
    )
    assert bad.status_code == 400
    people = client.get(f"{base}/{a.id}/people").get_data(as_text=True)
    assert "P1" in people and "P3" in people
    signup = ops.signups_of(waiting)[0]
    moved = client.submit(
        f"{base}/{a.id}/people/{signup.id}/move",
        {"target": str(b.id)},
        page=f"{base}/{a.id}/people",
    )
    assert moved.status_code == 303
    db.session.expire_all()
    assert [s.session.title for s in ops.signups_of(waiting)] == ["Wage theft clinic"]


def test_event_page_shows_the_agenda_with_counts_only(agenda, client, db):
    event, occurrence, a, _b, _c = agenda
    rsvp(occurrence, 1, sessions=[a])
    body = client.get(f"/events/{event.id}/occurrences/{occurrence.id}").get_data(as_text=True)
    assert "Agenda" in body and "Know your rights" in body and "1 seat left" in body
    assert ">P1<" not in body and "P1 " not in body and "p1@example.org" not in body


def test_sessions_move_with_their_date_across_a_dst_change(db):
    from datetime import UTC, date, datetime, time

    from coalition.events import occurrences as occurrence_ops
    from coalition.events import operations as event_ops
    from tests.factories import event_input

    # Saturday March 13, 2027, 12:00–14:00 in New York (EST); a workshop 12:30–13:30.
    event = make_event(start_date=date(2027, 3, 13), title="Dialogue")
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:30", "13:30")
    assert workshop.start_at == datetime(2027, 3, 13, 17, 30, tzinfo=UTC)
    # A week later, after the clocks change (EDT): still 12:30–13:30 on the wall clock.
    event_ops.update_event(event, event_input(start_date=date(2027, 3, 20), title="Dialogue"))
    db.session.commit()
    db.session.expire_all()
    assert (workshop.start_at, workshop.end_at) == (
        datetime(2027, 3, 20, 16, 30, tzinfo=UTC),
        datetime(2027, 3, 20, 17, 30, tzinfo=UTC),
    )
    # One date moved by hand an hour later: its session follows by an hour.
    occurrence_ops.override_occurrence(occurrence, occurrence_ops.OccurrenceChange(
        start_date=date(2027, 3, 20), start_time=time(13, 0), end_time=time(15, 0),
        venue="City Hall Plaza", address="1 City Hall Sq", city="Boston"))  # fmt: skip
    db.session.commit()
    db.session.expire_all()
    assert workshop.start_at == datetime(2027, 3, 20, 17, 30, tzinfo=UTC)


def test_the_confirmation_names_the_sessions_chosen_and_where_each_stands(db):
    """Issue 22: the confirmation did not name the session chosen (nor that it waits)."""
    import sqlalchemy as sa

    from coalition.mail.models import OutgoingEmail
    from coalition.rsvps import operations as rsvp_ops
    from tests.factories import make_event
    from tests.sessions.helpers import add_session

    occurrence = make_event(capacity=10).occurrences[0]
    workshop = add_session(occurrence, "Wage theft clinic", "12:00", "13:00", capacity=1)
    talk = add_session(occurrence, "Know your rights", "13:00", "14:00")
    for name, chosen in (("Ana", [workshop, talk]), ("Beto", [workshop])):
        rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(
            name=name, email=f"{name.lower()}@example.org", sessions=chosen))  # fmt: skip
        db.session.commit()
    bodies = {
        m.recipient: m.body_text
        for m in db.session.scalars(
            sa.select(OutgoingEmail).where(OutgoingEmail.kind == "rsvp_confirmation")
        )
    }
    assert "Wage theft clinic" in bodies["ana@example.org"]
    assert "Know your rights" in bodies["ana@example.org"]
    assert "(on the waitlist)" not in bodies["ana@example.org"]
    beto = bodies["beto@example.org"]
    assert "Wage theft clinic (on the waitlist)" in beto, beto


def test_the_page_after_the_form_names_the_session_and_says_waitlist(client, db):
    """Issue 22: the thank-you page never said 'waitlist' for a full session; it says it from
    the session's state before the RSVP (a known contact reads what a stranger reads)."""
    from tests.factories import make_event
    from tests.sessions.helpers import add_session

    event = make_event(capacity=10)
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Wage theft clinic", "12:00", "13:00", capacity=1)
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"

    def answer(name):
        data = {"name": name, "email": f"{name.lower()}@example.org", "phone": "",
                "language": "en", "party_size": "1",
                "session-slot-1": str(workshop.id)}  # fmt: skip
        return client.submit(url, data, page=url).get_data(as_text=True)

    first = answer("Ana")
    assert "Wage theft clinic" in first and "on the waitlist" not in first
    assert "Wage theft clinic (on the waitlist)" in answer("Beto")
    assert "Wage theft clinic (on the waitlist)" in answer("Ana")  # known: the same words
