"""Series registration: one registration for every part, capacity per series, a reminder
before each part, attendance per part and "came to all"; and an open meeting's "all dates"."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from coalition.dashboard import operations as dashboard_ops
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.mail.models import OutgoingEmail
from coalition.reminders.models import Reminder
from coalition.reminders.operations import send_due
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.sessions import series
from coalition.sessions.models import SeriesMode, SeriesRegistration, SignupStatus
from tests.factories import link_sent_to, make_event


def _series_event(db, mode=SeriesMode.series, capacity=2, parts=3):
    event = make_event(
        title="Taller en español",
        start_date=date(2027, 3, 4),  # three Thursdays across the DST change of March 14
        recurrence=RecurrenceSpec(frequency=Frequency.weekly, count=parts),
        reminder_offsets=[1440],
    )
    series.configure(event, mode, capacity)
    db.session.commit()
    return event


def _register(event, name, **fields):
    outcome = series.register(
        event, rsvp_ops.RSVPInput(name=name, email=f"{name.lower()}@example.org", **fields)
    )
    from coalition.extensions import db

    db.session.commit()
    return outcome.registration


def test_one_registration_covers_every_part_with_a_reminder_before_each(db, app):
    event = _series_event(db)
    ana = _register(event, "Ana")
    _register(event, "Beto")
    carla = _register(event, "Carla")  # past the series' two seats: waits as a whole
    assert ana.status == SignupStatus.confirmed and carla.status == SignupStatus.waitlisted
    occurrences = event.occurrences
    assert len(occurrences) == 3
    # Counts in each part: two confirmed people per date, one waiting.
    for occurrence in occurrences:
        counts = dashboard_ops.counts(occurrence)
        assert counts.headcount == 2
        assert counts.by_status["waitlisted"]["people"] == 1
    # One reminder row per part for a confirmed registration, each a day before its part.
    ana_parts = series.part_rsvps(ana)
    due = sorted(
        db.session.scalars(
            sa.select(Reminder.due_at).where(Reminder.rsvp_id.in_([r.id for r in ana_parts]))
        )
    )
    assert due == [o.start_at - timedelta(days=1) for o in occurrences]
    # The worker sends exactly one reminder before each part, for each confirmed person.
    for occurrence in occurrences:
        send_due(now=occurrence.start_at - timedelta(hours=23))
    sent = db.session.scalars(
        sa.select(OutgoingEmail.rsvp_id).where(OutgoingEmail.kind == "reminder")
    ).all()
    assert sorted(sent) == sorted(r.id for r in ana_parts + series.part_rsvps(_by_name(db, "Beto")))
    # Carla (waiting) got none; one confirmation mail each, not one per part.
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(OutgoingEmail)
        .where(OutgoingEmail.kind == "series_confirmation")
    ) == 3  # fmt: skip


def _by_name(db, name):
    rsvp = db.session.scalars(sa.select(RSVP).where(RSVP.name == name)).first()
    return series._registration_of(rsvp)


def test_cancelling_all_promotes_the_next_registration_for_every_part(db):
    event = _series_event(db)
    ana = _register(event, "Ana")
    _register(event, "Beto")
    carla = _register(event, "Carla")
    series.cancel_all(ana)
    db.session.commit()
    db.session.expire_all()
    assert carla.status == SignupStatus.confirmed
    assert {r.status for r in series.part_rsvps(carla)} == {RSVPStatus.confirmed}
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(Reminder)
        .where(Reminder.rsvp_id.in_([r.id for r in series.part_rsvps(carla)]))
    ) == 3  # fmt: skip
    assert {r.status for r in series.part_rsvps(ana)} == {RSVPStatus.cancelled}


def test_a_date_freed_by_a_single_cancellation_does_not_split_a_waiting_registration(db):
    event = _series_event(db)
    ana = _register(event, "Ana")
    _register(event, "Beto")
    carla = _register(event, "Carla")
    series.cancel_part(ana, series.part_rsvps(ana)[0])
    db.session.commit()
    db.session.expire_all()
    assert {r.status for r in series.part_rsvps(carla)} == {RSVPStatus.waitlisted}
    assert [r.status for r in series.part_rsvps(ana)] == [
        RSVPStatus.cancelled, RSVPStatus.confirmed, RSVPStatus.confirmed]  # fmt: skip


def test_attendance_per_part_and_came_to_all(db):
    event = _series_event(db, capacity=None)
    ana, beto = _register(event, "Ana"), _register(event, "Beto")
    first, second, _third = event.occurrences
    for rsvp in series.part_rsvps(ana)[:2] + series.part_rsvps(beto)[:1]:
        dashboard_ops.toggle_check_in(rsvp)
    db.session.commit()
    result = series.attendance(event, now=second.end_at)
    assert result["per_date"][first.id] == (2, 2)
    assert result["per_date"][second.id] == (2, 1)
    assert result["registrations"] == 2
    assert result["with_held_parts"] == 2 and result["came_to_all"] == 1


def test_series_pages(client, db):
    event = _series_event(db)
    occurrence = event.occurrences[0]
    single = client.get(f"/events/{event.id}/occurrences/{occurrence.id}/rsvp")
    assert single.status_code == 303 and single.headers["Location"].endswith("/series/register")
    url = f"/events/{event.id}/series/register"
    form = {"name": "Lupe", "email": "lupe@example.org", "language": "es", "party_size": "1",
            "consents_to_reminders": "y"}  # fmt: skip
    first = client.submit(url, form, page=url)
    assert first.status_code == 200 and "l•••@e•••.org" in first.get_data(as_text=True)
    again = client.submit(url, form, page=url)  # the same contact: nothing changes
    assert again.status_code == 200
    assert again.get_data(as_text=True).count("l•••@e•••.org") == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeriesRegistration)) == 1
    manage = link_sent_to("lupe@example.org", path="/series/")
    page = client.get(manage)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    token = manage.rsplit("/", 1)[1]
    registration = db.session.scalar(sa.select(SeriesRegistration))
    part = series.part_rsvps(registration)[1]
    done = client.submit(f"/series/{token}/dates/{part.id}/cancel", {}, page=manage)
    assert done.status_code == 303
    db.session.expire_all()
    assert [r.status for r in series.part_rsvps(registration)] == [
        RSVPStatus.confirmed, RSVPStatus.cancelled, RSVPStatus.confirmed]  # fmt: skip
    assert client.submit(f"/series/{token}/cancel", {}, page=manage).status_code == 303
    db.session.expire_all()
    assert {r.status for r in series.part_rsvps(registration)} == {RSVPStatus.cancelled}
    erased = client.submit(f"/series/{token}/erase", {}, page=manage)
    assert erased.status_code == 200
    assert client.get(manage).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP).where(
        RSVP.name.is_not(None))) == 0  # fmt: skip


def test_open_meeting_all_dates(client, db):
    event = _series_event(db, mode=SeriesMode.open, capacity=None)
    occurrence = event.occurrences[1]
    # A single date still works as for any event, and the page offers "every date".
    page = client.get(f"/events/{event.id}/occurrences/{occurrence.id}").get_data(as_text=True)
    assert "RSVP for every date" in page
    registration = _register(event, "Ana")
    assert [r.status for r in series.part_rsvps(registration)] == [RSVPStatus.confirmed] * 3
    assert registration.mode == SeriesMode.open


@pytest.mark.parametrize("mode", [SeriesMode.series, SeriesMode.open])
def test_organizer_settings_and_attendance_page(client, db, mode):
    event = _series_event(db, mode=mode)
    _register(event, "Ana")
    client.login(event.created_by.email)
    url = f"/events/{event.id}/series"
    body = client.get(url).get_data(as_text=True)
    assert 'class="registrations">1<' in body
    saved = client.submit(url, {"mode": "", "capacity": ""}, page=url)
    assert saved.status_code == 303
    assert series.settings_for(event) is None


def test_a_series_takes_no_single_date_rsvp_through_the_api_either(client, db):
    event = _series_event(db)
    body = {"name": "Rosa", "email": "rosa@example.org",
            "occurrence": event.occurrences[0].start_at.isoformat()}  # fmt: skip
    refused = client.post(f"/api/v1/events/{event.id}/rsvps", json=body)
    assert refused.status_code == 409
    assert "whole series" in refused.get_json()["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0


def test_a_series_registration_needs_an_email_for_its_private_link(db):
    event = _series_event(db)
    try:
        series.register(event, rsvp_ops.RSVPInput(name="Rosa", phone="+16175550100"))
    except rsvp_ops.RSVPError as exc:
        assert exc.field == "email"
    else:
        raise AssertionError("a phone-only registration would never get its link")


@pytest.mark.parametrize("mode", [SeriesMode.open, SeriesMode.series])
def test_dates_materialized_later_join_every_date_registrations(db, mode):
    """An open-ended series is materialized 400 days ahead; the worker's daily job adds the
    next dates, and "every date" registrations (and whole-series ones) get them, with a
    reminder before each."""
    from coalition.db import utcnow
    from coalition.events import operations as event_ops
    from coalition.events.recurrence import HORIZON

    start = (utcnow() + timedelta(days=7)).date()
    weekly = RecurrenceSpec(frequency=Frequency.weekly, open_ended=True)
    event = make_event(
        title="Every Thursday", start_date=start, reminder_offsets=[1440], recurrence=weekly
    )
    series.configure(event, mode, None)
    db.session.commit()
    ana = _register(event, "Ana")
    beto = _register(event, "Beto")
    gone = _register(event, "Gone")
    series.cancel_part(ana, series.part_rsvps(ana)[0])  # one date off: still every date after
    series.cancel_all(gone)
    db.session.commit()
    known = {o.id for o in event.occurrences}
    parts_before = len(series.part_rsvps(ana))

    assert event_ops.extend_series(now=utcnow() + timedelta(days=21)) == 1
    db.session.commit()
    db.session.expire_all()
    new = [o for o in event.occurrences if o.id not in known]
    assert len(new) >= 2 and all(o.start_at > utcnow() + HORIZON for o in new)
    for registration in (ana, beto):
        parts = series.part_rsvps(registration)
        added = [r for r in parts if r.occurrence_id not in known]
        assert [r.occurrence_id for r in added] == [o.id for o in new]
        assert {r.status for r in added} == {RSVPStatus.confirmed}
        due = sorted(db.session.scalars(
            sa.select(Reminder.due_at).where(Reminder.rsvp_id.in_([r.id for r in added]))
        ))  # fmt: skip
        assert due == [o.start_at - timedelta(days=1) for o in new]
    assert len(series.part_rsvps(ana)) == parts_before + len(new)
    assert not [r for r in series.part_rsvps(gone) if r.occurrence_id not in known]
    # Run twice: nothing more.
    assert event_ops.extend_series(now=utcnow() + timedelta(days=21)) == 0
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(RSVP).where(RSVP.occurrence_id == new[0].id)
    ) == 2  # fmt: skip


def test_a_waitlisted_series_registration_is_told_it_waits(db):
    """Issue 22: a waitlisted registration got the subject "Estás inscrito(a)"."""
    event = _series_event(db, capacity=1)
    _register(event, "Ana", language="es")
    carla = _register(event, "Carla", language="es")
    assert carla.status == SignupStatus.waitlisted
    subjects = dict(
        db.session.execute(
            sa.select(OutgoingEmail.recipient, OutgoingEmail.subject).where(
                OutgoingEmail.kind == "series_confirmation"
            )
        ).all()
    )
    assert "lista de espera" in subjects["carla@example.org"].lower()
    assert "inscri" not in subjects["carla@example.org"].lower()
    assert "lista de espera" not in subjects["ana@example.org"].lower()


def test_the_page_after_registering_says_waitlist_when_the_series_is_full(client, db):
    event = _series_event(db, capacity=1)
    url = f"/events/{event.id}/series/register"
    data = {"name": "Ana", "email": "ana@example.org", "language": "es", "party_size": "1",
            "consents_to_reminders": "y"}  # fmt: skip
    line = "The series is full: a new registration goes on its waitlist."
    assert line not in client.submit(url, data, page=url).get_data(as_text=True)
    beto = client.submit(url, {**data, "name": "Beto", "email": "beto@example.org"}, page=url)
    assert line in beto.get_data(as_text=True)
    # Ana (already registered, confirmed) reads what a stranger reads.
    assert line in client.submit(url, data, page=url).get_data(as_text=True)
