"""Quiet hours are 21:00-08:00 on the wall clock of the event's zone, across DST changes."""

from datetime import UTC, datetime

import pytest

from coalition.sms.quiet_hours import quiet_until

NY = "America/New_York"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Winter (EST, UTC-5): 20:59 is fine, 21:00 waits for 08:00 = 13:00 UTC.
        (datetime(2026, 1, 15, 1, 59, tzinfo=UTC), None),
        (datetime(2026, 1, 15, 2, 0, tzinfo=UTC), datetime(2026, 1, 15, 13, 0, tzinfo=UTC)),
        (datetime(2026, 1, 15, 12, 59, tzinfo=UTC), datetime(2026, 1, 15, 13, 0, tzinfo=UTC)),
        (datetime(2026, 1, 15, 13, 0, tzinfo=UTC), None),
        # The night clocks spring forward (8 March 2026): 08:00 EDT is 12:00 UTC.
        (datetime(2026, 3, 8, 4, 0, tzinfo=UTC), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        (datetime(2026, 3, 8, 7, 30, tzinfo=UTC), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        # 21:00 EDT on the Saturday before they fall back (31 October 2026) is 01:00 UTC;
        # the night is an hour longer: 08:00 EST on 1 November is 13:00 UTC.
        (datetime(2026, 11, 1, 1, 0, tzinfo=UTC), datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
        (datetime(2026, 11, 1, 0, 59, tzinfo=UTC), None),
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_follow_the_wall_clock(moment, expected):
    assert quiet_until(moment, NY) == expected


def test_quiet_hours_are_the_events_zone_not_the_servers():
    # 03:00 UTC is 22:00 in New York (quiet) but 19:00 in Los Angeles (not quiet).
    moment = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)
    assert quiet_until(moment, NY) is not None
    assert quiet_until(moment, "America/Los_Angeles") is None
