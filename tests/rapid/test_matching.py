"""Who is alerted: town, role, language, paused, weekly hours in the responder's zone (DST)."""

from datetime import UTC, datetime

import pytest

from coalition.rapid.availability import HoursError, is_available, parse_hours
from coalition.rapid.models import Alert
from coalition.rapid.operations import matching
from tests.rapid.conftest import NY, add_responder, phone

MONDAY_EVENINGS = [[0, "18:00", "23:00"]]


def test_weekly_hours_are_read_in_several_languages():
    assert parse_hours("Mon-Wed 18:00-23:00; sáb 8-20") == [
        [0, "18:00", "23:00"], [1, "18:00", "23:00"], [2, "18:00", "23:00"], [5, "08:00", "20:00"],
    ]  # fmt: skip
    assert parse_hours("Fri-Mon 22:00-06:00")[-1] == [0, "22:00", "06:00"]
    with pytest.raises(HoursError):
        parse_hours("someday 5-7")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Standard time (EST, UTC-5): 18:00 local is 23:00 UTC.
        (datetime(2027, 3, 8, 22, 30, tzinfo=UTC), False),  # 17:30 EST
        (datetime(2027, 3, 8, 23, 30, tzinfo=UTC), True),  # 18:30 EST
        # Daylight time from 14 March 2027 (EDT, UTC-4): 18:00 local is 22:00 UTC.
        (datetime(2027, 3, 15, 22, 30, tzinfo=UTC), True),  # 18:30 EDT
        (datetime(2027, 3, 16, 2, 30, tzinfo=UTC), True),  # 22:30 EDT, Monday still
        (datetime(2027, 3, 16, 3, 30, tzinfo=UTC), False),  # 23:30 EDT
        # Back to standard time on 7 November 2027.
        (datetime(2027, 11, 8, 22, 30, tzinfo=UTC), False),  # 17:30 EST
        (datetime(2027, 11, 8, 23, 5, tzinfo=UTC), True),  # 18:05 EST
    ],
)
def test_weekly_hours_follow_the_responders_wall_clock_across_dst(moment, expected):
    assert is_available(always=False, hours=MONDAY_EVENINGS, zone=NY, at=moment) is expected


def test_night_hours_run_past_midnight_in_the_responders_own_zone():
    nights = [[4, "22:00", "06:00"]]  # Friday night to Saturday morning, in Lisbon
    saturday_3am_lisbon = datetime(2027, 7, 10, 2, 0, tzinfo=UTC)  # WEST = UTC+1
    assert is_available(always=False, hours=nights, zone="Europe/Lisbon", at=saturday_3am_lisbon)
    later = datetime(2027, 7, 10, 6, 30, tzinfo=UTC)  # 07:30 in Lisbon, 02:30 in New York
    assert not is_available(always=False, hours=nights, zone="Europe/Lisbon", at=later)
    assert is_available(always=False, hours=nights, zone=NY, at=later)


def test_matching_by_town_role_language_availability_and_pause(org):
    at = datetime(2027, 3, 15, 22, 30, tzinfo=UTC)  # Monday 18:30 EDT
    near = add_responder(org, phone=phone(1), towns=("Springfield", "Holyoke"))
    nearest = add_responder(org, phone=phone(2), towns=("Holyoke", "Springfield"))
    add_responder(org, phone=phone(3), towns=("Amherst",))
    add_responder(org, phone=phone(4), towns=("Holyoke",), paused=True)
    add_responder(org, phone=phone(5), towns=("holyoke",), roles=("driver",))
    add_responder(org, phone=phone(6), towns=("Holyoke",), languages=("en",))
    evenings = add_responder(org, phone=phone(7), towns=("Holyoke",), always=False,
                             hours=MONDAY_EVENINGS)  # fmt: skip
    add_responder(org, phone=phone(8), towns=("Holyoke",), always=False,
                  hours=[[1, "18:00", "23:00"]])  # fmt: skip
    alert = Alert(org_id=org.id, town="  HOLYOKE ", roles=["responder", "interpreter"],
                  language="es")  # fmt: skip
    found = matching(alert, at)
    # The town first in their list comes first (their nearest), then the others.
    assert [r.id for r in found] == [nearest.id, evenings.id, near.id]
    anyone = Alert(org_id=org.id, town="Holyoke", roles=[], language="")
    assert len(matching(anyone, at)) == 5
