"""What a pager needs of a numbered page (the attendee list, an organization's events, ...):
the same names as Flask-SQLAlchemy's `Pagination`, for pages built from one query that counts
its total beside its rows."""

from __future__ import annotations


class Numbered:
    """Mixed into a page that has `page` (1-based), `total` and `per_page`."""

    page: int
    total: int
    per_page: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None
