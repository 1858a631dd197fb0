"""Pieces of pages that do not depend on who asks are rendered once per key and language."""

from __future__ import annotations

import pytest
from flask import g
from flask_babel import force_locale

from coalition.core import fragments


class Renders:
    """A render function that counts its calls."""

    def __init__(self, html: str):
        self.html = html
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.html


def test_a_piece_is_rendered_once_and_then_taken_from_the_store(app):
    render = Renders("<article>Vigil</article>")
    with app.test_request_context("/"):
        first = fragments.cached("card", (1, 7), render)
        second = fragments.cached("card", (1, 7), render)
    assert first == second == "<article>Vigil</article>"
    assert render.calls == 1


def test_another_revision_or_language_is_another_piece(app):
    english, spanish, changed = Renders("Vigil"), Renders("Vigilia"), Renders("Vigil, moved")
    with app.test_request_context("/"):
        fragments.cached("card", (1, 7), english)
        with force_locale("es"):
            assert fragments.cached("card", (1, 7), spanish) == "Vigilia"
        assert fragments.cached("card", (1, 8), changed) == "Vigil, moved"
        assert fragments.cached("card", (1, 7), english) == "Vigil"
    assert (english.calls, spanish.calls, changed.calls) == (1, 1, 1)


def test_many_pieces_come_in_order_and_only_the_missing_ones_are_rendered(app):
    renders = [Renders(f"<li>{n}</li>") for n in range(4)]
    with app.test_request_context("/"):
        fragments.cached_many("card", [((n,), renders[n]) for n in (0, 2)])
        pieces = fragments.cached_many("card", [((n,), renders[n]) for n in range(4)])
    assert [str(piece) for piece in pieces] == [f"<li>{n}</li>" for n in range(4)]
    assert [render.calls for render in renders] == [1, 1, 1, 1]


def test_a_piece_holding_the_visitors_csrf_token_is_never_stored(app):
    with app.test_request_context("/"):
        g.csrf_token = "secret-token-of-one-visitor"
        render = Renders('<input name="csrf_token" value="secret-token-of-one-visitor">')
        fragments.cached("form", (1,), render)
        fragments.cached("form", (1,), render)
    assert render.calls == 2


@pytest.mark.parametrize("app_overrides", [{"FRAGMENT_CACHE": False}])
def test_with_the_fragment_cache_off_every_piece_is_rendered(app):
    render = Renders("Vigil")
    with app.test_request_context("/"):
        fragments.cached("card", (1,), render)
        fragments.cached("card", (1,), render)
    assert render.calls == 2


def test_each_piece_is_counted_as_a_hit_or_a_miss(app):
    from coalition.counters import PROCESS

    def count(result: str) -> float:
        return (
            PROCESS.get_sample_value(
                "coalition_cache_lookups_total", {"cache": "fragment", "result": result}
            )
            or 0.0
        )

    hits, misses = count("hit"), count("miss")
    with app.test_request_context("/"):
        fragments.cached_many("card", [((n,), Renders(f"<li>{n}</li>")) for n in (0, 1)])
        fragments.cached_many("card", [((n,), Renders(f"<li>{n}</li>")) for n in range(5)])
        g.csrf_token = "token-of-one-visitor"  # never stored: a miss each time
        fragments.cached("form", (1,), Renders("<input value='token-of-one-visitor'>"))
        fragments.cached("form", (1,), Renders("<input value='token-of-one-visitor'>"))
    assert (count("hit") - hits, count("miss") - misses) == (2, 7)
