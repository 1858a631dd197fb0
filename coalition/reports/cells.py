"""Small numbers protected: a figure below `REPORT_MIN_CELL` (default 5) is shown as "fewer
than 5", and, where figures add up to a total that is shown, the next smallest one is hidden
too, so that no subtraction brings a hidden figure back (complementary suppression). Every
figure a page, a CSV or the API gives passes through here, whatever the filters: a filter that
narrows a report to one date, one organization and one language still meets the same rule.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Cell:
    #: None when hidden.
    value: int | None
    hidden: bool = False

    def as_json(self, minimum: int):
        return {"fewer_than": minimum} if self.hidden else self.value


def min_cell() -> int:
    return int(current_app.config.get("REPORT_MIN_CELL", 5))


def small(value: int, minimum: int) -> bool:
    """Zero tells nothing about a person; 1 to minimum-1 might."""
    return 0 < value < minimum


def protect(
    values: Mapping[Hashable, int], minimum: int, *, adds_up: bool = True
) -> dict[Hashable, Cell]:
    """Cells of one row or breakdown. `adds_up`: the cells add up to a total shown beside
    them, so a single hidden cell would be total minus the others: the next smallest cell
    is hidden with it."""
    hidden = {key for key, value in values.items() if small(value, minimum)}
    if adds_up and len(hidden) == 1:
        others = sorted(
            (value, str(key), key) for key, value in values.items()
            if key not in hidden and value > 0
        )  # fmt: skip
        if others:
            hidden.add(others[0][2])
    return {
        key: Cell(None, True) if key in hidden else Cell(int(value))
        for key, value in values.items()
    }


def protect_one(value: int, minimum: int) -> Cell:
    return Cell(None, True) if small(value, minimum) else Cell(int(value))


def share(part: int, whole: int, minimum: int) -> int | None:
    """A percentage shown only when neither the part nor the whole is a small number (it
    would otherwise tell about a handful of people); None when hidden."""
    if whole < minimum or small(part, minimum):
        return None
    return round(100 * part / whole)
