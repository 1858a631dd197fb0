"""Issue #28's "done when", in Chromium on a 360 px phone: an organizer adds her organization's
calendar, reads it now, publishes an event from the review queue and finds it on the calendar;
then the calendar cancels it, and the next reading brings the cancellation to the calendar, the
feed and the person who RSVP'd. The calendar is a real .ics served over HTTP on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.browser.conftest import PHONE
from tests.sources.conftest import FeedServer

ORG = "haitian-community-partners"
HEADER = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"


def _feed(day: str, *, status: str = "CONFIRMED", sequence: int = 0) -> bytes:
    def vevent(uid, summary, hour, status="CONFIRMED", sequence=0):
        return (
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{summary}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART;TZID=America/New_York:{day}T{hour}0000\r\n"
            f"DTEND;TZID=America/New_York:{day}T{hour + 2}0000\r\n"
            f"SEQUENCE:{sequence}\r\nSTATUS:{status}\r\n"
            "LOCATION:Main South Library\\, Worcester\r\nEND:VEVENT\r\n"
        )

    return (
        HEADER
        + vevent(
            "raids-1@google.com", "Resist the Raids neighbourhood meeting", 18, status, sequence
        )
        + vevent("potluck-1@google.com", "Spring potluck", 12)
        + "END:VCALENDAR\r\n"
    ).encode()


@pytest.fixture
def feed(live):
    """A calendar on loopback, which the served app is allowed to read (tests only)."""
    server = FeedServer()
    before = live.app.config.get("SOURCES_TEST_FEED_ADDRESSES")
    live.app.config["SOURCES_TEST_FEED_ADDRESSES"] = (server.address,)
    yield server
    live.app.config["SOURCES_TEST_FEED_ADDRESSES"] = before
    server.stop()


def _worker_round(live) -> None:
    """What the worker does every minute: read the calendars whose time has come."""
    from coalition.sources import operations

    with live.context():
        assert operations.poll_due() >= 1


def test_an_organizer_adds_a_calendar_and_its_cancellation_reaches_people(live, visitor, feed):
    from coalition.db import utcnow

    day = (utcnow() + timedelta(days=3)).strftime("%Y%m%d")
    url = feed.serve("/wic.ics", _feed(day))
    tab = visitor(PHONE)
    page = tab.page
    problems: list[str] = []
    tab.sign_in("organizer@example.org", audit=problems)

    # Add the calendar: its events wait for review.
    tab.goto(f"/orgs/{ORG}/calendars/new")
    problems += tab.problems()
    page.fill("#name", "Haitian partners' Google calendar")
    page.fill("#url", url)
    page.select_option("#type_slug", "meeting")
    page.select_option("#language", "en")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the calendar").click()
    assert "The calendar is added" in page.inner_text("main")
    problems += tab.problems()
    with page.expect_navigation():
        page.get_by_role("button", name="Read it now").click()
    _worker_round(live)
    tab.goto(page.url)
    assert "Resist the Raids neighbourhood meeting" in page.inner_text("main")
    problems += tab.problems()

    # The review queue: publish one, the other stays waiting; the calendar shows the one.
    tab.goto(f"/orgs/{ORG}/calendars")
    problems += tab.problems()
    queue = page.locator(".review-queue li")
    assert queue.count() == 2
    with page.expect_navigation():
        queue.filter(has_text="Resist the Raids").get_by_role("button", name="Publish").click()
    assert "The event is published." in page.inner_text("main")
    assert page.locator(".review-queue li").count() == 1
    tab.goto("/calendar")
    card = page.locator(".event-card", has_text="Resist the Raids neighbourhood meeting")
    assert card.count() == 1 and card.locator(".cancelled-label").count() == 0
    assert page.locator(".event-card", has_text="Spring potluck").count() == 0
    problems += tab.problems()

    # Someone RSVPs on the event's page.
    with page.expect_navigation():
        card.get_by_role("link", name="Resist the Raids neighbourhood meeting").first.click()
    assert "From Haitian partners' Google calendar" in page.inner_text("main")
    event_path = page.url.removeprefix(live.url)
    from coalition.events.models import Event, EventStatus, EventTranslation
    from coalition.extensions import db
    from coalition.rsvps import operations as rsvp_ops

    with live.context():
        event = db.session.scalar(
            sa.select(Event)
            .join(EventTranslation)
            .where(EventTranslation.title == "Resist the Raids neighbourhood meeting")
        )
        event_id = event.id
        rsvp_ops.submit(event.occurrences[0],
                        rsvp_ops.RSVPInput(name="Wilner", email="wilner@example.org"),
                        notify=False)  # fmt: skip
        db.session.commit()

    # The calendar cancels the meeting; the organizer asks for a reading; the worker reads it.
    feed.serve("/wic.ics", _feed(day, status="CANCELLED", sequence=1))
    tab.goto(f"/orgs/{ORG}/calendars")
    with page.expect_navigation():
        page.get_by_role("link", name="Haitian partners' Google calendar").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Read it now").click()
    _worker_round(live)

    tab.goto(event_path)
    assert "Cancelled" in page.inner_text("main")
    tab.goto("/calendar")
    card = page.locator(".event-card", has_text="Resist the Raids neighbourhood meeting")
    assert card.locator(".cancelled-label").count() == 1
    problems += tab.problems()
    for feed_path in (f"/events/{event_id}.ics", "/calendar.ics", f"/orgs/{ORG}/calendar.ics"):
        ics = page.request.get(feed_path).text()
        block = ics[ics.index("SUMMARY:Resist the Raids") :].split("END:VEVENT")[0]
        whole = ics[: ics.index("SUMMARY:Resist the Raids")].rsplit("BEGIN:VEVENT", 1)[1] + block
        assert "STATUS:CANCELLED" in whole, feed_path
    with live.context():
        assert db.session.get(Event, event_id).status == EventStatus.cancelled

    # Wilner's cancellation notice goes out with the next delivery round.
    from coalition.mail.delivery import deliver_due

    with live.context():
        deliver_due()
    inbox = [m["Subject"] for to, m in live.smtp.handler.messages if "wilner@example.org" in to]
    assert "Cancelled: Resist the Raids neighbourhood meeting" in inbox, inbox

    # The organizer changes the calendar's settings, then removes it: the events stay.
    tab.goto(f"/orgs/{ORG}/calendars")
    with page.expect_navigation():
        page.get_by_role("link", name="Haitian partners' Google calendar").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Change the settings").click()
    problems += tab.problems()
    page.select_option("#poll_minutes", "180")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the changes").click()
    assert "settings are saved" in page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("link", name="Remove this calendar").click()
    assert "kept as your organization's own events" in page.inner_text("main")
    problems += tab.problems()
    with page.expect_navigation():
        page.get_by_role("button", name="Remove the calendar, keep its events").click()
    assert "is removed" in page.inner_text("main")
    tab.goto(event_path)
    assert "From Haitian partners' Google calendar" not in page.inner_text("main")
    assert not problems, problems
    assert not tab.console_errors, tab.console_errors
