"""A series with no end (a monthly dialogue without an end date) never has every date purged,
so its "took part in all N" is counted per calendar year, in the event's zone: a year's share
is frozen once its dates are all purged and the year is over, and its links are deleted then
(the seed: "more than 40% of participants participated in all dialogues this year")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import time_machine

from coalition.dashboard.operations import toggle_check_in
from coalition.erasure import purge_expired
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.extensions import db
from coalition.reports.models import SeriesFigures, SeriesKey, SeriesLink
from coalition.rsvps import operations as rsvp_ops
from tests.factories import UserFactory, make_event

PEOPLE = 10
#: Of them, these miss the November dialogue (the others come to every one in 2026).
MISS_NOVEMBER = 5
#: Purged, and read, on these days.
AFTER_DECEMBER = datetime(2027, 1, 10, 12, tzinfo=UTC)
AFTER_JANUARY = datetime(2027, 2, 10, 12, tzinfo=UTC)


def _monthly():
    with time_machine.travel(datetime(2026, 9, 15, 12, tzinfo=UTC), tick=False):
        return make_event(
            title="Monthly dialogue", type_slug="dialogue", start_date=date(2026, 10, 1),
            recurrence=RecurrenceSpec(frequency=Frequency.monthly_date, open_ended=True),
        )  # fmt: skip


def _dialogue(occurrence, *, absent=()):
    with time_machine.travel(occurrence.start_at - timedelta(days=2), tick=False):
        rsvps = [
            rsvp_ops.submit(
                occurrence,
                rsvp_ops.RSVPInput(name=f"Vecina {n}", email=f"v{n}@example.org",
                                   counts_attendance=True),
                notify=False,
            ).rsvp
            for n in range(PEOPLE)
        ]  # fmt: skip
        db.session.commit()
    with time_machine.travel(occurrence.start_at + timedelta(minutes=5), tick=False):
        for n, rsvp in enumerate(rsvps):
            if n not in absent:
                toggle_check_in(rsvp)
        db.session.commit()


def _purge(at):
    with time_machine.travel(at, tick=False):
        purge_expired()
        db.session.commit()


def test_an_open_ended_series_is_counted_per_calendar_year(client, db):
    event = _monthly()
    assert "COUNT" not in event.rrule and "UNTIL" not in event.rrule
    dates = sorted(event.occurrences, key=lambda o: o.start_at)
    october, november, december, january = dates[:4]
    assert [d.start_at.month for d in (october, november, december, january)] == [10, 11, 12, 1]
    _dialogue(october)
    _dialogue(november, absent=range(MISS_NOVEMBER))
    _dialogue(december)
    # Halfway through the year's dates: a share so far, not final, the links kept.
    _purge(november.end_at + timedelta(days=31))
    running = db.session.scalar(sa.select(SeriesFigures))
    assert (running.year, running.dates_held, running.is_final) == (2026, 2, False)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeriesLink)) == PEOPLE
    # December purged in January: 2026 is over and all its dates are purged: final, and its
    # links are gone (the key stays: the series goes on).
    _dialogue(january)
    _purge(AFTER_DECEMBER)
    year = db.session.scalar(sa.select(SeriesFigures).where(SeriesFigures.year == 2026))
    assert year.is_final and year.dates_held == 3
    assert (year.opted_in, year.opted_in_came_to_all) == (PEOPLE, PEOPLE - MISS_NOVEMBER)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeriesLink)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeriesKey)) == 1
    # January is purged in February: a new year, counted apart from the first date on.
    _purge(AFTER_JANUARY)
    this_year = db.session.scalar(sa.select(SeriesFigures).where(SeriesFigures.year == 2027))
    assert (this_year.dates_held, this_year.opted_in, this_year.is_final) == (1, PEOPLE, False)
    assert {link.year for link in db.session.scalars(sa.select(SeriesLink))} == {2027}
    # 2026 stays as it was frozen.
    db.session.refresh(year)
    assert (year.dates_held, year.opted_in_came_to_all) == (3, PEOPLE - MISS_NOVEMBER)

    admin = UserFactory(is_admin=True)
    db.session.commit()
    with time_machine.travel(AFTER_JANUARY + timedelta(days=1), tick=False):
        client.login(admin.email)
        html = client.get("/admin/reports").get_data(as_text=True)
        csv = client.get("/admin/reports?format=csv").get_data(as_text=True)
        api = client.get("/api/v1/reports/coalition").get_json()
        only_2026 = client.get("/api/v1/reports/coalition?to=2026-12-31").get_json()
    text = " ".join(html.split())
    assert "Monthly dialogue, in 2026</strong>: took part in all 3 dialogues: 50%" in text
    assert "Monthly dialogue, this year</strong>: took part in the one dialogue: 100%" in text
    lines = csv.splitlines()
    assert (
        '"Took part in all 3 dialogues, of those who asked to be counted",'
        '"Monthly dialogue, in 2026",50%' in lines
    )
    by_year = {row["year"]: row for row in api["series"]}
    assert by_year[2026]["opted_in_came_to_all_percent"] == 50 and by_year[2026]["final"]
    assert by_year[2027]["dates"] == 1 and not by_year[2027]["final"]
    assert [row["year"] for row in only_2026["series"]] == [2026]
