"""Series × sessions: a series registration chooses a session on each date that has sessions
(seats and a party-aware waitlist per session), changes it from the series' private page, and
is told where it stands; an organizer switching an event to series mode sees first what happens
to the date RSVPs already made, and those people are told on their channel."""

from datetime import date

import pytest
import sqlalchemy as sa

from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.mail.models import OutgoingEmail
from coalition.rsvps import operations as rsvp_ops
from coalition.sessions import operations as ops
from coalition.sessions import series
from coalition.sessions.models import SeriesMode, SeriesRegistration, SessionSignup, SignupStatus
from tests.factories import link_sent_to, make_event
from tests.sessions.helpers import add_session


def _event(db, mode=SeriesMode.series, capacity=None, parts=3):
    event = make_event(
        title="Diálogo trimestral",
        start_date=date(2027, 3, 4),
        recurrence=RecurrenceSpec(frequency=Frequency.weekly, count=parts),
    )
    if mode is not None:
        series.configure(event, mode, capacity)
    db.session.commit()
    return event


def _with_workshop(event, seats=2):
    """The first date: two tracks at 12:00, a workshop with `seats` at 13:00 (the demo's
    quarterly dialogue, its 25-seat workshop made small)."""
    first = event.occurrences[0]
    english = add_session(first, "English track", "12:00", "12:50")
    spanish = add_session(first, "Pista en español", "12:00", "12:50")
    workshop = add_session(first, "Workshop: speaking to the press", "13:00", "13:50",
                           capacity=seats)  # fmt: skip
    return first, english, spanish, workshop


def _form(name, **extra):
    return {"name": name, "email": f"{name.lower()}@example.org", "language": "en",
            "party_size": "1", "consents_to_reminders": "y", **extra}  # fmt: skip


def _signup(registration, occurrence_id, session):
    rsvp = next(r for r in series.part_rsvps(registration) if r.occurrence_id == occurrence_id)
    from coalition.extensions import db

    return db.session.scalar(
        sa.select(SessionSignup).where(
            SessionSignup.rsvp_id == rsvp.id, SessionSignup.session_id == session.id
        )
    )


def _registration(db, name):
    from coalition.rsvps.models import RSVP

    rsvp = db.session.scalars(sa.select(RSVP).where(RSVP.name == name).order_by(RSVP.id)).first()
    return series._registration_of(rsvp)


def test_the_series_form_offers_each_dated_session_and_the_workshop_is_reachable(client, db):
    event = _event(db)
    first, _english, spanish, workshop = _with_workshop(event, seats=1)
    url = f"/events/{event.id}/series/register"
    page = client.get(url).get_data(as_text=True)
    assert "Workshop: speaking to the press" in page and "Pista en español" in page
    field = f"date-{first.id}-slot-2"
    assert f'name="{field}" value="{workshop.id}"' in page
    sent = client.submit(url, _form("Ana", **{f"date-{first.id}-slot-1": str(spanish.id),
                                              field: str(workshop.id)}), page=url)  # fmt: skip
    assert sent.status_code == 200
    body = sent.get_data(as_text=True)
    # The thank-you page shows what was chosen (only what was typed) and where to learn the rest.
    assert "Workshop: speaking to the press" in body and "Pista en español" in body
    ana = _registration(db, "Ana")
    assert _signup(ana, first.id, workshop).status == SignupStatus.confirmed
    assert _signup(ana, first.id, spanish).status == SignupStatus.confirmed
    # The workshop's one seat is Ana's: Beto waits for it, while his series place is confirmed.
    client.submit(url, _form("Beto", **{field: str(workshop.id)}), page=url)
    beto = _registration(db, "Beto")
    assert beto.status == SignupStatus.confirmed
    assert _signup(beto, first.id, workshop).status == SignupStatus.waitlisted
    # Each private page says where the person stands in each session.
    ana_page = client.get(link_sent_to("ana@example.org", path="/series/")).get_data(as_text=True)
    beto_page = client.get(link_sent_to("beto@example.org", path="/series/")).get_data(as_text=True)
    assert "seat confirmed" in ana_page and "on the session's waitlist" not in ana_page
    assert "on the session's waitlist" in beto_page
    # The confirmation email names the session chosen on that date, and where they stand.
    mail = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "series_confirmation")
        .order_by(OutgoingEmail.id)
    ).all()  # fmt: skip
    assert "Workshop: speaking to the press" in mail[0].body_text
    assert "on the session's waitlist" in mail[1].body_text


def test_a_session_choice_is_refused_with_a_message_and_nothing_saved(client, db):
    event = _event(db)
    first, english, spanish, _workshop = _with_workshop(event)
    url = f"/events/{event.id}/series/register"
    clash = client.submit(url, _form("Ana", **{f"date-{first.id}-slot-1": [str(english.id),
                                                                           str(spanish.id)]}),
                          page=url)  # fmt: skip
    assert clash.status_code == 400
    assert "happen at the same time" in clash.get_data(as_text=True)
    unknown = client.submit(url, _form("Ana", **{f"date-{first.id}-slot-1": "999999"}), page=url)
    assert unknown.status_code == 400
    assert "Choose sessions from the list." in unknown.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeriesRegistration)) == 0


