"""Counts in every language go through ngettext (issue #22: "Restam 1 vagas", "1 personas").

Two checks: no translatable text puts a count before a word without plural forms (read from the
extracted catalog, so a new `_("%(n)d seats")` fails here), and real pages rendered with a
count of 1 and of 2 say the singular and the plural in each language.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.factories import make_event
from tests.rsvps.test_delegation_pages import _join, _start

CATALOGS = Path(__file__).parents[2] / "coalition" / "translations"

#: Numbers that qualify no word that could take a plural, each with the reason.
NOT_COUNTS = {
    "%(n)d min": "a unit's abbreviation",
    "ETA %(n)d min": "a unit's abbreviation",
    "%(name)s joined %(delegation)s (party of %(n)d).": "'party of N': no noun after the number",
    "%(name)s must be a whole number from 1 to %(n)d.": "a bound, no noun",
    "A date has at most %(n)d sessions.": "a fixed limit (MAX_SESSIONS), never 1",
    "A flyer or a photo, in JPEG, PNG or WebP, at most %(mb)d MB. We remove its hidden data "
    "(such as where a photo was taken) before publishing it.": "a unit's abbreviation",
    "A party is 1 to %(n)d people.": "a fixed limit (MAX_PARTY), never 1",
    "A series has between 1 and %(n)d dates.": "a fixed limit (MAX_OCCURRENCES), never 1",
    "Alerted: %(alerted)d · On the way: %(going)d · Arrived: %(arrived)d · Can't: %(cant)d · "
    "No answer: %(waiting)d": "label: number",
    "Ask for 1 to %(n)d helpers.": "a fixed limit (MAX_NEEDED), never 1",
    "At least %(n)d characters.": "a fixed limit (PASSWORD_MIN), never 1",
    "Enter a date between the years %(low)d and %(high)d.": "years, no noun",
    "Field must be between %(min)d and %(max)d characters long.": "WTForms' own message",
    "Headcount: %(n)d": "label: number",
    "If some of you can come, open your link and lower the number of people to %(n)d or fewer: "
    "you are confirmed at once. Otherwise do nothing: you keep your place at the front of the "
    "waitlist.": "'to N or fewer': no noun after the number",
    "Page %(n)d of %(total)d": "page numbers",
    "People in your party: %(n)d": "label: number",
    "Recovery codes left: %(n)d": "label: number",
    "Say how many riders fit in your car (1 to %(n)d).": "a bound, no noun",
    "Search for at most %(n)d characters.": "a fixed limit (MAX_TEXT), never 1",
    "At most %(num)d rules.": "a fixed limit (a source's MAX_RULES), never 1",
    "Rule %(num)d: %(problem)s": "an ordinal: the rule's row number",
    "Rule %(num)d: choose a type from the list.": "an ordinal: the rule's row number",
    "Rule %(num)d: choose the type it gives.": "an ordinal: the rule's row number",
    "Rule %(num)d: choose where to look from the list.": "an ordinal: the rule's row number",
    "Rule %(num)d: contains": "an ordinal: the rule's row number",
    "Rule %(num)d: give the words to look for.": "an ordinal: the rule's row number",
    "Rule %(num)d: gives the type": "an ordinal: the rule's row number",
    "Rule %(num)d: the words to look for are too long (at most %(max)d characters).": (
        "an ordinal (the rule's row) and a bound"
    ),
    "Rule %(num)d: where": "an ordinal: the rule's row number",
}


def test_every_count_in_a_sentence_has_plural_forms():
    with (CATALOGS / "messages.pot").open("rb") as handle:
        catalog = read_po(handle)
    singular_only = {
        m.id for m in catalog if isinstance(m.id, str) and m.id and re.search(r"%\(\w+\)d", m.id)
    }
    assert singular_only - set(NOT_COUNTS) == set(), "use ngettext for these counts"
    assert set(NOT_COUNTS) - singular_only == set(), "no longer in the catalog"


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("en", "1 seat left", "2 seats left"),
        ("es", "Queda 1 lugar", "Quedan 2 lugares"),
        ("pt", "Resta 1 vaga", "Restam 2 vagas"),
        ("ht", "Rete 1 plas", "Rete 2 plas"),
    ],
)
def test_a_delegations_page_counts_in_the_visitors_language(
    language, one, two, client, make_client, db
):
    event = make_event(title="May Day march")
    _start(client, event, seat_limit="4")  # the lead holds one seat: 3 left
    from coalition.delegations.models import Delegation

    delegation = db.session.query(Delegation).one()
    join_url = f"/delegations/{delegation.id}/join/{delegation.join_secret}"
    visitor = make_client()
    visitor.set_cookie("lang", language)

    assert _join(make_client(), join_url, 1, "1").status_code == 200
    page = visitor.get(f"/delegations/{delegation.id}").get_data(as_text=True)
    assert two in page and "2 seat left" not in page  # 2 coming (the lead and one), 2 left
    assert _join(make_client(), join_url, 2, "1").status_code == 200
    page = visitor.get(f"/delegations/{delegation.id}").get_data(as_text=True)
    assert one in page
    for wrong in ("1 seats", "1 lugares", "1 vagas", "Quedan 1 ", "Restam 1 "):
        assert wrong not in page
