"""A date's counts are frozen before its people are erased, and only counts are kept."""

from __future__ import annotations

import sqlalchemy as sa

from coalition.reports.models import DateFigures, SeriesFigures
from coalition.rsvps.models import RSVP
from tests.reports.helpers import (
    CAME_TO_ALL,
    FIRST_DATE_ONLY,
    FIRST_DATE_ONLY_CAME,
    SERIES_PEOPLE,
    four_dialogues,
    hold_and_purge,
)


def test_each_dialogue_is_counted_before_its_people_are_erased(db):
    season = four_dialogues()
    hold_and_purge(season)
    rows = db.session.scalars(sa.select(DateFigures).order_by(DateFigures.start_at)).all()
    assert len(rows) == 4
    first, second, third, fourth = rows
    assert first.rsvps == SERIES_PEOPLE + FIRST_DATE_ONLY
    assert first.checked_in == SERIES_PEOPLE + FIRST_DATE_ONLY_CAME
    assert first.no_shows == FIRST_DATE_ONLY - FIRST_DATE_ONLY_CAME
    assert first.series_rsvps == SERIES_PEOPLE
    assert second.checked_in == SERIES_PEOPLE
    assert third.checked_in == fourth.checked_in == CAME_TO_ALL
    assert fourth.no_shows == SERIES_PEOPLE - CAME_TO_ALL
    assert first.breakdown["language"] == {"es": 8, "en": 2 + FIRST_DATE_ONLY}
    assert first.breakdown["needs"] == {"interpretation": 6}
    assert sum(first.breakdown["signups"].values()) == first.rsvps
    assert first.breakdown["signups"]["30+"] == SERIES_PEOPLE
    assert first.breakdown["signups"]["1"] == FIRST_DATE_ONLY
    returning = db.session.scalar(sa.select(SeriesFigures))
    assert (returning.dates_held, returning.registrations, returning.came_to_all) == (
        4, SERIES_PEOPLE, CAME_TO_ALL,
    )  # fmt: skip


def test_afterwards_the_database_holds_no_personal_data_of_those_dates(db):
    season = four_dialogues()
    hold_and_purge(season)
    rsvps = db.session.scalars(sa.select(RSVP)).all()
    assert rsvps and all(r.erased_at is not None for r in rsvps)
    assert all(r.name is None and r.email is None and r.email_hash is None for r in rsvps)
    assert all(r.user_id is None for r in rsvps)
    kept = db.session.execute(sa.select(DateFigures.__table__)).mappings().all()
    text = repr([dict(row) for row in kept])
    for planted in ("Persona", "Solo", "example.org"):
        assert planted not in text


def test_purging_twice_freezes_a_date_once(db):
    from datetime import timedelta

    import time_machine

    from coalition.erasure import purge_expired

    season = four_dialogues()
    hold_and_purge(season)
    last = max(o.end_at for o in season.event.occurrences)
    with time_machine.travel(last + timedelta(days=60), tick=False):
        purge_expired()
        db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DateFigures)) == 4
    # The frozen counts are those before erasure, not re-read from blanked rows.
    assert db.session.scalar(sa.select(sa.func.max(DateFigures.checked_in))) == 12


def test_a_drafts_dates_are_no_dates_held(db):
    from datetime import timedelta

    import time_machine

    from coalition.erasure import purge_expired
    from coalition.events.models import EventStatus
    from tests.factories import make_event

    draft = make_event(status=EventStatus.draft)
    held = make_event()
    with time_machine.travel(held.occurrences[0].end_at + timedelta(days=31), tick=False):
        purge_expired()
        db.session.commit()
    frozen = db.session.scalars(sa.select(DateFigures.event_id)).all()
    assert frozen == [held.id] and draft.id not in frozen