def test_a_registration_waiting_for_the_series_waits_in_its_session_and_takes_the_seat_with_it(db):
    event = _event(db, capacity=1)
    first, _english, _spanish, workshop = _with_workshop(event, seats=5)
    choice = {first.id: [workshop]}
    ana = series.register(event, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"),
                          sessions=choice).registration  # fmt: skip
    beto = series.register(event, rsvp_ops.RSVPInput(name="Beto", email="beto@example.org"),
                           sessions=choice).registration  # fmt: skip
    db.session.commit()
    assert beto.status == SignupStatus.waitlisted
    # The workshop has seats, but Beto has no place in the series yet: he holds none there.
    assert _signup(beto, first.id, workshop).status == SignupStatus.waitlisted
    assert ops.seats_left(workshop) == 4
    series.cancel_all(ana)
    db.session.commit()
    db.session.expire_all()
    assert beto.status == SignupStatus.confirmed
    assert _signup(beto, first.id, workshop).status == SignupStatus.confirmed
    assert _signup(ana, first.id, workshop).status == SignupStatus.cancelled


def test_session_waitlists_of_series_parts_are_party_aware(db):
    """Three seats: a party of 2 holds two; a party of 2 waits; a party of 1 waits behind it
    (nobody jumps the queue); when the first party leaves, both waiting parties fit."""
    event = _event(db)
    first, _english, _spanish, workshop = _with_workshop(event, seats=3)
    choice = {first.id: [workshop]}

    def register(name, party):
        data = rsvp_ops.RSVPInput(name=name, email=f"{name}@example.org", party_size=party)
        return series.register(event, data, sessions=choice).registration

    ana, beto, carla = register("ana", 2), register("beto", 2), register("carla", 1)
    db.session.commit()
    assert _signup(ana, first.id, workshop).status == SignupStatus.confirmed
    assert _signup(beto, first.id, workshop).status == SignupStatus.waitlisted
    assert _signup(carla, first.id, workshop).status == SignupStatus.waitlisted
    ana_first = next(r for r in series.part_rsvps(ana) if r.occurrence_id == first.id)
    series.choose_sessions(ana, ana_first, [])
    db.session.commit()
    db.session.expire_all()
    assert _signup(beto, first.id, workshop).status == SignupStatus.confirmed
    assert _signup(carla, first.id, workshop).status == SignupStatus.confirmed


def test_the_private_page_changes_the_session_of_one_date(client, db):
    event = _event(db)
    first, english, spanish, _workshop = _with_workshop(event)
    url = f"/events/{event.id}/series/register"
    client.submit(url, _form("Ana", **{f"date-{first.id}-slot-1": str(english.id)}), page=url)
    manage = link_sent_to("ana@example.org", path="/series/")
    token = manage.rsplit("/", 1)[1]
    ana = _registration(db, "Ana")
    part = next(r for r in series.part_rsvps(ana) if r.occurrence_id == first.id)
    page = client.get(manage).get_data(as_text=True)
    assert f'action="/series/{token}/dates/{part.id}/sessions"' in page
    saved = client.submit(f"/series/{token}/dates/{part.id}/sessions",
                          {f"date-{first.id}-slot-1": str(spanish.id)}, page=manage)  # fmt: skip
    assert saved.status_code == 303
    db.session.expire_all()
    assert _signup(ana, first.id, english).status == SignupStatus.cancelled
    assert _signup(ana, first.id, spanish).status == SignupStatus.confirmed
    assert "Your sessions are saved." in client.get(manage).get_data(as_text=True)
    # Another registration's date, or a bad token: no change.
    other = series.register(event, rsvp_ops.RSVPInput(name="Beto", email="beto@example.org"))
    db.session.commit()
    beto_part = series.part_rsvps(other.registration)[0]
    assert client.submit(f"/series/{token}/dates/{beto_part.id}/sessions",
                         {f"date-{first.id}-slot-1": str(english.id)},
                         page=manage).status_code == 404  # fmt: skip
    assert client.submit(f"/series/{token}x/dates/{part.id}/sessions",
                         {f"date-{first.id}-slot-1": str(english.id)},
                         page=manage).status_code == 404  # fmt: skip
    # A cancelled date's sessions cannot be chosen any more.
    series.cancel_part(ana, part)
    db.session.commit()
    refused = client.submit(f"/series/{token}/dates/{part.id}/sessions",
                            {f"date-{first.id}-slot-1": str(english.id)}, page=manage)  # fmt: skip
    assert refused.status_code == 303
    assert "This RSVP is cancelled." in client.get(manage).get_data(as_text=True)
    assert _signup(ana, first.id, english).status == SignupStatus.cancelled


def test_an_open_meeting_registration_chooses_sessions_too(db):
    event = _event(db, mode=SeriesMode.open)
    first, english, _spanish, _workshop = _with_workshop(event)
    registration = series.register(
        event, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"),
        sessions={first.id: [english]},
    ).registration  # fmt: skip
    db.session.commit()
    assert _signup(registration, first.id, english).status == SignupStatus.confirmed


