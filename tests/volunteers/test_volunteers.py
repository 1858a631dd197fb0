"""Volunteer roles: signing up to help, rides for delegations, what is still missing, reminders,
erasure, and what anonymous visitors may see (counts, never names)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from coalition.delegations import operations as delegation_ops
from coalition.delegations.models import Delegation
from coalition.erasure import purge_expired
from coalition.extensions import db as _db
from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import OrgRole
from coalition.reminders import operations as reminder_ops
from coalition.reminders.models import Reminder, ReminderKind, ReminderStatus
from coalition.volunteers import operations as ops
from coalition.volunteers.models import Helper, HelperStatus, RideAssignment, RoleKind
from tests.factories import OrganizationFactory, link_sent_to, make_event, member_of

PLANTED_NAME = "Zorblatt Quennington"
PLANTED_EMAIL = "zorblatt.q@example.org"
PLANTED_TOWN = "Plantedville"


@pytest.fixture
def world(db):
    host = OrganizationFactory()
    organizer = member_of(host, OrgRole.organizer, email="host@example.org")
    event = make_event(host, by=organizer, capacity=50)
    occurrence = event.occurrences[0]
    drivers = ops.add_role(occurrence, ops.RoleInput(kind=RoleKind.driver, needed=3,
                                                     town="Springfield"))  # fmt: skip
    interpreters = ops.add_role(occurrence, ops.RoleInput(
        kind=RoleKind.interpreter, needed=1, language_from="en", language_to="ht",
    ))  # fmt: skip
    db.session.commit()
    base = f"/events/{event.id}/occurrences/{occurrence.id}"
    return event, occurrence, drivers, interpreters, base


def _driver(n: int, seats: int = 4, **fields) -> ops.HelperInput:
    fields.setdefault("email", f"driver{n}@example.org")
    return ops.HelperInput(name=f"Driver {n}", seats=seats, town="Springfield", **fields)


def _delegation(occurrence, name: str, headcount: int) -> Delegation:
    return delegation_ops.start(occurrence, delegation_ops.DelegationInput(
        name=name, town="Springfield", lead_name="Lead", lead_email=f"{name}@example.org",
        expected_headcount=headcount,
    ))  # fmt: skip


# Signing up ----------------------------------------------------------------------------------


def test_sign_up_sends_the_private_link_only_to_the_contact(client, world, db):
    _event, _occurrence, drivers, _interpreters, base = world
    page = client.get(f"{base}/help")
    assert page.status_code == 200
    form = {"role": str(drivers.id), "name": "Ana", "email": "ana@example.org",
            "language": "es", "seats": "3", "town": "Springfield",
            "consents_to_reminders": "y"}  # fmt: skip
    answer = client.submit(f"{base}/help", form, page=f"{base}/help")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "a•••@e•••.org" in text
    assert "/help/" not in text  # the link travels only to the contact
    helper = db.session.scalars(sa.select(Helper)).one()
    assert (helper.name, helper.seats, helper.language) == ("Ana", 3, "es")
    link = link_sent_to("ana@example.org", "/help/")
    manage = client.get(link)
    assert manage.status_code == 200
    assert "Ana" in manage.get_data(as_text=True)

    # The same contact again: the same answer, nothing changed, its owner told once.
    again = client.submit(f"{base}/help", {**form, "name": "Someone else"}, page=f"{base}/help")
    assert again.status_code == 200
    assert "a•••@e•••.org" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Helper)) == 1
    kinds = db.session.scalars(sa.select(OutgoingEmail.kind).order_by(OutgoingEmail.id)).all()
    assert kinds.count("helper_confirmation") == 1 and kinds.count("helper_already") == 1


def test_honeypot_bad_input_and_a_full_role(client, world, db):
    _event, _occurrence, _drivers, interpreters, base = world
    bot = client.submit(f"{base}/help", {"role": str(interpreters.id), "name": "Bot",
                                         "email": "bot@example.org", "website": "x"},
                        page=f"{base}/help")  # fmt: skip
    assert bot.status_code == 303
    no_contact = client.submit(f"{base}/help", {"role": str(interpreters.id), "name": "Al"},
                               page=f"{base}/help")  # fmt: skip
    assert no_contact.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Helper)) == 0
    ops.submit(interpreters, ops.HelperInput(name="Jo", email="jo@example.org"))
    db.session.commit()
    with pytest.raises(ops.VolunteerError) as refused:
        ops.submit(interpreters, ops.HelperInput(name="Bo", email="bo@example.org"))
    assert refused.value.status == 409
    db.session.rollback()


def test_the_shift_is_typed_in_the_events_zone_and_stored_in_utc(client, world, db):
    _event, occurrence, *_rest, base = world
    client.login("host@example.org")
    for day, utc_hour in ((date(2027, 1, 15), 13), (date(2027, 7, 15), 12)):  # EST, EDT
        response = client.submit(f"{base}/roles", {
            "kind": "marshal", "needed": "4", "day": day.isoformat(), "start_time": "08:00",
            "end_time": "11:30", "language_from": "", "language_to": "",
        }, page=f"{base}/roles")  # fmt: skip
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        role = ops.roles_of([occurrence.id])[-1]
        assert role.starts_at == datetime.combine(day, time(utc_hour, 0), UTC)
        assert role.ends_at - role.starts_at == timedelta(hours=3, minutes=30)
    bad = client.submit(f"{base}/roles", {"kind": "interpreter", "needed": "1",
                                          "language_from": "en", "language_to": "en"},
                        page=f"{base}/roles")  # fmt: skip
    assert bad.status_code == 400


def test_strangers_cannot_manage_roles_or_see_helpers(client, world, db):
    *_rest, base = world
    for path in (f"{base}/roles", f"{base}/helpers"):
        assert client.get(path).status_code in (302, 403, 404)


# Rides ---------------------------------------------------------------------------------------


def test_a_drivers_seats_cap_the_riders_assigned(world, db):
    _event, occurrence, drivers, *_rest = world
    driver, _ = ops.submit(drivers, _driver(1, seats=4))
    east = _delegation(occurrence, "east", 3)
    west = _delegation(occurrence, "west", 3)
    db.session.commit()
    assert ops.assign_ride(driver, east).riders == 3
    db.session.commit()
    with pytest.raises(ops.VolunteerError) as refused:
        ops.assign_ride(driver, west, 3)
    assert refused.value.status == 409
    db.session.rollback()
    assert ops.assign_ride(driver, west).riders == 1  # as many as fit
    db.session.commit()
    with pytest.raises(ops.VolunteerError):
        ops.assign_ride(driver, west, 1)
    db.session.rollback()
    assert ops.seats_taken(driver.id) == 4
    # A cancelled driver frees the riders (they need another car).
    ops.cancel(driver)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RideAssignment)) == 0


def test_organizers_match_delegations_to_drivers_from_the_helpers_page(client, world, db):
    _event, occurrence, drivers, *_rest, base = world
    driver, _ = ops.submit(drivers, _driver(1, seats=2))
    delegation = _delegation(occurrence, "bus", 5)
    db.session.commit()
    client.login("host@example.org")
    page = client.get(f"{base}/helpers")
    assert page.status_code == 200 and "Driver 1" in page.get_data(as_text=True)
    url = f"{base}/helpers/{driver.id}/rides"
    ok = client.submit(url, {"ride-delegation": str(delegation.id), "ride-riders": "2"},
                       page=f"{base}/helpers")  # fmt: skip
    assert ok.status_code == 303
    over = client.submit(url, {"ride-delegation": str(delegation.id), "ride-riders": "1"},
                         page=f"{base}/helpers")  # fmt: skip
    assert over.status_code == 409
    assert ops.seats_taken(driver.id) == 2


def _at_once(app, jobs) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job):
        barrier.wait()
        with app.app_context():
            try:
                job()
                _db.session.commit()
                result = "ok"
            except ops.VolunteerError:
                _db.session.rollback()
                result = "refused"
            except Exception as exc:  # reported by the assertion
                _db.session.rollback()
                result = repr(exc)
            finally:
                _db.session.remove()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_concurrent_assignments_never_overfill_a_car(pg_app, world, db):
    _event, occurrence, drivers, *_rest = world
    driver, _ = ops.submit(drivers, _driver(1, seats=5))
    delegations = [_delegation(occurrence, f"d{n}", 2) for n in range(12)]
    db.session.commit()
    driver_id = driver.id

    def job(delegation_id):
        def assign():
            ops.assign_ride(_db.session.get(Helper, driver_id),
                            _db.session.get(Delegation, delegation_id), 1)  # fmt: skip

        return assign

    outcomes = _at_once(pg_app, [job(d.id) for d in delegations])
    assert sorted(outcomes) == ["ok"] * 5 + ["refused"] * 7
    db.session.expire_all()
    assert ops.seats_taken(driver_id) == 5


def test_concurrent_sign_ups_never_exceed_what_a_role_needs(pg_app, world, db):
    _event, _occurrence, drivers, *_rest = world
    role_id = drivers.id

    def job(n):
        def sign_up():
            from coalition.volunteers.models import VolunteerRole

            ops.submit(_db.session.get(VolunteerRole, role_id), _driver(n), notify=False)

        return sign_up

    outcomes = _at_once(pg_app, [job(n) for n in range(20)])
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 17
    db.session.expire_all()
    assert ops.signed_up_count(role_id) == 3


# What is still missing -----------------------------------------------------------------------


def test_the_dashboard_says_what_is_still_needed(client, world, db):
    _event, occurrence, drivers, interpreters, base = world
    client.login("host@example.org")
    page = client.get(f"{base}/attendees").get_data(as_text=True)
    assert "3 drivers from Springfield" in page
    assert "1 Haitian Creole interpreter" in page
    ops.submit(drivers, _driver(1))
    db.session.commit()
    page = client.get(f"{base}/attendees").get_data(as_text=True)
    assert "2 drivers from Springfield, 1 Haitian Creole interpreter" in page
    ops.submit(drivers, _driver(2))
    ops.submit(interpreters, ops.HelperInput(name="Jo", email="jo@example.org"))
    db.session.commit()
    assert ops.still_needed(occurrence) == ["1 driver from Springfield"]
    counts = {c.role.id: (c.signed_up, c.spots_left) for c in ops.role_counts([occurrence.id])}
    assert counts == {drivers.id: (2, 1), interpreters.id: (1, 0)}
    with force_locale("es"):
        assert ops.still_needed(occurrence) == ["1 conductor desde Springfield"]


def test_organizers_message_the_helpers_of_one_role(client, world, db, smtp, deliver):
    _event, _occurrence, drivers, interpreters, base = world
    ops.submit(drivers, _driver(1))
    ops.submit(interpreters, ops.HelperInput(name="Jo", email="jo@example.org"))
    db.session.commit()
    client.login("host@example.org")
    url = f"{base}/roles/{drivers.id}/message"
    response = client.submit(url, {"audience": str(drivers.id), "subject_en": "Parking",
                                   "body_en": "Use lot B."}, page=url)  # fmt: skip
    assert response.status_code == 302
    deliver()
    to = [r for r, m in smtp.messages if m["Subject"] == "Parking"]
    assert to == [["driver1@example.org"]]


# Reminders and erasure -----------------------------------------------------------------------


def test_helper_reminders_are_scheduled_and_sent(world, db, smtp, deliver):
    _event, occurrence, drivers, *_rest = world
    helper, _ = ops.submit(drivers, _driver(1))
    db.session.commit()
    reminders = db.session.scalars(
        sa.select(Reminder).where(Reminder.helper_id == helper.id).order_by(Reminder.due_at)
    ).all()
    assert [r.kind for r in reminders] == [ReminderKind.helper] * 2
    assert [occurrence.start_at - r.due_at for r in reminders] == [
        timedelta(days=1), timedelta(hours=2)
    ]  # fmt: skip
    report = reminder_ops.send_due(now=occurrence.start_at - timedelta(days=1))
    assert report.queued == 1
    deliver()
    sent = [m for r, m in smtp.messages if r == ["driver1@example.org"]
            and m["Subject"].startswith("Reminder")]  # fmt: skip
    assert len(sent) == 1
    assert sent[0]["List-Unsubscribe"].strip().startswith("<http://localhost/help/")
    # Cancelling cancels what is still pending.
    ops.cancel(helper)
    db.session.commit()
    statuses = db.session.scalars(
        sa.select(Reminder.status).where(Reminder.helper_id == helper.id)
    ).all()
    assert sorted(statuses) == [ReminderStatus.cancelled, ReminderStatus.queued]


def test_erasure_leaves_counts_only(client, world, db):
    _event, occurrence, drivers, *_rest = world
    ops.submit(drivers, _driver(1, email="gone@example.org"))
    ops.submit(drivers, _driver(2, email="later@example.org"))
    db.session.commit()
    link = link_sent_to("gone@example.org", "/help/")
    response = client.submit(f"{link}/erase", page=link)
    assert response.status_code == 200
    assert client.get(link).status_code == 404
    db.session.expire_all()
    gone = db.session.scalar(sa.select(Helper).where(Helper.erased_at.is_not(None)))
    assert (gone.name, gone.email, gone.phone, gone.town) == (None, None, None, None)
    assert gone.status == HelperStatus.cancelled
    assert all(m.recipient == "" for m in db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.helper_id == gone.id)))  # fmt: skip

    # The daily purge, after the date: the other helper too, while the counts stay.
    purge_expired(now=occurrence.end_at + timedelta(days=60))
    db.session.expire_all()
    helpers = db.session.scalars(sa.select(Helper)).all()
    assert all(h.name is None and h.email is None and h.erased_at for h in helpers)
    assert ops.signed_up_count(drivers.id) == 1
    assert {h.seats for h in helpers} == {4}


# What anonymous visitors see -----------------------------------------------------------------


def test_no_helper_names_or_contacts_in_anonymous_output(client, world, db):
    event, _occurrence, drivers, _interpreters, base = world
    ops.submit(drivers, ops.HelperInput(name=PLANTED_NAME, email=PLANTED_EMAIL, seats=3,
                                        town=PLANTED_TOWN, note=PLANTED_NAME))  # fmt: skip
    db.session.commit()
    pages = [
        f"/events/{event.id}", base, f"{base}/help", f"/api/v1/events/{event.id}",
        "/api/v1/events", f"/events/{event.id}/feed.ics", "/", "/calendar",
    ]  # fmt: skip
    seen = ""
    for path in pages:
        response = client.get(path)
        seen += response.get_data(as_text=True)
    for secret in (PLANTED_NAME, PLANTED_EMAIL, PLANTED_TOWN, "zorblatt"):
        assert secret.lower() not in seen.lower()
    page = client.get(base).get_data(as_text=True)
    assert "Help needed" in page and "2 of 3 still needed" in page
    # The cached public page follows a new sign-up at once (the calendar version).
    ops.submit(drivers, _driver(2))
    db.session.commit()
    assert "1 of 3 still needed" in client.get(base).get_data(as_text=True)


def test_the_api_lists_roles_and_takes_sign_ups(client, world, db):
    event, _occurrence, drivers, interpreters, _base = world
    data = client.get(f"/api/v1/events/{event.id}").get_json()
    roles = {r["id"]: r for r in data["roles"]}
    assert roles[drivers.id]["spots_left"] == 3 and roles[drivers.id]["town"] == "Springfield"
    assert roles[interpreters.id]["languages"] == ["en", "ht"]
    url = f"/api/v1/events/{event.id}/roles/{drivers.id}/helpers"
    body = {"name": "Lu", "email": "lu@example.org", "seats": 2, "town": "Springfield"}
    first = client.post(url, json=body)
    second = client.post(url, json={**body, "name": "Other"})
    assert first.status_code == second.status_code == 202
    assert first.get_json()["sent_to"] == second.get_json()["sent_to"] == "l•••@e•••.org"
    assert client.get(f"/api/v1/events/{event.id}").get_json()["roles"][0]["spots_left"] == 2
    assert client.post(url, json={"name": "No contact"}).status_code == 400
    assert client.post(f"/api/v1/events/{event.id}/roles/999/helpers", json=body).status_code == 404


def test_the_roles_match_the_openapi_document(client, world, db):
    from openapi_schema_validator import OAS31Validator

    event, *_rest = world
    document = client.get("/api/openapi.json").get_json()
    detail = client.get(f"/api/v1/events/{event.id}").get_json()
    OAS31Validator({**document, "$ref": "#/components/schemas/EventDetail"}).validate(detail)
    assert len(detail["roles"]) == 2


def test_the_helpers_page_reads_a_fixed_number_of_queries(client, world, db, queries):
    _event, occurrence, drivers, _interpreters, base = world
    client.login("host@example.org")

    def count() -> int:
        with queries() as statements:
            assert client.get(f"{base}/helpers").status_code == 200
        return len(statements)

    first, _ = ops.submit(drivers, _driver(1, seats=10))
    ops.assign_ride(first, _delegation(occurrence, "first", 2))
    db.session.commit()
    few = count()
    for n in range(2, 4):
        helper, _ = ops.submit(drivers, _driver(n, seats=10))
        ops.assign_ride(helper, _delegation(occurrence, f"more{n}", 2))
    db.session.commit()
    assert count() == few


def test_helpers_hear_when_their_date_is_cancelled(world, db, smtp, deliver):
    from coalition.events import occurrences as occurrence_ops

    _event, occurrence, drivers, *_rest = world
    helper, _ = ops.submit(drivers, _driver(1))
    db.session.commit()
    occurrence_ops.cancel_occurrence(occurrence, "Storm warning")
    db.session.commit()
    deliver()
    (message,) = [m for r, m in smtp.messages if m["Subject"].startswith("Cancelled")]
    assert "Storm warning" in message.get_body(preferencelist=("plain",)).get_content()
    pending = db.session.scalars(
        sa.select(Reminder).where(
            Reminder.helper_id == helper.id, Reminder.status == ReminderStatus.pending
        )
    ).all()
    assert pending == []


# Moving the date ---------------------------------------------------------------------------


def _pending_due(helper) -> list[datetime]:
    return sorted(_db.session.scalars(
        sa.select(Reminder.due_at).where(Reminder.helper_id == helper.id,
                                         Reminder.status == ReminderStatus.pending)
    ))  # fmt: skip


def test_a_shift_moves_with_its_date_across_a_dst_change(db):
    from coalition.events import occurrences as occurrence_ops
    from coalition.events import operations as event_ops
    from tests.factories import event_input

    # Saturday March 13, 2027, 12:00–14:00 in New York (EST, UTC−5); set-up 10:30–12:00.
    event = make_event(start_date=date(2027, 3, 13), title="March")
    occurrence = event.occurrences[0]
    setup = ops.add_role(occurrence, ops.RoleInput(
        kind=RoleKind.setup, needed=2, start_time=time(10, 30), end_time=time(12, 0)))  # fmt: skip
    unshifted = ops.add_role(occurrence, ops.RoleInput(kind=RoleKind.marshal, needed=2))
    helper, _ = ops.submit(setup, ops.HelperInput(name="Rosa", email="rosa@example.org"))
    db.session.commit()
    assert setup.starts_at == datetime(2027, 3, 13, 15, 30, tzinfo=UTC)
    assert _pending_due(helper) == [datetime(2027, 3, 12, 15, 30, tzinfo=UTC),
                                    datetime(2027, 3, 13, 13, 30, tzinfo=UTC)]  # fmt: skip

    # A week later, after the clocks change (EDT, UTC−4): still 10:30–12:00 on the wall clock.
    event_ops.update_event(event, event_input(start_date=date(2027, 3, 20), title="March"))
    db.session.commit()
    db.session.expire_all()
    assert occurrence.start_at == datetime(2027, 3, 20, 16, 0, tzinfo=UTC)
    assert (setup.starts_at, setup.ends_at) == (
        datetime(2027, 3, 20, 14, 30, tzinfo=UTC),
        datetime(2027, 3, 20, 16, 0, tzinfo=UTC),
    )
    assert unshifted.starts_at is None and unshifted.shift_start == occurrence.start_at
    assert _pending_due(helper) == [datetime(2027, 3, 19, 14, 30, tzinfo=UTC),
                                    datetime(2027, 3, 20, 12, 30, tzinfo=UTC)]  # fmt: skip

    # One date moved by hand, an hour later: the shift follows by an hour.
    occurrence_ops.override_occurrence(occurrence, occurrence_ops.OccurrenceChange(
        start_date=date(2027, 3, 20), start_time=time(13, 0), end_time=time(15, 0),
        venue="City Hall Plaza", address="1 City Hall Sq", city="Boston"))  # fmt: skip
    db.session.commit()
    db.session.expire_all()
    assert (setup.starts_at, setup.ends_at) == (
        datetime(2027, 3, 20, 15, 30, tzinfo=UTC),
        datetime(2027, 3, 20, 17, 0, tzinfo=UTC),
    )
    assert _pending_due(helper)[-1] == datetime(2027, 3, 20, 13, 30, tzinfo=UTC)
