"""A date's counts are frozen before its people are erased, and only counts are kept."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from coalition.mail.models import OutgoingEmail
from coalition.reports.models import DateFigures, SeriesFigures
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP
from coalition.sessions.models import SeriesPart, SessionSignup
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
    # A family signs up together for the last dialogue, one after the other, then one of them
    # asks to be erased at once (a cancelled, blanked row until the date's purge).
    last = max(season.event.occurrences, key=lambda o: o.start_at)
    with time_machine.travel(last.start_at - timedelta(days=5), tick=False):
        family = [
            rsvp_ops.submit(last, rsvp_ops.RSVPInput(name=f"Familia {n}",
                                                     email=f"f{n}@example.org")).rsvp
            for n in range(3)
        ]  # fmt: skip
        db.session.commit()
        rsvp_ops.erase(family[0])
        db.session.commit()
    family_ids = [r.id for r in family]
    hold_and_purge(season)
    # No row is left to link anyone: neither the erased-on-request one nor its neighbours, no
    # neighbouring ids, no signup or check-in times, no series part tying a person's dates.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeriesPart)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionSignup)) == 0
    messages = db.session.scalars(sa.select(OutgoingEmail)).all()
    assert messages and all(m.rsvp_id is None and m.erased_at is not None for m in messages)
    assert not {m.rsvp_id for m in messages} & set(family_ids)
    # The counts are there all the same (the family: 3 RSVPs, 1 cancelled).
    fourth = db.session.scalar(sa.select(DateFigures).where(DateFigures.occurrence_id == last.id))
    assert fourth.rsvps == SERIES_PEOPLE + 3 and fourth.cancelled == 1
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
