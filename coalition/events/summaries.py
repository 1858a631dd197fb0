"""Short answers about events for the home page and organizers' lists: what is next, once per
series, cancelled dates left out."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from coalition.db import utcnow
from coalition.events.cards import Card, big_action_clause, cards_from, names, next_dates_query
from coalition.events.models import Event, is_coalition_member
from coalition.events.queries import longest_occurrence
from coalition.extensions import db

#: Types that are actions people travel to: the home page leads with these.
ACTION_TYPES = ("march", "rally", "vigil")


@dataclass
class HomePage:
    #: The next big actions (marches, rallies, vigils, co-sponsored events), soonest first.
    actions: list[Card]
    #: Everything else coming up, one card per event (a series once, with its next date).
    coming: list[Card]


def is_big_action(event: Event) -> bool:
    return event.type.slug in ACTION_TYPES or bool(event.accepted_cosponsors())


def home_page(user, zone: ZoneInfo, *, actions: int = 3, coming: int = 8) -> HomePage:
    """The next date of each listed event that goes ahead, split into big actions and the rest,
    in one query: the first `actions` big actions, and the first events of any kind (enough
    of them that `coming` remain once the big actions shown above are left out)."""
    type_ids = tuple(i for i, (_n, _c, slug) in names().types.items() if slug in ACTION_TYPES)
    statement = _home_statement(is_coalition_member(user), type_ids, actions, coming)
    now = utcnow()
    rows = db.session.execute(statement, {"now": now, "since": now - longest_occurrence()}).all()
    parts = list(zip((row.part for row in rows), cards_from(rows, now), strict=True))
    big_ones = [card for part, card in parts if part == 1]
    shown = {card.event_id for card in big_ones}
    rest = [card for part, card in parts if part == 2 and card.event_id not in shown]
    return HomePage(actions=big_ones, coming=rest[:coming])


@functools.cache
def _home_statement(members: bool, type_ids: tuple[int, ...], actions: int, coming: int):
    """Built once per process for each set of arguments (building it costs more than running
    it): the times are bound parameters."""
    next_dates = next_dates_query(include_members=members)
    big = next_dates.where(big_action_clause(list(type_ids))).limit(actions).subquery()
    first = next_dates.limit(actions + coming).subquery()
    both = sa.union_all(
        sa.select(sa.literal(1).label("part"), *big.c),
        sa.select(sa.literal(2).label("part"), *first.c),
    ).subquery()
    return sa.select(both).order_by(both.c.part, both.c.start_at, both.c.id)