# Switching to series mode ---------------------------------------------------------------------


@pytest.fixture
def date_rsvps(db):
    """A repeating event taking RSVPs date by date: two people on the first date (one by
    email, one phone-only in Spanish, her party of 2 on the waitlist), one on the second."""
    event = make_event(
        title="Diálogo trimestral", start_date=date(2027, 3, 4), capacity=2,
        recurrence=RecurrenceSpec(frequency=Frequency.weekly, count=3),
    )  # fmt: skip
    first, second, _third = event.occurrences
    rsvp_ops.submit(first, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org",
                                              party_size=2), notify=False)  # fmt: skip
    rsvp_ops.submit(first, rsvp_ops.RSVPInput(name="Rosa", phone="+16175550123", language="es",
                                              party_size=2), notify=False)  # fmt: skip
    rsvp_ops.submit(second, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"), notify=False)
    db.session.commit()
    return event


def test_switching_to_series_mode_shows_what_happens_to_date_rsvps_before_saving(
    client, db, date_rsvps
):
    event = date_rsvps
    client.login(event.created_by.email)
    url = f"/events/{event.id}/series"
    asked = client.submit(url, {"mode": "series", "capacity": "20"}, page=url)
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Before you save" in page
    first, second, _third = event.occurrences
    # Per date: who holds a seat, who waits, and what happens to them.
    assert f'data-date="{first.id}" data-confirmed="2" data-waitlisted="2"' in page
    assert f'data-date="{second.id}" data-confirmed="1" data-waitlisted="0"' in page
    assert "keep their place" in page
    assert "1 by email" in page and "1 by text message" in page
    assert 'name="confirm"' in page
    assert series.settings_for(event) is None  # nothing saved yet
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingEmail)) == 0

    done = client.submit(url, {"mode": "series", "capacity": "20", "confirm": "y",
                               "seen": "3"}, page=url)  # fmt: skip
    assert done.status_code == 303
    settings = series.settings_for(event)
    assert settings.mode == SeriesMode.series and settings.capacity == 20
    # The RSVPs stay as they were.
    from coalition.rsvps.models import RSVP

    statuses = sorted(s.value for s in db.session.scalars(sa.select(RSVP.status)))
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    # Each person is told once, on their channel, in their language.
    sent = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "series_switched")
    ).all()
    assert sorted(m.channel for m in sent) == ["email", "sms"]
    email = next(m for m in sent if m.channel == "email")
    text = next(m for m in sent if m.channel == "sms")
    assert email.recipient == "ana@example.org"
    assert f"/events/{event.id}/series/register" in email.body_text
    assert email.body_text.count("confirmed") >= 2  # both her dates, each with its status
    assert text.recipient == "+16175550123"
    assert "serie" in text.body_text and "lista de espera" in text.body_text
    assert "We told 2 people" in client.get(url).get_data(as_text=True)


def test_a_switch_asks_again_when_rsvps_came_in_meanwhile(client, db, date_rsvps):
    event = date_rsvps
    client.login(event.created_by.email)
    url = f"/events/{event.id}/series"
    again = client.submit(url, {"mode": "series", "capacity": "", "confirm": "y", "seen": "2"},
                          page=url)  # fmt: skip
    assert again.status_code == 409
    assert "Before you save" in again.get_data(as_text=True)
    assert series.settings_for(event) is None


def test_a_switch_without_date_rsvps_or_to_an_open_meeting_saves_at_once(client, db, date_rsvps):
    event = date_rsvps
    client.login(event.created_by.email)
    url = f"/events/{event.id}/series"
    assert client.submit(url, {"mode": "open", "capacity": ""}, page=url).status_code == 303
    assert series.settings_for(event).mode == SeriesMode.open
    quiet = _event(db, mode=None)
    client.logout()
    client.login(quiet.created_by.email)
    url = f"/events/{quiet.id}/series"
    assert client.submit(url, {"mode": "series", "capacity": ""}, page=url).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingEmail)) == 0


def test_only_date_rsvps_still_ahead_count_and_only_when_becoming_a_series(db, date_rsvps):
    event = date_rsvps
    first, second, _third = event.occurrences
    effects = series.switch_effects(event, SeriesMode.series)
    assert [(e.occurrence.id, e.confirmed, e.waitlisted) for e in effects] == [
        (first.id, 2, 2), (second.id, 1, 0)]  # fmt: skip
    assert [e.occurrence.id for e in series.switch_effects(
        event, SeriesMode.series, now=first.start_at)] == [second.id]  # fmt: skip
    assert series.switch_effects(event, SeriesMode.open) == []
    assert series.switch_effects(event, None) == []
    # Once a series, saving it again (new seats) asks nothing and tells nobody.
    series.configure(event, SeriesMode.series, None)
    db.session.commit()
    assert series.switch_effects(event, SeriesMode.series) == []
