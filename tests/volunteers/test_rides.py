"""Rides for people who ask for one on their RSVP (issue #22, item 5): the pickup town, matching
by organizers (and drivers where allowed), both told on their channel, the driver seeing a first
name and a town only, and a confirmation before seating riders in a car from another town."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coalition.delegations import operations as delegation_ops
from coalition.mail.models import Channel, OutgoingEmail
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP
from coalition.volunteers import operations as ops
from coalition.volunteers.models import RideAssignment, RoleKind
from tests.factories import OrganizationFactory, link_sent_to, make_event, member_of

RIDER_PHONE = "+16175550123"


@pytest.fixture
def world(db):
    host = OrganizationFactory()
    organizer = member_of(host, OrgRole.organizer, email="host@example.org")
    event = make_event(host, by=organizer, capacity=50, has_rides=True,
                       texts={"en": ("May Day march", ""), "pt": ("Marcha", "")})  # fmt: skip
    occurrence = event.occurrences[0]
    drivers = ops.add_role(occurrence, ops.RoleInput(kind=RoleKind.driver, needed=6))
    db.session.commit()
    base = f"/events/{event.id}/occurrences/{occurrence.id}"
    return event, occurrence, drivers, base


def _driver(drivers, n: int, town: str, seats: int = 3):
    driver, _ = ops.submit(drivers, ops.HelperInput(
        name=f"Ana Driver{n}", email=f"driver{n}@example.org", seats=seats, town=town,
        language="es"))  # fmt: skip
    return driver


def _rider(occurrence, *, town: str, party: int = 2, **contact) -> RSVP:
    contact = contact or {"phone": RIDER_PHONE}
    return rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(
        name="Maria Lopez Santos", language="pt", party_size=party, needs_ride=True,
        ride_from=town, **contact)).rsvp  # fmt: skip


def _messages(kind: str) -> list[OutgoingEmail]:
    from coalition.extensions import db

    return list(db.session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.kind == kind)))


def test_i_need_a_ride_asks_from_which_town(client, world, db):
    _event, _occurrence, _drivers, base = world
    url = f"{base}/rsvp"
    form = {"name": "Maria", "email": "maria@example.org", "language": "en", "party_size": "1",
            "needs_ride": "y", "consents_to_reminders": "y"}  # fmt: skip
    page = client.get(url).get_data(as_text=True)
    assert 'name="ride_from"' in page and "From which town?" in page
    refused = client.submit(url, form, page=url)
    assert refused.status_code == 400
    assert "Say from which town you need a ride." in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0
    assert client.submit(url, {**form, "ride_from": " Worcester "}, page=url).status_code == 200
    rsvp = db.session.scalars(sa.select(RSVP)).one()
    assert (rsvp.needs_ride, rsvp.ride_from) == (True, "Worcester")
    # From the private link the town can change; no ride wanted, no town kept.
    manage = link_sent_to("maria@example.org")
    changed = client.submit(f"{manage}/update", {"party_size": "1", "needs_ride": "y",
                                                 "ride_from": "Lowell"}, page=manage)  # fmt: skip
    assert changed.status_code == 303
    db.session.expire_all()
    assert db.session.get(RSVP, rsvp.id).ride_from == "Lowell"
    client.submit(f"{manage}/update", {"party_size": "1", "ride_from": "Lowell"}, page=manage)
    db.session.expire_all()
    assert db.session.get(RSVP, rsvp.id).ride_from is None


def test_organizers_seat_a_rider_and_both_are_told_the_driver_sees_a_first_name_only(
    client, world, db
):
    _event, occurrence, drivers, base = world
    driver = _driver(drivers, 1, "Worcester", seats=3)
    rider = _rider(occurrence, town="worcester")  # phone only, in Portuguese
    db.session.commit()
    client.login("host@example.org")
    page = client.get(f"{base}/helpers").get_data(as_text=True)
    assert "People who need a ride" in page and "Maria Lopez Santos" in page
    seated = client.submit(f"{base}/riders/{rider.id}/ride", {"driver": str(driver.id)},
                           page=f"{base}/helpers")  # fmt: skip
    assert seated.status_code == 303
    ride = db.session.scalars(sa.select(RideAssignment)).one()
    assert (ride.driver_id, ride.rsvp_id, ride.riders) == (driver.id, rider.id, 2)
    assert ops.seats_taken(driver.id) == 2

    (text,) = _messages("ride_rider")
    assert text.channel == Channel.sms and text.recipient == RIDER_PHONE
    assert "Ana" in text.body_text and "Worcester" in text.body_text
    assert "Driver1" not in text.body_text and "driver1@" not in text.body_text
    assert "carona" in text.body_text.lower()  # Portuguese: "Você tem uma carona..."
    (mail,) = _messages("ride_driver")
    assert mail.channel == Channel.email and mail.recipient == "driver1@example.org"
    for body in (mail.subject, mail.body_text, mail.body_html):
        assert "Lopez" not in body and "Santos" not in body and "0123" not in body
    assert "Maria" in mail.body_text and "worcester" in mail.body_text
    # The driver's private page: the first name and the town, never more.
    manage = client.get(link_sent_to("driver1@example.org", "/help/")).get_data(as_text=True)
    assert "Maria" in manage and "worcester" in manage
    assert "Lopez" not in manage and RIDER_PHONE not in manage and "0123" not in manage

    # A second car for the same rider is refused; a full car too.
    other = _driver(drivers, 2, "Worcester", seats=1)
    db.session.commit()
    again = client.submit(f"{base}/riders/{rider.id}/ride", {"driver": str(other.id)},
                          page=f"{base}/helpers")  # fmt: skip
    assert again.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RideAssignment)) == 1


def test_a_car_from_another_town_asks_for_confirmation(client, world, db):
    _event, occurrence, drivers, base = world
    springfield = _driver(drivers, 1, "Springfield")
    rider = _rider(occurrence, town="Worcester", party=1, email="maria@example.org")
    db.session.commit()
    client.login("host@example.org")
    url = f"{base}/riders/{rider.id}/ride"
    asked = client.submit(url, {"driver": str(springfield.id)}, page=f"{base}/helpers")
    assert asked.status_code == 409
    body = asked.get_data(as_text=True)
    assert "Worcester" in body and "Springfield" in body and 'name="across_towns"' in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RideAssignment)) == 0
    assert _messages("ride_rider") == [] and _messages("ride_driver") == []
    confirmed = client.submit(url, {"driver": str(springfield.id), "across_towns": "y"},
                              page=f"{base}/helpers")  # fmt: skip
    assert confirmed.status_code == 303
    assert db.session.scalar(sa.select(RideAssignment.rsvp_id)) == rider.id
    (mail,) = _messages("ride_rider")
    assert mail.recipient == "maria@example.org" and "Springfield" in mail.body_text
    # The rider's own page says it too: the driver's first name and town.
    client.logout()
    own = client.get(link_sent_to("maria@example.org")).get_data(as_text=True)
    assert "You have a ride: Ana drives you, leaving from Springfield." in own
    assert "Driver1" not in own


def test_a_delegation_in_a_car_from_another_town_asks_for_confirmation(client, world, db):
    _event, occurrence, drivers, base = world
    springfield = _driver(drivers, 1, "Springfield", seats=4)
    delegation = delegation_ops.start(occurrence, delegation_ops.DelegationInput(
        name="Worcester bus", town="Worcester", lead_name="Rosa", lead_email="rosa@example.org",
        expected_headcount=3))  # fmt: skip
    db.session.commit()
    client.login("host@example.org")
    url = f"{base}/helpers/{springfield.id}/rides"
    form = {"ride-delegation": str(delegation.id), "ride-riders": "2"}
    asked = client.submit(url, form, page=f"{base}/helpers")
    assert asked.status_code == 409 and "Worcester" in asked.get_data(as_text=True)
    assert 'name="ride-across_towns"' in asked.get_data(as_text=True)
    assert ops.seats_taken(springfield.id) == 0
    assert client.submit(url, {**form, "ride-across_towns": "y"},
                         page=f"{base}/helpers").status_code == 303  # fmt: skip
    assert ops.seats_taken(springfield.id) == 2


def test_drivers_seat_riders_themselves_only_where_the_organizers_allow_it(client, world, db):
    _event, occurrence, drivers, base = world
    driver = _driver(drivers, 1, "Lowell")
    rider = _rider(occurrence, town="Lowell", party=1)
    db.session.commit()
    manage = link_sent_to("driver1@example.org", "/help/")
    page = client.get(manage).get_data(as_text=True)
    assert "People who need a ride" not in page and "Maria" not in page
    refused = client.submit(f"{manage}/riders/{rider.id}", page=manage)
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RideAssignment)) == 0

    client.login("host@example.org")
    edit = f"{base}/roles/{drivers.id}"
    saved = client.submit(edit, {"kind": "driver", "needed": "3", "riders_by_drivers": "y",
                                 "language_from": "", "language_to": ""}, page=edit)  # fmt: skip
    assert saved.status_code == 303
    client.logout()
    page = client.get(manage).get_data(as_text=True)
    assert "People who need a ride" in page and "Maria, picked up in Lowell" in page
    assert "Lopez" not in page and "0123" not in page
    taken = client.submit(f"{manage}/riders/{rider.id}", page=manage)
    assert taken.status_code == 303
    assert db.session.scalar(sa.select(RideAssignment.driver_id)) == driver.id
    assert len(_messages("ride_rider")) == 1 and len(_messages("ride_driver")) == 1


def test_a_rider_who_cancels_frees_the_seats_and_the_driver_is_told(client, world, db):
    _event, occurrence, drivers, _base = world
    driver = _driver(drivers, 1, "Worcester")
    rider = _rider(occurrence, town="Worcester", party=2)
    ops.assign_rider(driver, rider)
    db.session.commit()
    rsvp_ops.cancel(db.session.get(RSVP, rider.id))
    db.session.commit()
    assert ops.seats_taken(driver.id) == 0
    (mail,) = _messages("ride_driver_ended")
    assert mail.recipient == "driver1@example.org" and "Maria" in mail.body_text
    assert "Lopez" not in mail.body_text


def test_a_driver_who_cancels_leaves_the_rider_told_to_wait_for_another_car(world, db):
    _event, occurrence, drivers, _base = world
    driver = _driver(drivers, 1, "Worcester")
    rider = _rider(occurrence, town="Worcester", party=1, email="maria@example.org")
    ops.assign_rider(driver, rider)
    db.session.commit()
    ops.cancel(driver)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RideAssignment)) == 0
    (mail,) = _messages("ride_rider_ended")
    assert mail.recipient == "maria@example.org" and "Ana" in mail.body_text
    # Still needing a ride, the rider is back on the organizers' list.
    assert [n.rsvp.id for n in ops.rider_needs(occurrence, waiting_only=True)] == [rider.id]


def test_a_party_that_grows_past_the_car_leaves_it_and_both_are_told(world, db):
    _event, occurrence, drivers, _base = world
    driver = _driver(drivers, 1, "Worcester", seats=2)
    rider = _rider(occurrence, town="Worcester", party=1, email="maria@example.org")
    ops.assign_rider(driver, rider)
    db.session.commit()
    rsvp_ops.change(rider, party_size=2, needs_interpretation=False, needs_childcare=False,
                    needs_ride=True, note=None)  # fmt: skip
    assert db.session.scalar(sa.select(RideAssignment.riders)) == 2  # still fits
    rsvp_ops.change(rider, party_size=3, needs_interpretation=False, needs_childcare=False,
                    needs_ride=True, note=None)  # fmt: skip
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RideAssignment)) == 0
    assert len(_messages("ride_rider_ended")) == 1 and len(_messages("ride_driver_ended")) == 1
    # No ride wanted any more: nothing left to release, nobody told twice.
    rsvp_ops.change(rider, party_size=3, needs_interpretation=False, needs_childcare=False,
                    needs_ride=False, note=None)  # fmt: skip
    assert len(_messages("ride_driver_ended")) == 1


def test_an_erased_rider_leaves_nothing_in_the_car(client, world, db):
    _event, occurrence, drivers, _base = world
    driver = _driver(drivers, 1, "Worcester")
    rider = _rider(occurrence, town="Worcester", party=1, email="maria@example.org")
    ops.assign_rider(driver, rider)
    db.session.commit()
    manage = link_sent_to("maria@example.org")
    assert client.submit(f"{manage}/erase", page=manage).status_code == 200
    db.session.expire_all()
    erased = db.session.get(RSVP, rider.id)
    assert (erased.name, erased.ride_from) == (None, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RideAssignment)) == 0
    page = client.get(link_sent_to("driver1@example.org", "/help/")).get_data(as_text=True)
    assert "Maria" not in page
    # What the driver was told when seated was about the rider: blanked with them.
    (seated,) = _messages("ride_driver")
    assert "Maria" not in (seated.body_text or "")


def test_concurrent_seating_never_overfills_a_car_nor_gives_a_rider_two(pg_app, world, db):
    from coalition.extensions import db as _db
    from coalition.volunteers.models import Helper
    from tests.volunteers.test_volunteers import _at_once

    _event, occurrence, drivers, _base = world
    car = _driver(drivers, 1, "Worcester", seats=3)
    riders = [_rider(occurrence, town="Worcester", party=1, email=f"r{n}@example.org")
              for n in range(6)]  # fmt: skip
    second_car = _driver(drivers, 2, "Worcester", seats=3)
    db.session.commit()
    car_id, second_id, rider_ids = car.id, second_car.id, [r.id for r in riders]

    def seat(driver_id, rsvp_id):
        def job():
            ops.assign_rider(_db.session.get(Helper, driver_id), _db.session.get(RSVP, rsvp_id))

        return job

    # Six riders into a three-seat car; and the first rider into the second car at once.
    jobs = [seat(car_id, r) for r in rider_ids] + [seat(second_id, rider_ids[0])]
    outcomes = _at_once(pg_app, jobs)
    assert sorted(outcomes).count("ok") in (3, 4) and set(outcomes) <= {"ok", "refused"}
    db.session.expire_all()
    assert ops.seats_taken(car_id) == 3
    rides = db.session.scalars(sa.select(RideAssignment.rsvp_id)).all()
    assert len(rides) == len(set(rides))  # nobody in two cars


def test_the_helpers_page_reads_a_fixed_number_of_queries_with_riders(client, world, db, queries):
    _event, occurrence, drivers, base = world
    client.login("host@example.org")

    def count() -> int:
        with queries() as statements:
            assert client.get(f"{base}/helpers").status_code == 200
        return len(statements)

    driver = _driver(drivers, 1, "Worcester", seats=10)
    ops.assign_rider(driver, _rider(occurrence, town="Worcester", party=1, email="a@example.org"))
    db.session.commit()
    few = count()
    for n in range(2, 5):
        other = _driver(drivers, n, "Worcester", seats=10)
        ops.assign_rider(other, _rider(occurrence, town="Worcester", party=1,
                                       email=f"r{n}@example.org"))  # fmt: skip
        _rider(occurrence, town="Lowell", party=1, email=f"w{n}@example.org")  # still waiting
    db.session.commit()
    assert count() == few
