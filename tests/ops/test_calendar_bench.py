"""`make bench` (bench/calendar_bench.py) keeps working: on a tiny data set, it prepares its
data, signs its people in through the real forms, and every page it measures answers 200 with
its SQL statements counted (a page answering 302 or 400 would be measured as a fast page).

No timing is asserted: the figures are bench/README.md's business."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import time_machine

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import calendar_bench as cb  # noqa: E402
import signed_in  # noqa: E402

from coalition import create_app  # noqa: E402
from coalition.delegations import operations as delegation_ops  # noqa: E402
from coalition.delegations.models import Delegation  # noqa: E402
from coalition.extensions import db  # noqa: E402

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_bench_prepares_its_data_and_every_page_it_measures_answers(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    with time_machine.travel(NOW, tick=False):
        assert cb.main(["--events", "60", "--database-url", url, "--prepare-only"]) == 0
        assert "Seeded 60 events" in capsys.readouterr().out
        # Made once: a second run keeps the data set.
        assert cb.main(["--events", "60", "--database-url", url, "--prepare-only", "--reuse"]) == 0
        assert "Reusing the data set of 60 events" in capsys.readouterr().out

        app = create_app(cb.app_config(url, render_cache=True))
        with app.app_context():
            anonymous = cb.targets()
            found = signed_in.data()
            with app.test_request_context(base_url=app.config["BASE_URL"]):
                token = delegation_ops.lead_token(db.session.get(Delegation, found.delegation_id))
            db.session.remove()
        pages = [cb.Page(path, label, "anon cached") for path, label in anonymous]
        pages += [
            cb.Page(path, label, "signed-in", who)
            for path, label, who in signed_in.pages(found, token)
        ]
        counts = cb.statements_per_request(app, pages)
        with app.app_context():
            db.engine.dispose()

    assert "answered" not in capsys.readouterr().out  # no page refused or redirected
    assert len(counts) == len(pages) == 13
    for page in pages:
        count = counts[(page.view, page.path)]
        if page.view == "anon cached" and page.path != "/calendar.ics":
            first, second = count.split("/")
            assert int(second) < int(first)  # the second is answered by the render cache
        else:
            assert count.replace("/", "").isdigit(), (page.path, count)


def test_a_page_that_does_not_answer_200_is_shown_as_failed(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    with time_machine.travel(NOW, tick=False):
        app = create_app(cb.app_config(url))
        with app.app_context():
            db.create_all()
        counts = cb.statements_per_request(app, [cb.Page("/account", "profile", "anon uncached")])
        with app.app_context():
            db.engine.dispose()
    assert counts[("anon uncached", "/account")] == "302!"
    assert "/account answered 302" in capsys.readouterr().out
