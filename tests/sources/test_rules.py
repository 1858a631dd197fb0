"""Type rules: per source, "if the category / title contains X, the event is of type Y", in
order, the first that matches wins, else the source's own type; edited on the source's page,
a wrong rule refused with its row's number in the organizer's language."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine

from coalition.orgs.models import OrgRole
from coalition.sources import operations
from coalition.sources.models import Source
from tests.factories import member_of
from tests.sources.helpers import NOW, imported_events, make_source

HEADER = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"


def _vevent(uid: str, summary: str, categories: str = "") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{summary}\r\nDTSTAMP:20270201T000000Z\r\n"
        "DTSTART;TZID=America/New_York:20270320T150000\r\n"
        "DTEND;TZID=America/New_York:20270320T170000\r\n"
        + (f"CATEGORIES:{categories}\r\n" if categories else "")
        + "END:VEVENT\r\n"
    )


FEED = (
    HEADER
    + _vevent("a@x", "Know Your Rights workshop", "Education")
    + _vevent("b@x", "Vigil for the detained")
    + _vevent("c@x", "Monthly meeting", "Vigil planning")
    + _vevent("d@x", "Potluck")
    + "END:VCALENDAR\r\n"
).encode()

RULES = [
    {"where": "category", "contains": "education", "type": "training"},
    {"where": "title", "contains": "VIGIL", "type": "vigil"},
    {"where": "either", "contains": "workshop", "type": "forum"},  # after the first: not used
]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _types(source) -> dict[str, str]:
    return {title: event.type.slug for title, event in imported_events(source).items()}


def test_the_first_matching_rule_gives_the_type_else_the_sources(db, feed_server):
    source = make_source(feed_server.serve("/rules.ics", FEED), publishes_at_once=True,
                         type_rules=tuple(operations.TypeRule(r["where"], r["contains"], r["type"])
                                          for r in RULES))  # fmt: skip
    assert source.type_rules == RULES
    operations.poll(source, NOW)
    db.session.commit()
    assert _types(source) == {
        "Know Your Rights workshop": "training",  # category "Education", rule 1 before rule 3
        "Vigil for the detained": "vigil",  # title, any case
        "Monthly meeting": "meeting",  # "Vigil" only in its category: rule 2 reads titles
        "Potluck": "meeting",  # no rule: the source's type
    }


def test_changed_rules_apply_to_the_events_already_imported(db, feed_server):
    source = make_source(feed_server.serve("/rules-later.ics", FEED), publishes_at_once=True)
    operations.poll(source, NOW)
    db.session.commit()
    assert set(_types(source).values()) == {"meeting"}
    operations.update_source(source, operations.SourceInput(
        name=source.name, url=source.url, type_slug="meeting", publishes_at_once=True,
        type_rules=(operations.TypeRule("either", "potluck", "other"),),
    ))  # fmt: skip
    db.session.commit()
    operations.poll(source, NOW)
    db.session.commit()
    assert _types(source)["Potluck"] == "other"


def _form(source, rows: list[tuple[str, str, str]]) -> dict:
    data = {"name": source.name, "url": source.url, "type_slug": "meeting", "language": "en",
            "poll_minutes": "60"}  # fmt: skip
    for index, (where, words, slug) in enumerate(rows):
        data |= {f"type_rules-{index}-where": where, f"type_rules-{index}-contains": words,
                 f"type_rules-{index}-type_slug": slug}  # fmt: skip
    return data


def test_an_organizer_edits_the_rules_on_the_sources_page(db, client, feed_server):
    source = make_source(feed_server.serve("/rules-page.ics", FEED))
    organizer = member_of(source.org, OrgRole.organizer)
    db.session.commit()
    client.login(organizer.email)
    page = f"/orgs/{source.org.slug}/calendars/{source.id}/edit"
    form = client.get(page).get_data(as_text=True)
    assert "Type rules" in form and 'name="type_rules-2-contains"' in form
    rows = [
        ("title", "  vigil ", "vigil"),
        ("either", "", ""),
        ("category", "Education", "training"),
    ]
    response = client.submit(page, _form(source, rows), page=page)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.refresh(source)
    assert source.type_rules == [  # the blank row left out, the words tidied
        {"where": "title", "contains": "vigil", "type": "vigil"},
        {"where": "category", "contains": "Education", "type": "training"},
    ]
    shown = client.get(f"/orgs/{source.org.slug}/calendars/{source.id}").get_data(as_text=True)
    assert "Title contains “vigil”: Vigil" in shown
    again = client.get(page).get_data(as_text=True)  # the saved rules, and room for more
    assert 'value="Education"' in again and 'name="type_rules-3-contains"' in again


@pytest.mark.parametrize(
    ("rows", "lang", "said"),
    [
        ([("title", "vigil", "vigil"), ("title", "march", "")], "en",
         "Rule 2: choose the type it gives."),
        ([("title", "", "rally")], "en", "Rule 1: give the words to look for."),
        ([("title", "x", "no-such-type")], "en", "Rule 1: choose a type from the list."),
        ([("somewhere", "x", "rally")], "en", "Rule 1: choose where to look from the list."),
        ([("title", "x" * 81, "rally")], "en", "Rule 1: the words to look for are too long"),
        ([("title", "vigil", "vigil"), ("title", "a\x01b", "rally")], "en",
         "Rule 2: Use one line of text, without special characters."),
        ([("title", "marcha", "")], "es", "Regla 1: elija el tipo que asigna."),
    ],
)  # fmt: skip
def test_a_wrong_rule_is_a_clear_400_and_nothing_is_saved(db, client, feed_server, rows, lang,
                                                          said):  # fmt: skip
    source = make_source(feed_server.serve("/rules-bad.ics", FEED))
    organizer = member_of(source.org, OrgRole.organizer)
    organizer.language = lang
    db.session.commit()
    client.login(organizer.email)
    page = f"/orgs/{source.org.slug}/calendars/{source.id}/edit"
    response = client.submit(page, _form(source, rows), page=page)
    assert response.status_code == 400
    assert said in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Source.type_rules).where(Source.id == source.id)) == []
