"""Recurrence: stored as an RRULE in the event's zone; local times survive DST."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from coalition.events import occurrences as occurrence_ops
from coalition.events import operations as ops
from coalition.events.recurrence import (
    Frequency,
    RecurrenceError,
    RecurrenceSpec,
    build_rrule,
    expand,
    validate_rrule,
)
from tests.factories import make_event

NY = ZoneInfo("America/New_York")


def test_weekly_meeting_keeps_7pm_local_across_the_november_dst_change():
    start = datetime(2026, 10, 22, 19, 0, tzinfo=NY)
    rule = build_rrule(RecurrenceSpec(Frequency.weekly, count=4), start)
    assert rule == "FREQ=WEEKLY;COUNT=4;BYDAY=TH"
    starts = expand(rule, start)
    assert [s.hour for s in starts] == [19, 19, 19, 19]
    # Nov 1, 2026: clocks go back; 19:00 EDT is 23:00 UTC, 19:00 EST is 00:00 UTC.
    assert [s.astimezone(UTC).hour for s in starts] == [23, 23, 0, 0]


def test_fourth_thursday_of_every_month():
    start = datetime(2026, 10, 22, 18, 30, tzinfo=NY)
    rule = build_rrule(RecurrenceSpec(Frequency.monthly_weekday, count=5), start)
    assert rule == "FREQ=MONTHLY;COUNT=5;BYDAY=4TH"
    days = [s.date() for s in expand(rule, start)]
    assert days == [
        date(2026, 10, 22),
        date(2026, 11, 26),
        date(2026, 12, 24),
        date(2027, 1, 28),
        date(2027, 2, 25),
    ]
    assert all(d.weekday() == 3 for d in days)


def test_last_friday_and_quarterly():
    start = datetime(2026, 10, 30, 17, 0, tzinfo=NY)  # the last Friday of October
    rule = build_rrule(RecurrenceSpec(Frequency.monthly_weekday, count=3), start)
    assert "BYDAY=-1FR" in rule
    assert [s.date() for s in expand(rule, start)] == [
        date(2026, 10, 30),
        date(2026, 11, 27),
        date(2026, 12, 25),
    ]
    quarterly = build_rrule(RecurrenceSpec(Frequency.quarterly_date, count=3), start)
    assert [s.month for s in expand(quarterly, start)] == [10, 1, 4]


def test_every_other_week_until_a_date_uses_a_utc_until():
    start = datetime(2027, 3, 1, 9, 0, tzinfo=NY)
    rule = build_rrule(RecurrenceSpec(Frequency.weekly, interval=2, until=date(2027, 3, 29)), start)
    # 23:59:59 EDT on March 29 is 03:59:59 UTC on March 30.
    assert rule == "FREQ=WEEKLY;UNTIL=20270330T035959Z;INTERVAL=2;BYDAY=MO"
    starts = expand(rule, start)
    assert [s.day for s in starts] == [1, 15, 29]
    # March 14, 2027: clocks go forward; still 9:00 local.
    assert {s.hour for s in starts} == {9}


@pytest.mark.parametrize(
    "spec",
    [
        RecurrenceSpec(Frequency.weekly),  # no end, not marked open-ended
        RecurrenceSpec(Frequency.weekly, count=501),
        RecurrenceSpec(Frequency.weekly, count=0),
        RecurrenceSpec(Frequency.weekly, interval=0, count=3),
        RecurrenceSpec(Frequency.weekly, until=date(2020, 1, 1)),
    ],
)
def test_unbounded_or_absurd_series_are_refused(spec):
    with pytest.raises(RecurrenceError):
        build_rrule(spec, datetime(2026, 10, 22, 19, 0, tzinfo=NY))


@pytest.mark.parametrize(
    "rule",
    ["FREQ=DAILY;COUNT=3", "FREQ=SECONDLY", "NONSENSE", "FREQ=WEEKLY;UNTIL=20400101T000000Z"],
)
def test_raw_rules_we_cannot_expand_safely_are_refused(rule):
    with pytest.raises(RecurrenceError):
        validate_rrule(rule, datetime(2026, 10, 22, 19, 0, tzinfo=NY))


def test_open_ended_series_is_materialized_only_to_the_horizon(db):
    event = make_event(
        recurrence=RecurrenceSpec(Frequency.monthly_weekday, open_ended=True),
        start_date=date(2026, 10, 22),
        start_time=time(19, 0),
        end_time=time(21, 0),
    )
    assert 10 <= len(event.occurrences) <= 20


def test_occurrences_follow_a_change_of_time_and_keep_overrides_and_cancellations(db):
    event = make_event(
        recurrence=RecurrenceSpec(Frequency.weekly, count=4),
        start_date=date(2027, 3, 4),
        start_time=time(18, 0),
        end_time=time(19, 0),
    )
    first, second, third, _fourth = event.occurrences
    occurrence_ops.cancel_occurrence(second, "Snow")
    occurrence_ops.override_occurrence(
        third,
        occurrence_ops.OccurrenceChange(
            start_date=date(2027, 3, 19),
            start_time=time(17, 0),
            end_time=time(18, 0),
            venue="Church basement",
        ),
    )
    ids = [o.id for o in event.occurrences]
    from tests.factories import event_input

    ops.update_event(
        event,
        event_input(
            recurrence=RecurrenceSpec(Frequency.weekly, count=4),
            start_date=date(2027, 3, 4),
            start_time=time(19, 0),
            end_time=time(20, 0),
        ),
    )
    db.session.commit()
    assert [o.id for o in event.occurrences] == ids
    assert event.occurrences[0].local_start.hour == 19
    assert event.occurrences[1].is_cancelled
    moved = next(o for o in event.occurrences if o.id == third.id)
    assert (moved.local_start.day, moved.local_start.hour, moved.venue) == (
        19,
        17,
        "Church basement",
    )
    assert first.local_start.utcoffset() != event.occurrences[-1].local_start.utcoffset()
