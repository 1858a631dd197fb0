"""The home page answers "what's next and how do I join" (issue #14, finding 3)."""

from datetime import date, timedelta

from coalition.events import occurrences as occurrence_ops
from coalition.events.models import EventStatus
from coalition.events.recurrence import Frequency, RecurrenceSpec
from tests.factories import OrganizationFactory, make_event


def _soon(days: int) -> date:
    return date.today() + timedelta(days=days)


def test_big_actions_lead_a_series_shows_once_and_cancelled_dates_stay_out(client, db):
    org = OrganizationFactory()
    make_event(org, title="Leafleting at the terminal", type_slug="outreach",
               start_date=_soon(2), status=EventStatus.cancelled)  # fmt: skip
    meeting = make_event(
        org, title="Coalition monthly meeting", type_slug="meeting", start_date=_soon(3),
        recurrence=RecurrenceSpec(Frequency.weekly, count=5),
    )  # fmt: skip
    occurrence_ops.cancel_occurrence(meeting.occurrences[0], "Snow")
    db.session.commit()
    for n in range(10):
        make_event(org, title=f"Training {n}", type_slug="training", start_date=_soon(5 + n))
    make_event(org, title="May Day March", type_slug="march", start_date=_soon(150))

    body = client.get("/").get_data(as_text=True)

    actions, rest = body.split("How to join", 1)
    assert "May Day March" in actions
    assert body.count(">Coalition monthly meeting</a>") == 1
    assert "Next date:" in rest
    assert "Leafleting at the terminal" not in body
    assert "Cancelled" not in body
    # The date shown for the series is its second one: the first is cancelled.
    second = meeting.occurrences[1]
    assert f"/occurrences/{second.id}" in body
    assert f"/occurrences/{meeting.occurrences[0].id}" not in body


def test_an_empty_coalition_says_so(client, db):
    body = client.get("/").get_data(as_text=True)
    assert "No big action is announced yet." in body
    assert "Nothing else is announced yet." in body
    assert "No member organizations yet." in body


def test_theme_css_takes_the_coalition_colour_and_logo(client, db, runner):
    assert "--accent: #0b5d7a" in client.get("/theme.css").get_data(as_text=True)
    runner.invoke(args=["settings", "set", "brand_color", '"#7D3C98"'])
    runner.invoke(args=["settings", "set", "logo_url", '"/static/logo.png"'])
    css = client.get("/theme.css").get_data(as_text=True)
    assert "--accent: #7d3c98" in css
    assert 'url("/static/logo.png")' in css
    # A colour too pale to read on white, or a logo address that could break out of url(),
    # are refused.
    runner.invoke(args=["settings", "set", "brand_color", '"#ffee00"'])
    runner.invoke(args=["settings", "set", "logo_url", '"/x\\") ; body{display:none"'])
    css = client.get("/theme.css").get_data(as_text=True)
    assert "--accent: #0b5d7a" in css and "url(" not in css
    runner.invoke(args=["settings", "set", "logo_url", '"https://elsewhere.example.org/l.png"'])
    css = client.get("/theme.css").get_data(as_text=True)
    assert "--accent: #0b5d7a" in css and "url(" not in css


def test_a_month_without_events_says_so(client, db):
    body = client.get("/calendar/month?year=2031&month=2").get_data(as_text=True)
    assert "Nothing is announced for February 2031 yet." in body
    assert 'class="month-grid"' in body
