"""Small numbers protected: a figure below `REPORT_MIN_CELL` (default 5) is shown as "fewer
than 5", and, where figures add up to a total that is shown, the next smallest one is withheld
too, so that no subtraction brings a hidden figure back (complementary suppression). Every
figure a page, a CSV or the API gives passes through here, whatever the filters: a filter that
narrows a report to one date, one organization and one language still meets the same rule.

Filters choose whole dates, so the difference of two reports is the figures of some dates: a
figure over several dates is withheld too when one of its dates hides it on its own
(`figures.build` collects them), so that no two filter combinations subtract down to a small
figure of one date (differencing).

Two figures shown apart, one counting (nearly) the same people as the other or a part of them
(RSVPs and RSVPs checked in; a series' registrations and each of its dates' RSVPs; those who
came to all its dates and each date's check-ins: `figures.NESTED`, `figures.SERIES_NESTED`),
must not differ by a small number either (`apart_by_few`): the figure that would give the gap
back is withheld, and, where it is a date's, any sum over that date.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Set
from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Cell:
    #: None when hidden.
    value: int | None
    hidden: bool = False
    #: Hidden though not small itself: it would give a small figure back by subtraction.
    withheld: bool = False

    def as_json(self, minimum: int):
        if self.withheld:
            return {"withheld": True}
        return {"fewer_than": minimum} if self.hidden else self.value


WITHHELD = Cell(None, True, True)


def min_cell() -> int:
    return int(current_app.config.get("REPORT_MIN_CELL", 5))


def small(value: int, minimum: int) -> bool:
    """Zero tells nothing about a person; 1 to minimum-1 might."""
    return 0 < value < minimum


def apart_by_few(whole: int, part: int, minimum: int) -> bool:
    """Two figures of which one counts a part of the other's people (or nearly: a series'
    registrations and the RSVPs one date has from them, some of which may be cancelled ones'),
    both to be shown: a gap of 1 to minimum-1, either way, would be a handful of people."""
    return small(abs(whole - part), minimum)


def protect(
    values: Mapping[Hashable, int],
    minimum: int,
    *,
    adds_up: bool = True,
    withheld: Set[Hashable] = frozenset(),
) -> dict[Hashable, Cell]:
    """Cells of one row or breakdown. `adds_up`: the cells add up to a total shown beside
    them, so a single hidden cell would be total minus the others: the next smallest cell
    is withheld with it. `withheld`: keys to withhold anyway (hidden by one of their dates)."""
    small_keys = {key for key, value in values.items() if small(value, minimum)}
    held_back = {key for key in withheld if key in values and key not in small_keys}
    if adds_up and len(small_keys | held_back) == 1:
        others = sorted(
            (value, str(key), key) for key, value in values.items()
            if key not in small_keys and key not in held_back and value > 0
        )  # fmt: skip
        if others:
            held_back.add(others[0][2])
    return {
        key: Cell(None, True) if key in small_keys else WITHHELD if key in held_back
        else Cell(int(value))
        for key, value in values.items()
    }  # fmt: skip


def protect_one(value: int, minimum: int, *, withheld: bool = False) -> Cell:
    if small(value, minimum):
        return Cell(None, True)
    return WITHHELD if withheld and value else Cell(int(value))


def share(part: int, whole: int, minimum: int) -> int | None:
    """A percentage shown only when neither the part nor the whole is a small number (it
    would otherwise tell about a handful of people); None when hidden."""
    if whole < minimum or small(part, minimum):
        return None
    return round(100 * part / whole)
