"""A season of four dialogues, lived through with the test clock: people register (some for the
series, some for one date), are checked in at the door, and each date is purged as it passes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import time_machine

from coalition.dashboard.operations import toggle_check_in
from coalition.erasure import purge_expired
from coalition.events.models import Event
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.extensions import db
from coalition.rsvps import operations as rsvp_ops
from coalition.sessions import series
from coalition.sessions.models import SeriesMode
from tests.factories import make_event

#: Registered for the whole series (open meeting: one registration, an RSVP on every date).
SERIES_PEOPLE = 10
#: Of them, checked in at all four dates (the others at the first two only): as many came to
#: all as missed one, so neither the share nor its complement is a small number.
CAME_TO_ALL = 5
#: RSVPs for the first date only, and how many of them came.
FIRST_DATE_ONLY = 3
FIRST_DATE_ONLY_CAME = 2


@dataclass
class Season:
    event: Event
    registration_ids: list[int]
    single_rsvp_ids: list[int]


def _at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def four_dialogues(org=None) -> Season:
    """Registrations in February, the dialogues every week of March, nothing purged yet."""
    with _at(datetime(2027, 2, 1, 15, tzinfo=UTC)):
        event = make_event(
            org, title="Movement building dialogue", type_slug="dialogue",
            start_date=date(2027, 3, 4), languages=["en", "es"],
            recurrence=RecurrenceSpec(frequency=Frequency.weekly, count=4),
        )  # fmt: skip
        series.configure(event, SeriesMode.open, None)
        db.session.commit()
        registrations = []
        for n in range(SERIES_PEOPLE):
            outcome = series.register(
                event,
                rsvp_ops.RSVPInput(name=f"Persona {n}", email=f"s{n}@example.org",
                                   language="es" if n < 8 else "en",
                                   needs_interpretation=n < 6),
                notify=False,
            )  # fmt: skip
            registrations.append(outcome.registration.id)
        db.session.commit()
    first = event.occurrences[0]
    singles = []
    with _at(first.start_at - timedelta(days=1)):
        for n in range(FIRST_DATE_ONLY):
            outcome = rsvp_ops.submit(
                first, rsvp_ops.RSVPInput(name=f"Solo {n}", email=f"d{n}@example.org"),
                notify=False,
            )  # fmt: skip
            singles.append(outcome.rsvp.id)
        db.session.commit()
    return Season(event=event, registration_ids=registrations, single_rsvp_ids=singles)


def hold_and_purge(
    season: Season, *, purge_after_days: int = 30, came_to_all: int = CAME_TO_ALL
) -> None:
    """Each dialogue takes place (people checked in at the door), and each is purged once it
    is `purge_after_days` behind."""
    hold(season, came_to_all=came_to_all)
    purge_each(season, purge_after_days=purge_after_days)


def hold(season: Season, *, came_to_all: int = CAME_TO_ALL) -> None:
    """Each dialogue takes place: people checked in at the door (`came_to_all` of the series'
    people at every date, the others at the first two)."""
    import sqlalchemy as sa

    from coalition.rsvps.models import RSVP
    from coalition.sessions.models import SeriesPart

    occurrences = sorted(season.event.occurrences, key=lambda o: o.start_at)
    for index, occurrence in enumerate(occurrences):
        with _at(occurrence.start_at + timedelta(minutes=10)):
            parts = db.session.scalars(
                sa.select(RSVP)
                .join(SeriesPart, SeriesPart.rsvp_id == RSVP.id)
                .where(RSVP.occurrence_id == occurrence.id)
                .order_by(SeriesPart.registration_id)
            ).all()
            came = parts if index < 2 else parts[:came_to_all]
            for rsvp in came:
                toggle_check_in(rsvp)
            if index == 0:
                for rsvp_id in season.single_rsvp_ids[:FIRST_DATE_ONLY_CAME]:
                    toggle_check_in(db.session.get(RSVP, rsvp_id))
            db.session.commit()


def purge_each(season: Season, *, purge_after_days: int = 30) -> None:
    """Each dialogue is purged once it is `purge_after_days` behind."""
    occurrences = sorted(season.event.occurrences, key=lambda o: o.start_at)
    for occurrence in occurrences:
        with _at(occurrence.end_at + timedelta(days=purge_after_days, hours=1)):
            purge_expired()
            db.session.commit()
